"""Online consultations: availability, booking, the counselor rule across services, the shared
life with booths (REQ CON-1, CON-5, CON-6, CON-7, CON-8, BTH-6, BTH-7, NFR-3)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from bookings import rules
from bookings import services as bookings
from bookings.closures import closure_create
from bookings.models import CounselorHold, OfficeClosure, Status
from booths.models import Booth, Reservation
from consultations import availability, services
from consultations.models import (
    AvailabilityException,
    Consultation,
    CounselorVideoDefault,
    ExceptionKind,
    OnlineApproval,
)
from core.outbox import outbox_deliver_due
from tests.booths.factories import ReservationFactory
from tests.consultations.conftest import NOW, SLOT_AT, checklist, tokyo, weekly
from tests.factories import EmployerFactory, StaffFactory, UserFactory


def request(user, zoom, starts_at=SLOT_AT, counselor=None, **extra):
    data = {
        "purpose": "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0184-11-2222",
        "companions": ["family"],
        **extra,
    }
    return services.consultation_request(
        user=user, starts_at=starts_at, counselor=counselor, video_tool=zoom, now=NOW, **data
    )


def test_only_published_slots_of_business_days_are_offered(counselor):
    # REQ CON-1, OFF-2: the weekly pattern on business days; Monday 23 Nov is a holiday
    closed, slots = availability.day_view(counselor.office, datetime.date(2026, 11, 23), now=NOW)
    assert closed and slots == []
    _closed, slots = availability.day_view(counselor.office, datetime.date(2026, 11, 18), now=NOW)
    assert next(s.starts_at for s in slots) == tokyo(2026, 11, 18, 9, 0)
    assert len(slots) == 16


def test_extra_and_withdrawn_single_slots_change_what_is_offered(office, counselor):
    # REQ CON-1
    AvailabilityException.objects.create(
        counselor=counselor, office=office, starts_at=SLOT_AT, kind=ExceptionKind.WITHDRAWN
    )
    other = StaffFactory(office=office, username="counselor2")
    weekly(other, datetime.time(9), datetime.time(10))
    AvailabilityException.objects.create(
        counselor=other, office=office, starts_at=tokyo(2026, 11, 18, 15), kind=ExceptionKind.EXTRA
    )
    _closed, slots = availability.day_view(office, SLOT_AT.date(), now=NOW)
    by_start = {s.starts_at: {c.pk for c in s.counselors} for s in slots}
    assert counselor.pk not in by_start.get(SLOT_AT, set())
    assert other.pk in by_start[tokyo(2026, 11, 18, 15)]


def test_a_job_seeker_books_a_counselor_and_gets_a_confirmation_with_ics(
    frozen, seeker, counselor, zoom
):
    # REQ CON-1, CON-8, NTF-1: booked at once, companions kept, mail with a calendar file
    consultation = request(seeker, zoom)
    assert consultation.status == Status.CONFIRMED
    assert consultation.counselor == counselor and consultation.companions == ["family"]
    assert CounselorHold.objects.filter(counselor=counselor, starts_at=SLOT_AT).exists()
    outbox_deliver_due()
    message = mail.outbox[-1]
    assert seeker.office.name in message.subject and seeker.office.phone in message.body
    assert "Zoom" in message.body
    _name, ics, _mime = message.attachments[0]
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(f"online-consultation-{consultation.pk}@")
    assert event.decoded("DTSTART") == SLOT_AT
    assert str(event["STATUS"]) == "CONFIRMED"


def test_a_booking_with_the_counselors_default_link_is_written_once_with_its_time(
    frozen, seeker, counselor, zoom
):
    # REQ CON-3, NFR-4: the link and when it was set go in with the row; no UPDATE after it
    # (each one ran the version triggers again)
    CounselorVideoDefault.objects.create(
        counselor=counselor, video_tool=zoom, join_url="https://zoom.us/j/123"
    )
    with CaptureQueriesContext(connection) as queries:
        consultation = request(seeker, zoom, counselor=counselor)
    consultation.refresh_from_db()
    assert consultation.join_url == "https://zoom.us/j/123"
    assert consultation.join_url_set_at == NOW
    writes = [q["sql"] for q in queries if "consultations_consultation" in q["sql"]]
    assert not [sql for sql in writes if sql.startswith("UPDATE")]
    assert len([sql for sql in writes if sql.startswith("INSERT")]) == 1


def test_the_video_link_is_never_in_a_mail_or_calendar_file(frozen, seeker, counselor, zoom):
    # REQ CON-3
    consultation = request(seeker, zoom)
    services.consultation_set_join_url(
        consultation=consultation,
        staff=counselor,
        video_tool=zoom,
        join_url="https://zoom.us/j/123456789",
        now=NOW,
    )
    outbox_deliver_due()  # before the cancellation drops them (NTF-3)
    bookings.booking_cancel_by_phone(booking=consultation, staff=counselor, now=NOW)
    outbox_deliver_due()
    assert len(mail.outbox) == 3  # booked, link ready, cancelled
    for message in mail.outbox:
        assert "zoom.us/j/" not in message.body
        for _name, content, _mime in message.attachments:
            text = content.decode() if isinstance(content, bytes) else content
            assert "zoom.us/j/" not in text
    assert f"/consultations/{consultation.pk}/" in mail.outbox[1].body


def test_employers_and_unregistered_people_are_told_why_and_whom_to_call(
    frozen, office, counselor, zoom
):
    # REQ CON-6
    employer = EmployerFactory(office=office)
    about_to = UserFactory(office=office, jobseeker_number_status="about_to_register")
    for user in (employer, about_to):
        with pytest.raises(ValidationError) as refused:
            request(user, zoom)
        assert office.phone in refused.value.messages[0]
    OnlineApproval.objects.create(user=about_to, approved_by=counselor)
    about_to.refresh_from_db()
    assert request(about_to, zoom).status == Status.CONFIRMED


def test_a_counselor_is_never_held_twice_across_booths_and_online(
    frozen, office, seeker, counselor, zoom
):
    # REQ CON-7: a booth session with the counselor takes them out of the online slot
    booth = Booth.objects.create(office=office, name="ブースA")
    ReservationFactory(booth=booth, starts_at=SLOT_AT, counselor=counselor)
    with pytest.raises(bookings.SlotTakenError):
        request(seeker, zoom, counselor=counselor)
    _closed, slots = availability.day_view(office, SLOT_AT.date(), now=NOW)
    assert next(s for s in slots if s.starts_at == SLOT_AT).state == "taken"


def test_the_database_refuses_a_second_hold_and_an_active_booking_without_one(
    frozen, office, seeker, counselor, zoom
):
    # REQ CON-7: enforced by the database, whatever the code does
    request(seeker, zoom)
    with pytest.raises(IntegrityError), transaction.atomic():
        CounselorHold.objects.create(counselor=counselor, starts_at=SLOT_AT)
    booth = Booth.objects.create(office=office, name="ブースB")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            booth=booth,
            starts_at=SLOT_AT,
            ends_at=SLOT_AT + datetime.timedelta(minutes=30),
            counselor=counselor,
            purpose="job_consultation",
            requester_name="x",
            phone="0",
        )


def test_a_booth_session_for_a_counselor_held_online_is_a_clear_field_error(
    frozen, office, seeker, counselor, zoom
):
    # REQ CON-7: the database error becomes a message next to the counselor field
    request(seeker, zoom)
    booth = Booth.objects.create(office=office, name="ブースC")
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    with pytest.raises(bookings.CounselorBusyError) as busy:
        bookings.booking_set_counselor(booking=reservation, staff=counselor, counselor=counselor)
    assert "counselor" in busy.value.error_dict


def test_cancelling_frees_the_counselor_for_the_next_person(
    frozen, office, seeker, counselor, zoom
):
    # REQ CON-5, CON-7
    consultation = request(seeker, zoom)
    bookings.booking_cancel_online(booking=consultation, user=seeker, now=NOW)
    assert not CounselorHold.objects.exists()
    other = UserFactory(office=office)
    assert request(other, zoom).counselor == counselor


def test_nobody_joining_is_a_no_show_at_once_and_the_job_records_it_once(
    seeker, counselor, zoom, frozen
):
    # REQ CON-5, BTH-6: true before the job runs; the job frees the counselor and mails once
    consultation = request(seeker, zoom)
    late = SLOT_AT + datetime.timedelta(minutes=10)
    assert Consultation.objects.with_state(late).get().state == Status.NO_SHOW
    assert Consultation.objects.with_state(late - datetime.timedelta(seconds=1)).get().state == (
        Status.CONFIRMED
    )
    assert bookings.record_overdue_no_shows(now=late) == 1
    assert bookings.record_overdue_no_shows(now=late) == 0
    consultation.refresh_from_db()
    assert consultation.status == Status.NO_SHOW and consultation.counselor_hold is None
    assert not CounselorHold.objects.exists()


def test_joining_in_time_keeps_the_consultation(rf, seeker, counselor, zoom, frozen):
    # REQ CON-5: the participant joined, so the 10-minute rule does not apply
    consultation = request(seeker, zoom)
    services.consultation_set_join_url(
        consultation=consultation, staff=counselor, video_tool=zoom, join_url="https://zoom.us/j/1"
    )
    services.consultation_join(
        consultation=consultation,
        user=seeker,
        request=rf.get("/"),
        checklist=checklist(zoom),
        now=SLOT_AT + datetime.timedelta(minutes=2),
    )
    later = SLOT_AT + datetime.timedelta(minutes=20)
    assert Consultation.objects.with_state(later).get().state == Status.CONFIRMED


def test_no_shows_of_both_services_count_for_the_approval_rule(
    frozen, office, seeker, counselor, zoom
):
    # REQ BTH-7, CON-5: one rule over booth reservations and online consultations
    booth = Booth.objects.create(office=office, name="ブースD")
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10), status="no_show")
    Consultation.objects.create(
        office=office,
        user=seeker,
        counselor=counselor,
        starts_at=tokyo(2026, 11, 4, 10),
        ends_at=tokyo(2026, 11, 4, 10, 30),
        video_tool=zoom,
        purpose="job_consultation",
        requester_name="x",
        phone="0",
        status=Status.NO_SHOW,
    )
    consultation = request(seeker, zoom)
    assert consultation.needs_approval and consultation.status == Status.REQUESTED


def test_a_booth_no_show_and_a_consultation_no_show_with_the_same_id_both_count(
    frozen, office, seeker, counselor, zoom
):
    # REQ BTH-7: the count runs over both tables at once and keeps equal ids of each apart
    booth = Booth.objects.create(office=office, name="ブースE")
    ReservationFactory(
        pk=90001, booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10), status="no_show"
    )
    Consultation.objects.create(
        pk=90001,
        office=office,
        user=seeker,
        counselor=counselor,
        starts_at=tokyo(2026, 11, 4, 10),
        ends_at=tokyo(2026, 11, 4, 10, 30),
        video_tool=zoom,
        purpose="job_consultation",
        requester_name="x",
        phone="0",
        status=Status.NO_SHOW,
    )
    assert rules.no_contact_cancellations(seeker, office, now=NOW) == 2


def test_a_person_holds_at_most_the_office_cap_of_future_consultations(
    frozen, office, seeker, counselor, zoom
):
    # REQ NFR-3: the cap is checked inside the booking transaction
    request(seeker, zoom, starts_at=SLOT_AT)
    request(seeker, zoom, starts_at=SLOT_AT + datetime.timedelta(minutes=30))
    with pytest.raises(ValidationError) as capped:
        request(seeker, zoom, starts_at=SLOT_AT + datetime.timedelta(hours=1))
    assert capped.value.code == "cap"


def test_cancel_and_move_online_end_at_the_deadline(frozen, seeker, counselor, zoom):
    # REQ CON-5, BTH-4: until 17:00 the business day before; then the user phones
    consultation = request(seeker, zoom)
    after_cutoff = tokyo(2026, 11, 17, 17, 0)
    assert bookings.user_may_change(consultation, tokyo(2026, 11, 17, 16, 59))
    assert not bookings.user_may_change(consultation, after_cutoff)
    with pytest.raises(ValidationError):
        bookings.booking_cancel_online(booking=consultation, user=seeker, now=after_cutoff)
    moved = services.consultation_move_by_user(
        consultation=consultation, user=seeker, starts_at=tokyo(2026, 11, 19, 14), now=NOW
    )
    assert moved.starts_at == tokyo(2026, 11, 19, 14) and moved.sequence == 1
    assert CounselorHold.objects.get().starts_at == tokyo(2026, 11, 19, 14)


def test_a_closure_on_a_day_with_bookings_is_refused(frozen, office, seeker, counselor, zoom):
    # REQ CON-1, OFF-2
    request(seeker, zoom)
    with pytest.raises(ValidationError):
        closure_create(office=office, date=SLOT_AT.date(), reason="点検", staff=counselor)
    assert not OfficeClosure.objects.exists()
    closure_create(office=office, date=tokyo(2026, 11, 19).date(), reason="", staff=counselor)


def test_withdrawing_a_booked_slot_is_refused(frozen, seeker, counselor, zoom):
    # REQ CON-1
    request(seeker, zoom)
    with pytest.raises(ValidationError):
        services.availability_withdraw_slot(counselor=counselor, starts_at=SLOT_AT, staff=counselor)
    services.availability_withdraw_slot(
        counselor=counselor, starts_at=SLOT_AT + datetime.timedelta(hours=1), staff=counselor
    )


def test_account_deletion_erases_the_terminal_data_of_joins(rf, seeker, counselor, zoom, frozen):
    # REQ REG-5, LOG-1: the join stays counted, the IP address and browser go
    from accounts.services import account_delete
    from consultations.models import ConsultationJoin

    consultation = request(seeker, zoom)
    services.consultation_set_join_url(
        consultation=consultation, staff=counselor, video_tool=zoom, join_url="https://zoom.us/j/1"
    )
    services.consultation_join(
        consultation=consultation,
        user=seeker,
        request=rf.get("/", HTTP_USER_AGENT="Browser/1", REMOTE_ADDR="203.0.113.9"),
        checklist=checklist(zoom),
        now=SLOT_AT,
    )
    account_delete(user=seeker, now=SLOT_AT + datetime.timedelta(hours=1))
    join = ConsultationJoin.objects.get()
    assert join.ip_address is None and join.user_agent == ""


def test_the_database_refuses_a_participants_first_join_without_the_checklist(
    seeker, counselor, zoom, frozen
):
    # REQ CON-4: whoever writes it; staff joining, and the participant's later joins, need none
    from django.db import IntegrityError, transaction

    from consultations.models import ConsultationJoin

    consultation = request(seeker, zoom)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationJoin.objects.create(consultation=consultation, user=seeker)
    ConsultationJoin.objects.create(consultation=consultation, user=counselor)
    ConsultationJoin.objects.create(consultation=consultation, user=seeker, **checklist(zoom))
    ConsultationJoin.objects.create(consultation=consultation, user=seeker)
    assert ConsultationJoin.objects.filter(user=seeker).count() == 2


def test_join_records_are_append_only(seeker, counselor, zoom, frozen):
    # REQ CON-4, LOG-1: the confirmation can't be edited afterwards, raw SQL included
    from django.core.exceptions import ValidationError as ModelRefusal
    from django.db import DatabaseError, connection, transaction

    from consultations.models import ConsultationJoin

    join = ConsultationJoin.objects.create(
        consultation=request(seeker, zoom), user=seeker, **checklist(zoom)
    )
    with pytest.raises(ModelRefusal):
        ConsultationJoin.objects.filter(pk=join.pk).update(tool_terms_accepted=False)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consultations_consultationjoin SET tool_name = 'x' WHERE id = %s", [join.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM consultations_consultationjoin WHERE id = %s", [join.pk])
    join.refresh_from_db()
    assert join.tool_name == "Zoom" and join.tool_terms_accepted
