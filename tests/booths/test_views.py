"""Booking pages (REQ BTH-1 … BTH-8, TRM-4, NFR-4) with owner / other user / other office tests."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from booths.models import Reservation, Status
from core.outbox import outbox_deliver_due
from core.versioning import forget_kept
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.checkpage import CheckPage, fill_and_check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUEST_URL_ARGS = {"day": "2026-11-18", "hhmm": "1000"}


def _request_url(booth, **kwargs):
    return reverse("booths:request", kwargs={"booth_id": booth.pk, **REQUEST_URL_ARGS, **kwargs})


def _fill_and_check(client, booth, data, **kwargs) -> CheckPage:
    # REQ NFR-4: the form's POST answers with "check your answers" itself, no redirect
    return fill_and_check(client, _request_url(booth, **kwargs), data)


def test_index_lists_the_booths_of_the_users_office(frozen, client, seeker, booth):
    # REQ BTH-1
    BoothFactory(name="他所のブース")
    client.force_login(seeker)
    html = client.get(reverse("booths:index")).content.decode()
    assert booth.name in html
    assert "他所のブース" not in html


def test_month_view_shows_free_slot_counts(frozen, client, seeker, booth):
    # REQ OFF-2, OFF-3, BTH-4: the 16th and 17th are too late today; the 18th has 16 slots
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    client.force_login(seeker)
    response = client.get(reverse("booths:month", args=[booth.pk, 2026, 11]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026年11月" in html
    day_18 = reverse("booths:day", args=[booth.pk, "2026-11-18"])
    assert re.search(rf'href="{day_18}">空き15<', html)
    assert "休業" in html


def test_month_view_marks_past_days_as_over_without_a_link(frozen, client, seeker, booth):
    # REQ OFF-3: the 13th (a Friday before today) is over, not "full"
    client.force_login(seeker)
    html = client.get(reverse("booths:month", args=[booth.pk, 2026, 11])).content.decode()
    assert reverse("booths:day", args=[booth.pk, "2026-11-13"]) not in html
    assert re.search(r'day-number">13</span>\s*<span class="day-closed">終了</span>', html)


def test_month_view_refuses_far_months(frozen, client, seeker, booth):
    # REQ BTH-3: outside the booking horizon
    client.force_login(seeker)
    assert client.get(reverse("booths:month", args=[booth.pk, 2026, 10])).status_code == 404
    assert client.get(reverse("booths:month", args=[booth.pk, 2027, 6])).status_code == 404


def test_day_view_lists_free_and_taken_slots(frozen, client, seeker, booth):
    # REQ OFF-3, BTH-2
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    client.force_login(seeker)
    html = client.get(reverse("booths:day", args=[booth.pk, "2026-11-18"])).content.decode()
    assert "予約済み" in html
    assert _request_url(booth, hhmm="1030") in html
    assert _request_url(booth) not in html


def test_day_view_of_a_holiday_says_why_it_is_closed(frozen, client, seeker, booth):
    # REQ OFF-2
    client.force_login(seeker)
    html = client.get(reverse("booths:day", args=[booth.pk, "2026-11-23"])).content.decode()
    assert "勤労感謝の日" in html


def test_day_view_shows_a_no_show_slot_as_free_before_the_job(frozen, client, seeker, booth):
    # REQ BTH-6: pages show the true state before the job runs
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    frozen.move_to(tokyo(2026, 11, 18, 10, 10))
    client.force_login(seeker)
    html = client.get(reverse("booths:day", args=[booth.pk, "2026-11-18"])).content.decode()
    assert "予約済み" not in html


def test_request_form_is_prefilled_from_the_profile(frozen, client, employer, booth):
    # REQ BTH-3
    client.force_login(employer)
    html = client.get(_request_url(booth)).content.decode()
    assert 'value="株式会社五所川原製作所"' in html
    assert 'value="0173-33-4444"' in html
    assert "面接" in html and "職業相談" not in html


def test_request_form_rejects_bad_input_next_to_the_field(
    frozen, client, seeker, booth, request_data
):
    # REQ BTH-3, CHR-2
    client.force_login(seeker)
    response = client.post(
        _request_url(booth), {**request_data, "phone": "abc", "requester_name": "髙橋"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in html
    assert "0173-12-3456" in html
    assert "高" in html  # the character rule suggests what to type (CHR-2)


def test_full_booking_flow_check_answers_confirm_and_mail(
    frozen, client, seeker, booth, request_data
):
    # REQ BTH-3, NTF-1
    client.force_login(seeker)
    check = _fill_and_check(client, booth, request_data)
    assert "2026年11月18日（水）10:00〜10:30" in check.html
    assert "通訳者" in check.html
    response = check.send(client)
    reservation = Reservation.objects.get()
    assert response["Location"] == reservation.get_absolute_url()
    html = client.get(response["Location"]).content.decode()
    assert "このあとの流れ" in html
    outbox_deliver_due()
    message = mail.outbox[0]
    assert message.to == [seeker.email]
    assert "山田" not in message.subject  # no personal data in subjects (LOG-2)
    assert "2026年11月18日（水）10:00〜10:30" in message.body
    assert booth.office.phone in message.body
    _filename, ics, mimetype = message.attachments[0]
    assert mimetype.startswith("text/calendar")
    ics_text = ics.decode() if isinstance(ics, bytes) else ics
    assert "DTSTART" in ics_text and booth.office.name in ics_text


def test_sending_the_check_page_twice_makes_one_reservation(
    frozen, client, seeker, booth, request_data
):
    # REQ BTH-2: double submit
    client.force_login(seeker)
    check = _fill_and_check(client, booth, request_data)
    first = check.send(client)
    second = check.send(client)
    assert first["Location"] == second["Location"]
    assert Reservation.objects.count() == 1


def test_losing_the_race_shows_just_taken_with_free_slots(
    frozen, client, seeker, booth, request_data
):
    # REQ BTH-2
    client.force_login(seeker)
    check = _fill_and_check(client, booth, request_data)
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    response = check.send(client)
    html = response.content.decode()
    assert response.status_code == 409
    assert "たった今" in html
    assert _request_url(booth, day="2026-11-17", hhmm="0900") in html


def test_request_after_the_deadline_is_refused_with_the_reason_and_phone(
    frozen, client, seeker, booth
):
    # REQ BTH-4
    frozen.move_to(tokyo(2026, 11, 17, 17, 0))
    client.force_login(seeker)
    response = client.get(_request_url(booth))
    html = response.content.decode()
    assert response.status_code == 403
    assert "締め切り" in html
    assert booth.office.phone in html


def test_request_after_repeated_no_shows_needs_approval_and_says_whom_to_call(
    frozen, client, seeker, booth, request_data
):
    # REQ BTH-7: the request is taken; the user sees why it needs approval and whom to call
    for day in (2, 9):
        ReservationFactory(
            booth=booth, user=seeker, starts_at=tokyo(2026, 11, day, 10), status=Status.NO_SHOW
        )
    client.force_login(seeker)
    month = client.get(reverse("booths:month", args=[booth.pk, 2026, 11])).content.decode()
    assert "承認" in month and booth.office.phone in month
    form_page = client.get(_request_url(booth)).content.decode()
    assert "承認" in form_page and booth.office.phone in form_page
    response = _fill_and_check(client, booth, request_data).send(client)
    reservation = Reservation.objects.get(user=seeker, starts_at=SLOT_AT)
    assert response["Location"] == reservation.get_absolute_url()
    assert reservation.needs_approval
    assert "承認" in client.get(reservation.get_absolute_url()).content.decode()
    adhoc = client.get(reverse("booths:adhoc")).content.decode()
    # Use now starts at once: only staff at the counter can approve it, so no button here.
    assert "窓口" in adhoc and "ブースの利用を始める" not in adhoc


def test_booking_views_require_consent_to_the_current_booth_terms(frozen, client, seeker, booth):
    # REQ TRM-4
    from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

    TermsVersionFactory(document=TermsDocumentFactory(office=booth.office), number=1)
    client.force_login(seeker)
    for url in (_request_url(booth), reverse("booths:adhoc")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/terms/" in response["Location"]


def test_every_booking_view_is_behind_the_booth_consent_gate():
    # REQ TRM-4
    from booths import urls

    gated = {
        p.name
        for p in urls.urlpatterns
        if getattr(p.callback, "terms_consent_service", None) == "booth"
    }
    assert gated == {"request", "send", "adhoc"}


def test_anonymous_users_are_sent_to_sign_in(client, booth):
    # REQ NFR-3
    for url in (
        reverse("booths:index"),
        reverse("booths:month", args=[booth.pk, 2026, 11]),
        reverse("workplace:my_reservations"),
        _request_url(booth),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["other_office_user", "other_staff"])
def test_booth_of_another_office_is_not_found(
    frozen, client, booth, other_office, other_staff, who
):
    # REQ STF-2, NFR-3
    visitor = other_staff if who == "other_staff" else UserFactory(office=other_office)
    client.force_login(visitor)
    for url in (
        reverse("booths:month", args=[booth.pk, 2026, 11]),
        reverse("booths:day", args=[booth.pk, "2026-11-18"]),
        _request_url(booth),
    ):
        assert client.get(url).status_code == 404


def test_staff_do_not_book_through_the_public_pages(frozen, client, staff, booth):
    # REQ BTH-3
    client.force_login(staff)
    assert client.get(_request_url(booth)).status_code == 403


def test_someone_elses_answers_are_not_found(frozen, client, seeker, employer, booth, request_data):
    # The answers are signed for the person who gave them: another person sending them (a
    # copied page) gets a 404, before and after the owner sent them.
    # REQ NFR-3
    client.force_login(seeker)
    check = _fill_and_check(client, booth, request_data)
    other = Client()
    other.force_login(UserFactory(office=booth.office, username="seeker2"))
    assert check.send(other).status_code == 404
    assert not Reservation.objects.exists()
    assert check.send(client).status_code == 302
    assert check.send(other).status_code == 404
    assert Reservation.objects.count() == 1


def test_tampered_or_expired_answers_start_again_with_a_message(
    frozen, client, seeker, booth, request_data, monkeypatch
):
    # REQ BTH-2: nothing is booked from answers the site did not sign, or signed too long ago
    client.force_login(seeker)
    check = _fill_and_check(client, booth, request_data)
    response = client.post(check.send_url, {"answers": check.answers + "x"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("booths:index")
    assert "もう一度" in response.content.decode()
    monkeypatch.setattr("bookings.pages.ANSWERS_MAX_AGE", -1)  # signed too long ago
    assert check.send(client)["Location"] == reverse("booths:index")
    assert not Reservation.objects.exists()


def test_change_your_answers_reopens_the_form_with_them(
    frozen, client, seeker, booth, request_data
):
    # GOV.UK "check your answers": each answer can be changed, nothing is lost
    # REQ BTH-3
    client.force_login(seeker)
    check = _fill_and_check(client, booth, {**request_data, "note": "車いすで伺います"})
    form = client.get(check.change_url).context["form"]
    assert form.initial["note"] == "車いすで伺います"
    assert form.initial["companions"] == request_data["companions"]


def test_a_slot_link_with_every_answer_known_opens_check_your_answers(
    frozen, client, seeker, booth
):
    # REQ NFR-4: profile name, number and phone plus the purpose picked with the slot
    client.force_login(seeker)
    response = client.get(_request_url(booth), {"purpose": "job_consultation"})
    check = CheckPage(response)
    assert "職業相談" in check.html
    assert check.send(client).status_code == 302
    assert Reservation.objects.get().purpose == "job_consultation"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2099-11-18", "2026-10-30"])
def test_days_outside_the_shown_months_are_not_found(frozen, client, seeker, booth, day):
    # REQ BTH-3: the month view's horizon applies to day and request URLs too; no 500
    client.force_login(seeker)
    assert client.get(reverse("booths:day", args=[booth.pk, day])).status_code == 404
    assert client.get(_request_url(booth, day=day)).status_code == 404


@pytest.mark.parametrize("hhmm", ["０９３０", "10000", "99", "+9:0", "1060"])
def test_odd_slot_times_are_not_found(frozen, client, seeker, booth, hhmm):
    # REQ OFF-3
    client.force_login(seeker)
    assert client.get(_request_url(booth, hhmm=hhmm)).status_code == 404


def test_request_form_accepts_full_width_digits_and_dashes(
    frozen, client, seeker, employer, booth, request_data
):
    # REQ REG-2, BTH-3: as in the profile, stored half-width
    client.force_login(seeker)
    data = {
        **request_data,
        "phone": "０１７３－１１－２２２２",
        "client_number": "０２０１０ー１２３４５６７８",
    }
    _fill_and_check(client, booth, data).send(client)
    reservation = Reservation.objects.get(user=seeker)
    assert (reservation.phone, reservation.client_number) == ("0173-11-2222", "02010-12345678")
    client.force_login(employer)
    data = {**request_data, "purpose": "interview", "client_number": "０２０１－１２３４５６－７"}
    _fill_and_check(client, booth, data, hhmm="1030").send(client)
    assert Reservation.objects.get(user=employer).client_number == "0201-123456-7"


def test_reservation_owner_other_user_and_other_office_staff(
    frozen, client, seeker, booth, other_staff
):
    # REQ NFR-3, STF-2
    reservation = ReservationFactory(booth=booth, user=seeker)
    client.force_login(seeker)
    assert client.get(reservation.get_absolute_url()).status_code == 200
    client.force_login(UserFactory(office=booth.office))
    assert client.get(reservation.get_absolute_url()).status_code == 404
    assert client.post(reverse("booths:cancel", args=[reservation.pk])).status_code == 404
    client.force_login(other_staff)
    assert client.get(reservation.get_absolute_url()).status_code == 404
    reservation.refresh_from_db()
    assert reservation.status == Status.REQUESTED


def test_owner_cancels_online(frozen, client, seeker, booth):
    # REQ BTH-5
    reservation = ReservationFactory(booth=booth, user=seeker)
    client.force_login(seeker)
    assert client.get(reverse("booths:cancel", args=[reservation.pk])).status_code == 200
    response = client.post(reverse("booths:cancel", args=[reservation.pk]))
    assert response["Location"] == reverse("workplace:my_reservations")
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    outbox_deliver_due()
    assert "取り消し" in mail.outbox[0].subject


def test_adhoc_page_offers_free_booths_and_starts_a_use(frozen, client, seeker, booth):
    # REQ BTH-8
    busy = BoothFactory(office=booth.office, name="ブースB")
    ReservationFactory(booth=busy, starts_at=tokyo(2026, 11, 16, 10, 0), status=Status.CHECKED_IN)
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc")).content.decode()
    assert "ブースA" in html and "ブースB" not in html
    response = client.post(reverse("booths:adhoc"), {"booth": booth.pk})
    reservation = Reservation.objects.get(user=seeker)
    assert response["Location"] == reservation.get_absolute_url()
    assert reservation.source == "adhoc"
    response = client.post(reverse("booths:adhoc"), {"booth": busy.pk})
    assert response.status_code == 400


def test_month_and_day_views_cost_the_same_queries_with_many_reservations(
    frozen, client, seeker, booth, django_assert_max_num_queries
):
    # REQ NFR-4: built from the database (an empty per-process cache), whatever is stored
    client.force_login(seeker)
    month_url = reverse("booths:month", args=[booth.pk, 2026, 12])
    day_url = reverse("booths:day", args=[booth.pk, "2026-12-01"])

    def cold(url):
        forget_kept()
        return client.get(url)

    cold(month_url)
    with django_assert_max_num_queries(16) as few:
        cold(month_url)
    with django_assert_max_num_queries(16) as few_day:
        cold(day_url)
    for day in range(1, 29):
        for hour in range(9, 17):
            ReservationFactory(booth=booth, starts_at=tokyo(2026, 12, day, hour, 0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        cold(month_url)
    with django_assert_max_num_queries(len(few_day.captured_queries)):
        cold(day_url)


def test_month_and_day_views_between_changes_read_only_the_session_and_the_user(
    frozen, client, seeker, booth, django_assert_num_queries
):
    # REQ NFR-4: the booth and the grid come from the process's cache under the office's data
    # version, the person's facts (a verified address, no-contact cancellations) from their
    # session under the person's version; both come with the signed-in user and their office.
    # Nothing is written either.
    client.force_login(seeker)
    month_url = reverse("booths:month", args=[booth.pk, 2026, 12])
    day_url = reverse("booths:day", args=[booth.pk, "2026-12-01"])
    client.get(month_url), client.get(day_url)
    with django_assert_num_queries(2) as month_queries:
        assert client.get(month_url).status_code == 200
    with django_assert_num_queries(2) as day_queries:
        assert client.get(day_url).status_code == 200
    for query in (*month_queries.captured_queries, *day_queries.captured_queries):
        assert query["sql"].lstrip().upper().startswith("SELECT"), query["sql"]


def test_a_cancelled_reservation_offers_the_same_booth_again_and_no_rules_for_the_day(
    frozen, client, seeker, booth
):
    # REQ BTH-5, NFR-1: once cancelled, "if you are late …" no longer applies; book again
    reservation = ReservationFactory(
        booth=booth,
        user=seeker,
        status=Status.CANCELLED,
        cancelled_at=tokyo(2026, 11, 16, 9),
        note="車椅子で伺います。",
    )
    client.force_login(seeker)
    page = client.get(reservation.get_absolute_url()).content.decode()
    assert "この相談ブースの予約は取り消されました" in page
    assert "遅れる場合" not in page
    assert reverse("booths:month", args=[booth.pk, 2026, 11]) in page
    # The note the person sent is on the page.
    assert "車椅子で伺います。" in page


def test_an_upcoming_reservation_shows_its_note_and_the_rules_for_the_day(
    frozen, client, seeker, booth
):
    # REQ BTH-6, BTH-3
    reservation = ReservationFactory(booth=booth, user=seeker, note="少し遅れるかもしれません。")
    client.force_login(seeker)
    page = client.get(reservation.get_absolute_url()).content.decode()
    assert "少し遅れるかもしれません。" in page and "遅れる場合" in page
    assert reverse("booths:month", args=[booth.pk, 2026, 11]) not in page


def test_at_the_cap_the_booth_pages_say_so_up_front_and_link_to_the_bookings(
    frozen, client, seeker, booth
):
    # REQ NFR-3 (per-person cap): told on the booth pages, not after the check page
    for day in (19, 20):
        ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, day, 10))
    my_bookings = reverse("workplace:my_reservations")
    client.force_login(seeker)
    for url in (
        reverse("booths:index"),
        reverse("booths:month", args=[booth.pk, 2026, 11]),
        reverse("booths:day", args=[booth.pk, "2026-11-18"]),
    ):
        page = client.get(url).content.decode()
        assert "これ以上予約できません" in page and "上限" in page, url
        assert f'href="{my_bookings}"' in page, url
    day = client.get(reverse("booths:day", args=[booth.pk, "2026-11-18"])).content.decode()
    assert _request_url(booth) not in day
    response = client.get(_request_url(booth))
    assert response.status_code == 403
    assert 'name="purpose"' not in response.content.decode()
    assert f'href="{my_bookings}"' in response.content.decode()


def test_the_cap_is_lifted_on_the_pages_once_a_booking_has_started(frozen, client, seeker, booth):
    # REQ NFR-3, NFR-4: the kept facts expire when a counted booking starts
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 11, 0))
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 20, 10))
    client.force_login(seeker)
    day_url = reverse("booths:day", args=[booth.pk, "2026-11-18"])
    assert _request_url(booth) not in client.get(day_url).content.decode()
    frozen.move_to(tokyo(2026, 11, 16, 11, 1))
    assert _request_url(booth) in client.get(day_url).content.decode()
