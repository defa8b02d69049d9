"""An ad-hoc booth use lasts 30 minutes (REQ BTH-8) and records its actual times (BTH-10).

Started during a slot, the use takes the booth's next slot too when it is free: a second row,
started with the first and pointing to it. Otherwise the person is told before starting that
the use ends with the slot running now.
"""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from bookings import services as bookings
from bookings.models import CancelledVia
from booths import availability, services
from booths.models import Reservation, Source, Status
from core.models import OutboxMessage
from tests.auth import login_client
from tests.booths.conftest import tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.booths.test_admin import counselor
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory
from workplace.statistics import month_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, office):
    return login_client(client, counselor(office))


def _start(user, booth, **kwargs) -> tuple[Reservation, Reservation | None]:
    first = services.reservation_start_adhoc(user=user, booth=booth, **kwargs)
    return first, Reservation.objects.filter(continues=first).first()


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_use_started_inside_a_slot_takes_the_next_slot_too(frozen, seeker, booth):
    # REQ BTH-8, BTH-10: 10:25 → the use is held until 11:00 and must end at 10:55
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first, second = _start(seeker, booth)
    assert (first.starts_at, first.ends_at) == (
        tokyo(2026, 11, 16, 10, 0),
        tokyo(2026, 11, 16, 10, 30),
    )
    assert second is not None
    assert (second.starts_at, second.ends_at) == (
        tokyo(2026, 11, 16, 10, 30),
        tokyo(2026, 11, 16, 11, 0),
    )
    assert (second.user, second.source, second.status) == (seeker, Source.ADHOC, Status.CHECKED_IN)
    assert second.checked_in_at == second.actual_started_at == tokyo(2026, 11, 16, 10, 25)
    assert first.use_ends_at() == tokyo(2026, 11, 16, 10, 55)
    assert Reservation.objects.count() == 2


def test_the_next_slot_of_a_use_is_no_longer_free_to_others(frozen, seeker, booth):
    # REQ BTH-8, BTH-2
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    _start(seeker, booth)
    _reason, slots = availability.day_view(booth, tokyo(2026, 11, 16, 0, 0).date())
    states = {slot.starts_at: slot.state for slot in slots}
    assert states[tokyo(2026, 11, 16, 10, 30)] == "taken"
    frozen.move_to(tokyo(2026, 11, 16, 10, 31))
    other = UserFactory(office=booth.office, username="seeker2")
    assert availability.free_booths_now([booth], tokyo(2026, 11, 16, 10, 31))[1] == []
    with pytest.raises(services.SlotTakenError):
        services.reservation_start_adhoc(user=other, booth=booth)


def test_the_second_part_of_a_use_never_turns_into_a_no_show(frozen, seeker, booth):
    # REQ BTH-8, BTH-6: started with the use, it awaits neither the person nor a phone call
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    _first, second = _start(seeker, booth)
    frozen.move_to(tokyo(2026, 11, 16, 10, 50))
    assert bookings.record_overdue_no_shows() == 0
    assert not Reservation.objects.overdue().exists()
    assert not Reservation.objects.awaiting_phone_call().exists()
    second.refresh_from_db()
    assert second.status == Status.CHECKED_IN and second.current_state() == Status.CHECKED_IN


def test_the_database_keeps_a_second_part_started(frozen, seeker, booth):
    # REQ BTH-8: no write can turn the second part into a booking awaiting its person
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    _first, second = _start(seeker, booth)
    with pytest.raises(IntegrityError):
        Reservation.objects.filter(pk=second.pk).update(status=Status.CONFIRMED, phoned_at=None)


def test_next_slot_booked_the_use_ends_with_this_slot_and_the_page_says_so(
    frozen, client, seeker, booth
):
    # REQ BTH-8: told before starting, and again when it starts
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc")).content.decode()
    assert "10:30まで（次の枠は予約済みです）" in html
    response = client.post(reverse("booths:adhoc"), {"booth": booth.pk})
    assert response.status_code == 302
    assert Reservation.objects.filter(user=seeker).count() == 1
    assert _messages(response) == ["10:30までブースをご利用いただけます。"]


