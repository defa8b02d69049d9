"""The earlier-slot alert pages (REQ ALR-1): reached from the free-times pages, one form without
JavaScript, listed and cancelled on the person's reservations page."""

import datetime

import pytest
from django.urls import reverse

from bookings.alert_models import AlertEnd, EarlierSlotAlert
from tests.auth import login_client
from tests.booths.conftest import NOW
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_BOOTH = "/alerts/new/booth/"


def _post(client, booth, **data):
    return client.post(
        NEW_BOOTH,
        {"place": booth.pk, "first_day": "2026-11-17", "last_day": "2026-11-20", **data},
    )


def test_the_free_times_pages_link_to_the_alert_form(frozen, client, seeker, booth):
    # REQ ALR-1: from the month and the day of a booth.
    login_client(client, seeker)
    link = f"{NEW_BOOTH}?place={booth.pk}"
    for url in (
        reverse("booths:month", args=[booth.pk, 2026, 11]),
        reverse("booths:day", args=[booth.pk, "2026-11-18"]),
    ):
        assert link in client.get(url).content.decode()


def test_the_online_pages_link_to_the_alert_form(frozen, client, seeker, counselor):
    # REQ ALR-1: the earliest list, a month and a day of online consultations.
    login_client(client, seeker)
    assert "/alerts/new/online/" in client.get(reverse("consultations:index")).content.decode()
    month = client.get(reverse("consultations:month", args=[counselor.pk, 2026, 11]))
    assert f"/alerts/new/online/?place={counselor.pk}" in month.content.decode()
    day = client.get(reverse("consultations:day", args=["any", "2026-11-18"]))
    assert "/alerts/new/online/" in day.content.decode()


def test_the_form_is_prefilled_with_the_place_and_the_default_range(frozen, client, seeker, booth):
    # REQ ALR-1
    login_client(client, seeker)
    page = client.get(f"{NEW_BOOTH}?place={booth.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial == {
        "place": booth.pk,
        "first_day": NOW.date(),
        "last_day": datetime.date(2026, 12, 4),
    }


def test_sending_the_form_sets_the_alert_and_the_list_shows_it(frozen, client, seeker, booth):
    # REQ ALR-1: set without JavaScript; seen on the reservations page.
    login_client(client, seeker)
    response = _post(client, booth)
    assert response.status_code == 302
    alert = EarlierSlotAlert.objects.get(user=seeker)
    assert (alert.service, alert.place_id) == ("booth", booth.pk)
    assert (alert.first_day, alert.last_day) == (
        datetime.date(2026, 11, 17),
        datetime.date(2026, 11, 20),
    )
    page = client.get(reverse("workplace:my_reservations")).content.decode()
    assert booth.name in page
    assert reverse("bookings:alert_cancel", args=[alert.pk]) in page


def test_a_form_with_errors_says_why_next_to_the_field(frozen, client, seeker, booth):
    # REQ ALR-1
    login_client(client, seeker)
    response = _post(client, booth, first_day="2026-11-20", last_day="2026-11-17")
    assert response.status_code == 400
    assert response.context["form"].errors["last_day"]
    assert not EarlierSlotAlert.objects.exists()


@pytest.mark.parametrize("typed", ["２０２６－１１－１７", "2026/11/17", " 2026-11-17 "])
def test_a_day_typed_without_the_date_picker_is_read_the_same(frozen, client, seeker, booth, typed):
    # REQ ALR-1: no JavaScript, no picker: full-width digits and slashes are the same day.
    login_client(client, seeker)
    assert _post(client, booth, first_day=typed).status_code == 302
    assert EarlierSlotAlert.objects.get().first_day == datetime.date(2026, 11, 17)


def test_a_fourth_alert_is_refused_on_the_form(frozen, client, seeker, booth):
    # REQ ALR-1
    login_client(client, seeker)
    for _ in range(3):
        assert _post(client, booth).status_code == 302
    response = _post(client, booth)
    assert response.status_code == 400
    assert "3" in " ".join(response.context["form"].non_field_errors())


def test_a_booth_of_another_office_is_not_offered(frozen, client, seeker, booth, other_office):
    # REQ ALR-1: their own office only.
    from tests.booths.factories import BoothFactory

    elsewhere = BoothFactory(office=other_office)
    login_client(client, seeker)
    assert _post(client, elsewhere).status_code == 400
    assert not EarlierSlotAlert.objects.exists()


def test_the_owner_cancels_their_alert_from_the_list(frozen, client, seeker, booth):
    # REQ ALR-1
    login_client(client, seeker)
    _post(client, booth)
    alert = EarlierSlotAlert.objects.get()
    response = client.post(reverse("bookings:alert_cancel", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.end_reason == AlertEnd.CANCELLED
    assert booth.name not in client.get(reverse("workplace:my_reservations")).content.decode()


def test_someone_elses_alert_is_a_404_and_stays(frozen, client, seeker, booth, office):
    # REQ ALR-1: no IDOR.
    login_client(client, seeker)
    _post(client, booth)
    alert = EarlierSlotAlert.objects.get()
    login_client(client, UserFactory(office=office, username="other"))
    assert client.post(reverse("bookings:alert_cancel", args=[alert.pk])).status_code == 404
    login_client(client, StaffFactory(office=office))
    assert client.post(reverse("bookings:alert_cancel", args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.ended_at is None


def test_signed_out_people_are_sent_to_sign_in(client, booth):
    # REQ ALR-1
    response = client.get(NEW_BOOTH)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_service_is_a_404(frozen, client, seeker):
    # REQ ALR-1
    login_client(client, seeker)
    assert client.get("/alerts/new/parking/").status_code == 404


def test_staff_cannot_set_an_online_alert(frozen, client, office, booth):
    # REQ ALR-1: the rules of booking apply (staff book for people in the admin).
    login_client(client, StaffFactory(office=office))
    assert client.get("/alerts/new/online/").status_code == 403
