"""The counselor side in the admin (REQ BTH-5, BTH-8, BTH-9, BTH-10, STF-2)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from bookings.models import OfficeClosure
from booths.availability import day_view
from booths.models import Reservation, Status
from core.outbox import outbox_deliver_due
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def counselor(office):
    user = staff_with_mfa(office=office)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["bookings", "booths", "consultations"]
        )
    )
    return user


@pytest.fixture
def staff_client(client, office):
    return login_client(client, counselor(office))


def test_staff_see_only_their_own_offices_reservations(frozen, staff_client, booth, other_office):
    # REQ STF-2
    mine = ReservationFactory(booth=booth, requester_name="自所 太郎")
    theirs = ReservationFactory(booth=BoothFactory(office=other_office), requester_name="他所 花子")
    html = staff_client.get(reverse("admin:booths_reservation_changelist")).content.decode()
    assert "自所 太郎" in html and "他所 花子" not in html
    assert (
        staff_client.get(reverse("admin:booths_reservation_change", args=[mine.pk])).status_code
        == 200
    )
    for name in ("change", "confirm", "move"):
        url = reverse(f"admin:booths_reservation_{name}", args=[theirs.pk])
        assert staff_client.get(url).status_code in (302, 404)
    assert staff_client.post(
        reverse("admin:booths_reservation_confirm", args=[theirs.pk]),
        {"phoned_at": "2026-11-16T09:30"},
    ).status_code in (302, 404)
    theirs.refresh_from_db()
    assert theirs.status == Status.REQUESTED


def test_confirm_records_when_staff_phoned_and_mails_the_user(frozen, staff_client, booth):
    # REQ BTH-5, NTF-1
    reservation = ReservationFactory(booth=booth)
    url = reverse("admin:booths_reservation_confirm", args=[reservation.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"phoned_at": "2026-11-16T09:40"})
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED
    assert reservation.phoned_at == tokyo(2026, 11, 16, 9, 40)
    outbox_deliver_due()
    assert "確定" in mail.outbox[0].subject


def test_one_click_check_in_and_complete_record_actual_times(frozen, staff_client, booth):
    # REQ BTH-10
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True
    )
    changelist = reverse("admin:booths_reservation_changelist")
    staff_client.post(changelist, {"action": "start", "_selected_action": [reservation.pk]})
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    staff_client.post(changelist, {"action": "complete", "_selected_action": [reservation.pk]})
    reservation.refresh_from_db()
    assert reservation.status == Status.COMPLETED
    assert reservation.actual_started_at == tokyo(2026, 11, 16, 10, 0)
    assert reservation.actual_ended_at == tokyo(2026, 11, 16, 10, 25)


def test_late_contact_then_check_in_after_ten_minutes(frozen, staff_client, booth):
    # REQ BTH-6: "the user phoned, will be late" stops the rule
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True
    )
    changelist = reverse("admin:booths_reservation_changelist")
    frozen.move_to(tokyo(2026, 11, 16, 10, 5))
    staff_client.post(
        changelist, {"action": "record_late_contact", "_selected_action": [reservation.pk]}
    )
    frozen.move_to(tokyo(2026, 11, 16, 10, 20))
    staff_client.post(changelist, {"action": "start", "_selected_action": [reservation.pk]})
    reservation.refresh_from_db()
    assert reservation.status == Status.CHECKED_IN


def test_cancel_by_phone_and_no_show_actions(frozen, staff_client, booth):
    # REQ BTH-5
    called = ReservationFactory(booth=booth)
    absent = ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 9, 30),
        late_contact_at=tokyo(2026, 11, 16, 9),
        confirmed=True,
    )
    changelist = reverse("admin:booths_reservation_changelist")
    staff_client.post(changelist, {"action": "cancel_by_phone", "_selected_action": [called.pk]})
    staff_client.post(changelist, {"action": "mark_no_show", "_selected_action": [absent.pk]})
    called.refresh_from_db()
    absent.refresh_from_db()
    assert (called.status, called.cancelled_via) == (Status.CANCELLED, "phone")
    assert absent.status == Status.NO_SHOW


def test_move_to_another_slot(frozen, staff_client, booth):
    # REQ BTH-5
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    url = reverse("admin:booths_reservation_move", args=[reservation.pk])
    response = staff_client.post(url, {"booth": booth.pk, "date": "2026-11-19", "time": "14:00"})
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.starts_at == tokyo(2026, 11, 19, 14, 0)
    response = staff_client.post(url, {"booth": booth.pk, "date": "2026-11-21", "time": "14:00"})
    assert response.status_code == 200
    assert "土曜" in response.content.decode()


def test_book_the_next_reservation_during_a_session(frozen, staff_client, booth):
    # REQ BTH-9
    current = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), status=Status.CHECKED_IN
    )
    url = reverse("admin:booths_reservation_book_next", args=[current.pk])
    response = staff_client.post(url, {"booth": booth.pk, "date": "2026-11-30", "time": "10:00"})
    assert response.status_code == 302
    following = Reservation.objects.exclude(pk=current.pk).get()
    assert following.user == current.user
    assert following.status == Status.CONFIRMED


def test_staff_start_an_ad_hoc_use_at_the_counter(frozen, staff_client, booth, seeker):
    # REQ BTH-8
    url = reverse("admin:booths_booth_adhoc", args=[booth.pk])
    response = staff_client.post(url, {"username": seeker.username})
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert (reservation.user, reservation.source) == (seeker, "counter")


def test_staff_enter_an_office_closure_that_closes_the_day(frozen, staff_client, office, booth):
    # REQ OFF-2, STF-3
    response = staff_client.post(
        reverse("admin:bookings_officeclosure_add"),
        {"office": office.pk, "date": "2026-11-18", "reason": "庁舎点検"},
    )
    assert response.status_code == 302
    assert OfficeClosure.objects.get().created_by is not None
    closed_reason, slots = day_view(booth, datetime.date(2026, 11, 18))
    assert closed_reason and slots == []


def test_move_resets_the_late_contact_of_the_old_slot(frozen, staff_client, booth):
    # REQ BTH-6: through the admin the 10-minute rule applies to the new slot
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT, late_contact_at=SLOT_AT)
    url = reverse("admin:booths_reservation_move", args=[reservation.pk])
    staff_client.post(url, {"booth": booth.pk, "date": "2026-11-19", "time": "14:00"})
    reservation.refresh_from_db()
    assert reservation.starts_at == tokyo(2026, 11, 19, 14, 0)
    assert reservation.late_contact_at is None


@pytest.mark.parametrize(
    "day, words",
    [("0001-01-01", "今日以降"), ("2026-11-13", "今日以降"), ("2099-01-05", "1年以内")],
)
def test_slot_form_refuses_dates_out_of_range_next_to_the_field(
    frozen, staff_client, booth, day, words
):
    # REQ OFF-3: a clear error next to the date, not a 500
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    for name in ("move", "book_next"):
        url = reverse(f"admin:booths_reservation_{name}", args=[reservation.pk])
        response = staff_client.post(url, {"booth": booth.pk, "date": day, "time": "10:00"})
        assert response.status_code == 200
        assert words in str(response.context["form"].errors["date"])
    reservation.refresh_from_db()
    assert reservation.starts_at == SLOT_AT


def test_assigning_a_busy_counselor_is_an_error_next_to_the_field(frozen, client, office, booth):
    # REQ BTH-2: the counselor-once-per-slot rule is a form error, not a 500
    staff = counselor(office)
    staff_client = login_client(client, staff)
    ReservationFactory(booth=booth, starts_at=SLOT_AT, counselor=staff)
    other = ReservationFactory(booth=BoothFactory(office=office), starts_at=SLOT_AT)
    url = reverse("admin:booths_reservation_change", args=[other.pk])
    response = staff_client.post(url, {"counselor": staff.pk})
    assert response.status_code == 200
    assert "counselor" in response.context["adminform"].form.errors
    other.refresh_from_db()
    assert other.counselor is None
    free = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 19, 10))
    url = reverse("admin:booths_reservation_change", args=[free.pk])
    assert staff_client.post(url, {"counselor": staff.pk}).status_code == 302
    free.refresh_from_db()
    assert free.counselor == staff


def test_counter_ad_hoc_use_without_consent_links_to_the_consent_page(
    frozen, staff_client, booth, seeker
):
    # REQ BTH-8, TRM-4: staff record the consent at the counter first
    from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

    TermsVersionFactory(document=TermsDocumentFactory(office=booth.office), number=1)
    url = reverse("admin:booths_booth_adhoc", args=[booth.pk])
    response = staff_client.post(url, {"username": seeker.username})
    assert response.status_code == 200
    assert not Reservation.objects.exists()
    html = response.content.decode()
    assert "同意" in html
    assert f"{reverse('admin:terms_consent_add')}?user={seeker.pk}" in html


def test_requests_awaiting_approval_are_listed_and_approved_by_confirming(
    frozen, staff_client, booth, seeker
):
    # REQ BTH-7
    waiting = ReservationFactory(booth=booth, user=seeker, needs_approval=True)
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 19, 10), requester_name="普通 次郎")
    changelist = reverse("admin:booths_reservation_changelist")
    response = staff_client.get(changelist, {"approval": "awaiting"})
    assert list(response.context["cl"].result_list) == [waiting]
    staff_client.post(
        reverse("admin:booths_reservation_confirm", args=[waiting.pk]),
        {"phoned_at": "2026-11-16T09:50"},
    )
    assert not staff_client.get(changelist, {"approval": "awaiting"}).context["cl"].result_list


def test_staff_book_for_a_caller(frozen, staff_client, booth, seeker, other_office):
    # REQ STF-1: booked and confirmed by the call; the office's users only
    # The booth's "book for a caller" link leads to the booking page with the booth chosen.
    response = staff_client.get(reverse("admin:booths_booth_book", args=[booth.pk]))
    url = reverse("admin:booths_reservation_book")
    assert response.status_code == 302 and response.url == f"{url}?booth={booth.pk}"
    assert staff_client.get(response.url).status_code == 200
    stranger = UserFactory(office=other_office, username="stranger")
    data = {"booth": booth.pk, "date": "2026-11-17", "time": "10:00", "purpose": "job_consultation"}
    response = staff_client.post(url, {**data, "caller": stranger.pk})
    assert response.status_code == 200 and not Reservation.objects.exists()
    response = staff_client.post(url, {**data, "caller": seeker.pk})
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert (reservation.user, reservation.status) == (seeker, Status.CONFIRMED)


def test_book_for_a_caller_of_another_office_booth_is_not_found(frozen, staff_client, other_office):
    # REQ STF-2
    foreign = BoothFactory(office=other_office)
    assert (
        staff_client.get(reverse("admin:booths_booth_book", args=[foreign.pk])).status_code == 404
    )