def test_adhoc_page_lists_each_free_booth_with_its_end_time_in_english(
    frozen, client, seeker, booth
):
    # REQ BTH-8, NFR-1
    busy_next = BoothFactory(office=booth.office, name="ブースB")
    ReservationFactory(booth=busy_next, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc"), headers={"accept-language": "en"}).content.decode()
    assert "ブースA</span> until 10:55</span>" in html
    assert "ブースB</span> until 10:30 (the next slot is booked)</span>" in html
    assert "A use lasts 30 minutes." in html
    response = client.post(
        reverse("booths:adhoc"), {"booth": booth.pk}, headers={"accept-language": "en"}
    )
    assert _messages(response) == ["The booth is yours until 10:55."]


def test_use_started_on_a_slot_start_takes_one_slot(frozen, client, seeker, booth):
    # REQ BTH-8: 10:00 → 10:30 is the whole use (the seconds of the start don't count)
    frozen.move_to(tokyo(2026, 11, 16, 10, 0, 40))
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc")).content.decode()
    assert "ブースA</span> 10:30まで</span>" in html
    response = client.post(reverse("booths:adhoc"), {"booth": booth.pk})
    first = Reservation.objects.get(user=seeker)
    assert first.starts_at == tokyo(2026, 11, 16, 10, 0)
    assert first.use_ends_at() == tokyo(2026, 11, 16, 10, 30)
    assert _messages(response) == ["10:30までブースをご利用いただけます。"]


def test_use_in_the_last_slot_of_the_day_takes_one_slot_and_says_so(frozen, client, seeker, booth):
    # REQ BTH-8: the office closes at 17:00
    frozen.move_to(tokyo(2026, 11, 16, 16, 40))
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc")).content.decode()
    assert "17:00まで（本日最後の枠です）" in html
    first, second = _start(seeker, booth)
    assert second is None
    assert first.use_ends_at() == tokyo(2026, 11, 16, 17, 0)


def test_use_stops_before_the_persons_next_booking(frozen, client, seeker, booth):
    # REQ BTH-8: the person's online consultation at 10:30 keeps the use to this slot
    ConsultationFactory(office=booth.office, user=seeker, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    client.force_login(seeker)
    html = client.get(reverse("booths:adhoc")).content.decode()
    assert "10:30まで（その後はほかのご予約があります）" in html
    _first, second = _start(seeker, booth)
    assert second is None


def test_completing_the_use_completes_both_parts(frozen, seeker, booth, staff):
    # REQ BTH-10: one actual end for the whole use; the next slot is free again
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first, second = _start(seeker, booth)
    frozen.move_to(tokyo(2026, 11, 16, 10, 28))
    bookings.booking_complete(booking=first, staff=staff)
    second.refresh_from_db()
    assert second.status == Status.COMPLETED
    assert second.actual_ended_at == first.actual_ended_at == tokyo(2026, 11, 16, 10, 28)
    assert availability.free_booths_now([booth], tokyo(2026, 11, 16, 10, 31))[1] == [booth]


def test_completing_the_use_in_the_admin_completes_both_parts(
    frozen, client, office, seeker, booth
):
    # REQ BTH-10: the staff action on the first part
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first, _second = _start(seeker, booth)
    frozen.move_to(tokyo(2026, 11, 16, 10, 50))
    staff_client = login_client(client, counselor(office))  # signed in now, not idle
    staff_client.post(
        reverse("admin:booths_reservation_changelist"),
        {"action": "complete", "_selected_action": [first.pk]},
    )
    assert set(Reservation.objects.values_list("status", flat=True)) == {Status.COMPLETED}


def test_cancelling_the_first_part_cancels_the_second(frozen, seeker, booth):
    # REQ BTH-8, REG-5: one use, one cancellation; the person gets one mail, not two
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first, second = _start(seeker, booth)
    bookings.booking_cancel_for_account_end(booking=first, now=timezone.now(), reason="deleted")
    second.refresh_from_db()
    assert (second.status, second.cancelled_via) == (Status.CANCELLED, CancelledVia.ACCOUNT_DELETED)
    assert OutboxMessage.objects.count() == 1


def test_a_race_for_the_next_slot_does_not_fail_the_start(
    frozen, client, seeker, booth, monkeypatch
):
    # REQ BTH-8, BTH-2: the page showed 10:55, someone took 10:30 before the insert
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    shown = availability.adhoc_uses_now([booth], tokyo(2026, 11, 16, 10, 25))
    assert shown[1][0].next_slot == tokyo(2026, 11, 16, 10, 30)
    winner = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 30))

    def as_shown(booths, now, user=None):
        return shown

    monkeypatch.setattr(availability, "adhoc_uses_now", as_shown)
    monkeypatch.setattr(services, "adhoc_uses_now", as_shown)
    client.force_login(seeker)
    response = client.post(reverse("booths:adhoc"), {"booth": booth.pk})
    assert response.status_code == 302
    first = Reservation.objects.get(user=seeker)
    assert first.status == Status.CHECKED_IN
    assert Reservation.objects.get(starts_at=tokyo(2026, 11, 16, 10, 30)) == winner
    assert _messages(response) == [
        "次の枠がたった今ほかの方に予約されたため、ご利用は10:30までです。"
    ]


