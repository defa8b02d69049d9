"""Answering with the slot on the day page (REQ BTH-3, NFR-4): a person who picks the
purpose (and, online, the video tool) there gets slot links that open "check your answers"
directly when the profile holds the rest; the form stays one "change" away."""

import html
import re

import pytest
from django.urls import reverse

from booths.models import Reservation
from consultations.models import Consultation
from tests.bookings.test_booking_cost import _accepted_terms
from tests.checkpage import CheckPage

pytestmark = pytest.mark.django_db

DAY = "2026-11-18"


def slot_links(page) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'class="button" href="([^"]+)"', page)]


def test_a_booth_purpose_picked_on_the_day_page_opens_check_your_answers(
    frozen, client, seeker, booth
):
    # REQ BTH-3, NFR-4: form GET skipped; the answers are the profile's and the purpose
    _accepted_terms(seeker, "booth")
    client.force_login(seeker)
    day = client.get(reverse("booths:day", args=[booth.pk, DAY]), {"purpose": "job_consultation"})
    page = day.content.decode()
    assert 'name="purpose" value="job_consultation" checked' in page
    link = next(link for link in slot_links(page) if "/1000/" in link)
    assert link.endswith("?purpose=job_consultation")
    check = CheckPage(client.get(link))
    assert seeker.phone in check.html
    response = check.send(client)
    booked = Reservation.objects.get(user=seeker)
    assert response["Location"] == booked.get_absolute_url()
    assert booked.purpose == "job_consultation" and booked.phone == seeker.phone


def test_a_purpose_not_offered_is_ignored_and_the_links_lead_to_the_form(
    frozen, client, seeker, booth
):
    # REQ BTH-3: nothing is carried that the person could not have picked
    _accepted_terms(seeker, "booth")
    client.force_login(seeker)
    day = client.get(reverse("booths:day", args=[booth.pk, DAY]), {"purpose": "interview"})
    page = day.content.decode()
    assert " checked" not in page.split('class="slot-answers"')[1].split("</form>")[0]
    link = next(link for link in slot_links(page) if "/1000/" in link)
    assert "?" not in link
    form = client.get(link)
    assert form.status_code == 200 and 'name="answers"' not in form.content.decode()


def test_an_online_purpose_and_tool_picked_on_the_day_page_open_check_your_answers(
    frozen, client, seeker, counselor, zoom
):
    # REQ BTH-3, CON-8, NFR-4: both known, the link opens "check your answers"
    _accepted_terms(seeker, "online")
    client.force_login(seeker)
    day = client.get(
        reverse("consultations:day", args=["any", DAY]),
        {"purpose": "job_consultation", "video_tool": zoom.pk},
    )
    link = next(link for link in slot_links(day.content.decode()) if "/1000/" in link)
    assert f"video_tool={zoom.pk}" in link and "purpose=job_consultation" in link
    check = CheckPage(client.get(link))
    assert "Zoom" in check.html
    check.send(client)
    assert Consultation.objects.get(user=seeker).video_tool == zoom