def test_counter_page_tells_the_end_before_starting_and_starts_both_parts(
    frozen, staff_client, seeker, booth
):
    # REQ BTH-8: the same at the counter
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    url = reverse("admin:booths_booth_adhoc", args=[booth.pk])
    assert "今から始める利用の終了時刻：10:55まで" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"username": seeker.username})
    assert response.status_code == 302
    assert _messages(response) == ["利用を開始しました。終了時刻は10:55です。"]
    parts = Reservation.objects.order_by("starts_at")
    assert [(p.source, p.status) for p in parts] == [(Source.COUNTER, Status.CHECKED_IN)] * 2


def test_counter_page_says_when_the_next_slot_is_booked(frozen, staff_client, seeker, booth):
    # REQ BTH-8
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    url = reverse("admin:booths_booth_adhoc", args=[booth.pk])
    html = staff_client.get(url).content.decode()
    assert "今から始める利用の終了時刻：10:30まで（次の枠は予約済みです）" in html


def test_a_two_slot_use_counts_as_one_use_and_two_booked_slots(frozen, seeker, booth, staff):
    # REQ STA-1, BTH-8
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first, _second = _start(seeker, booth)
    frozen.move_to(tokyo(2026, 11, 16, 10, 55))
    bookings.booking_complete(booking=first, staff=staff)
    stats = month_statistics(office=booth.office, year=2026, month=11)
    figures = dict(zip([name for name, _label in stats.figures], stats.totals.cells, strict=True))
    assert figures["adhoc"].value == 1
    assert figures["completed"].value == 1
    assert stats.booked_slots.value == 2


def test_adhoc_page_costs_the_same_queries_whatever_the_number_of_booths(
    frozen, client, seeker, booth
):
    # REQ NFR-4, BTH-8: the end time of every free booth comes from one query
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    client.force_login(seeker)
    client.get(reverse("booths:adhoc"))  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as one_booth:
        client.get(reverse("booths:adhoc"))
    for n in range(8):
        other = BoothFactory(office=booth.office, name=f"ブース{n}")
        if n % 2:  # in use now, or free now with its next slot booked
            ReservationFactory(booth=other, starts_at=tokyo(2026, 11, 16, 10, 30))
        else:
            ReservationFactory(
                booth=other, starts_at=tokyo(2026, 11, 16, 10, 0), status=Status.CHECKED_IN
            )
    with CaptureQueriesContext(connection) as nine_booths:
        html = client.get(reverse("booths:adhoc")).content.decode()
    assert html.count('name="booth"') == 5
    assert len(nine_booths) == len(one_booth)


def test_counter_start_for_someone_booked_next_names_the_end_without_a_race(
    frozen, staff_client, seeker, booth
):
    # REQ BTH-8: the person's own 10:30 booking is a known end, not a slot just taken
    ConsultationFactory(office=booth.office, user=seeker, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    url = reverse("admin:booths_booth_adhoc", args=[booth.pk])
    response = staff_client.post(url, {"username": seeker.username})
    assert _messages(response) == ["利用を開始しました。終了時刻は10:30です。"]
    assert Reservation.objects.count() == 1
