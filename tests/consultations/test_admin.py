"""The counselor side of online consultations in the admin (REQ CON-1, CON-2, CON-5, CON-6,
CON-7, STF-1, STF-2, OFF-2)."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import AccessKind, AccessRecord
from bookings.models import Status
from booths.models import Reservation
from consultations.eligibility import online_eligibility_reason
from consultations.models import (
    AvailabilityException,
    AvailabilityPattern,
    Consultation,
    ConsultationJoin,
    CounselorVideoDefault,
    OnlineApproval,
    VideoTool,
)
from core.outbox import outbox_deliver_due
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.booths.test_admin import counselor as office_staff_member
from tests.consultations.conftest import checklist
from tests.consultations.factories import ConsultationFactory, VideoToolFactory
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, office):
    return login_client(client, office_staff_member(office))


@pytest.fixture
def consultation(office, counselor, zoom, seeker):
    return ConsultationFactory(
        office=office, counselor=counselor, video_tool=zoom, user=seeker, starts_at=SLOT_AT
    )


def url(name, *args):
    return reverse(f"admin:consultations_{name}", args=args)


def changelist(client, **params):
    response = client.get(url("consultation_changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- Office scoping (STF-2) ---------------------------------------------------------------------


def test_staff_see_and_change_only_their_own_offices_consultations(
    frozen, staff_client, consultation, other_office
):
    # REQ STF-2
    theirs = ConsultationFactory(office=other_office, requester_name="他所 花子")
    assert changelist(staff_client) == [consultation]
    assert staff_client.get(url("consultation_change", consultation.pk)).status_code == 200
    assert staff_client.get(url("consultation_change", theirs.pk)).status_code in (302, 404)
    for name in ("confirm", "link", "move", "book_next"):
        assert staff_client.get(url(f"consultation_{name}", theirs.pk)).status_code == 404
    response = staff_client.post(
        url("consultation_link", theirs.pk),
        {"video_tool": theirs.video_tool_id, "join_url": "https://zoom.us/j/1"},
    )
    assert response.status_code == 404
    staff_client.post(
        url("consultation_changelist"),
        {"action": "cancel_by_phone", "_selected_action": [theirs.pk]},
    )
    theirs.refresh_from_db()
    assert (theirs.status, theirs.join_url) == (Status.CONFIRMED, "")


def test_other_offices_tools_patterns_and_approvals_are_hidden(
    frozen, staff_client, office, zoom, other_office
):
    # REQ STF-2
    foreign_tool = VideoToolFactory(office=other_office, name="他所Zoom")
    foreign_counselor = StaffFactory(office=other_office)
    pattern = AvailabilityPattern.objects.create(
        counselor=foreign_counselor,
        office=other_office,
        weekday=0,
        starts_at=datetime.time(9),
        ends_at=datetime.time(12),
        valid_from=datetime.date(2026, 1, 1),
    )
    approval = OnlineApproval.objects.create(user=UserFactory(office=other_office))
    response = staff_client.get(url("videotool_changelist"))
    assert list(response.context["cl"].result_list) == [zoom]
    assert staff_client.get(url("videotool_change", foreign_tool.pk)).status_code in (302, 404)
    assert staff_client.get(url("availabilitypattern_change", pattern.pk)).status_code in (302, 404)
    assert staff_client.get(url("onlineapproval_change", approval.pk)).status_code in (302, 404)
    assert not staff_client.get(url("onlineapproval_changelist")).context["cl"].result_list


@pytest.mark.parametrize(
    "model",
    [
        "videotool",
        "counselorvideodefault",
        "availabilitypattern",
        "availabilityexception",
        "onlineapproval",
    ],
)
def test_every_counselor_page_opens_for_staff(frozen, staff_client, consultation, model):
    # REQ STF-1: lists and add forms of each admin answer (the consultation list too)
    assert staff_client.get(url(f"{model}_changelist")).status_code == 200
    assert staff_client.get(url(f"{model}_add")).status_code == 200
    for params in ({}, {"link": "missing_soon"}, {"state": "no_show"}, {"approval": "awaiting"}):
        assert staff_client.get(url("consultation_changelist"), params).status_code == 200


def test_the_counselor_filter_offers_the_offices_staff_only(
    frozen, staff_client, consultation, counselor, other_office
):
    # REQ STF-2: never the people who book, never another office's staff
    StaffFactory(office=other_office, last_name="他所")
    response = staff_client.get(url("consultation_changelist"))
    counselor_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "counselor"
    )
    choices = {pk for pk, _label in counselor_filter.lookup_choices}
    assert str(counselor.pk) in choices
    assert str(consultation.user_id) not in choices
    office_staff_ids = {
        str(pk)
        for pk in StaffFactory._meta.model.objects.filter(
            office=counselor.office, is_staff=True
        ).values_list("pk", flat=True)
    }
    assert choices <= office_staff_ids


# --- One-click actions (CON-5, STF-1) ----------------------------------------------------------


def act(client, action, consultation):
    response = client.post(
        url("consultation_changelist"),
        {"action": action, "_selected_action": [consultation.pk]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url("consultation_changelist")
    consultation.refresh_from_db()
    return consultation


def test_each_one_click_action_works_on_a_consultation(
    frozen, staff_client, office, counselor, zoom
):
    # REQ CON-5, STF-1: the same transitions as for booths
    def make(starts_at, **fields):
        fields.setdefault("counselor", counselor)
        return ConsultationFactory(office=office, video_tool=zoom, starts_at=starts_at, **fields)

    requested = make(SLOT_AT, status=Status.REQUESTED, confirmed_at=None)
    assert act(staff_client, "confirm_phoned_now", requested).status == Status.CONFIRMED
    assert requested.confirmed_at is not None

    phoned = make(tokyo(2026, 11, 19, 10, 0))
    cancelled = act(staff_client, "cancel_by_phone", phoned)
    assert (cancelled.status, cancelled.cancelled_via) == (Status.CANCELLED, "phone")

    now_one = make(tokyo(2026, 11, 16, 10, 0))
    assert act(staff_client, "start", now_one).status == Status.CHECKED_IN
    assert now_one.actual_started_at == tokyo(2026, 11, 16, 10, 0)
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    assert act(staff_client, "complete", now_one).status == Status.COMPLETED
    assert now_one.actual_ended_at == tokyo(2026, 11, 16, 10, 25)

    late = make(tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 35))
    assert act(staff_client, "record_late_contact", late).late_contact_at is not None
    assert act(staff_client, "mark_no_show", late).status == Status.NO_SHOW

    frozen.move_to(tokyo(2026, 11, 16, 10, 45))
    absent = make(tokyo(2026, 11, 16, 10, 30), counselor=StaffFactory(office=office))
    assert absent.current_state() == Status.NO_SHOW
    reinstated = act(staff_client, "reinstate", absent)
    assert reinstated.reinstated_at is not None
    assert reinstated.current_state() == Status.CONFIRMED


def test_confirm_after_a_phone_call_records_the_call(frozen, staff_client, consultation):
    # REQ CON-5, STF-1
    Consultation.objects.filter(pk=consultation.pk).update(
        status=Status.REQUESTED, confirmed_at=None
    )
    target = url("consultation_confirm", consultation.pk)
    assert staff_client.get(target).status_code == 200
    assert staff_client.post(target, {"phoned_at": "2026-11-16T09:40"}).status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.CONFIRMED
    assert consultation.phoned_at == tokyo(2026, 11, 16, 9, 40)


def test_change_page_shows_the_join_records_read_only(frozen, staff_client, consultation):
    # REQ CON-3, LOG-1: staff see every join with its address and browser
    ConsultationJoin.objects.create(
        consultation=consultation,
        user=consultation.user,
        ip_address="203.0.113.7",
        user_agent="UA",
        **checklist(consultation.video_tool),
    )
    response = staff_client.get(url("consultation_change", consultation.pk))
    html = response.content.decode()
    assert "203.0.113.7" in html
    # REQ CON-4: what the person confirmed before joining, the tool's terms as shown
    assert consultation.video_tool.terms_url in html
    assert "ビデオ通話ツールの利用規約に同意" in html
    assert 'name="joins-0-ip_address"' not in html
    assert not response.context["adminform"].form.fields
    assert 'name="_save"' not in html


# --- The meeting link (CON-2) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "http://zoom.us/j/123",
        "https://zoom.us.evil.example/j/123",
        "https://user@zoom.us/j/123",
        "zoom.us/j/123",
        "https://zoom.us/j/" + "1" * 600,
    ],
)
def test_a_bad_meeting_link_is_refused_next_to_the_field(
    frozen, staff_client, consultation, zoom, link
):
    # REQ CON-2
    response = staff_client.post(
        url("consultation_link", consultation.pk), {"video_tool": zoom.pk, "join_url": link}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["join_url"]
    consultation.refresh_from_db()
    assert consultation.join_url == ""


def test_a_valid_meeting_link_is_saved_and_the_participant_told_once(
    frozen, staff_client, consultation, zoom
):
    # REQ CON-2, NTF-1
    target = url("consultation_link", consultation.pk)
    response = staff_client.post(target, {"video_tool": zoom.pk, "join_url": "https://zoom.us/j/1"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.join_url == "https://zoom.us/j/1"
    assert consultation.join_url_set_at == tokyo(2026, 11, 16, 10, 0)
    staff_client.post(target, {"video_tool": zoom.pk, "join_url": "https://us02web.zoom.us/j/2"})
    consultation.refresh_from_db()
    assert consultation.join_url == "https://us02web.zoom.us/j/2"
    outbox_deliver_due()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [consultation.user.email]
    assert "https://" not in mail.outbox[0].body


def test_the_link_form_is_prefilled_with_the_counselors_default(
    frozen, staff_client, consultation, counselor, zoom
):
    # REQ CON-2
    CounselorVideoDefault.objects.create(
        counselor=counselor, video_tool=zoom, join_url="https://zoom.us/my/counselor1"
    )
    response = staff_client.get(url("consultation_link", consultation.pk))
    assert response.context["form"].initial["join_url"] == "https://zoom.us/my/counselor1"


def test_consultations_without_a_link_close_to_the_start_are_listed_to_fix(
    frozen, staff_client, office, counselor, zoom
):
    # REQ CON-2
    def make(starts_at, link=""):
        return ConsultationFactory(
            office=office, counselor=counselor, video_tool=zoom, starts_at=starts_at, join_url=link
        )

    soon = make(tokyo(2026, 11, 17, 10, 0))
    make(tokyo(2026, 11, 17, 11, 0), link="https://zoom.us/j/1")
    make(tokyo(2026, 11, 25, 10, 0))
    assert changelist(staff_client, link="missing_soon") == [soon]


def test_a_default_meeting_link_is_checked_against_the_tools_hosts(
    frozen, staff_client, counselor, zoom
):
    # REQ CON-2
    add = url("counselorvideodefault_add")
    data = {"counselor": counselor.pk, "video_tool": zoom.pk}
    response = staff_client.post(add, {**data, "join_url": "https://zoom.us.evil.example/j/1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["join_url"]
    assert not CounselorVideoDefault.objects.exists()
    response = staff_client.post(add, {**data, "join_url": "https://zoom.us/my/counselor1"})
    assert response.status_code == 302
    assert CounselorVideoDefault.objects.get().join_url == "https://zoom.us/my/counselor1"


def test_a_video_tool_takes_host_names_only(frozen, staff_client, office):
    # REQ CON-2
    add = url("videotool_add")
    data = {"office": office.pk, "name": "ELMO", "kind": "elmo", "is_active": "on"}
    response = staff_client.post(add, {**data, "allowed_hosts": "https://elmo.example/"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["allowed_hosts"]
    response = staff_client.post(add, {**data, "allowed_hosts": "Meet.Elmo.example\n"})
    # REQ CON-4: an offered tool names its own terms of use
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["terms_url"]
    data["terms_url"] = "https://elmo.example/terms"
    response = staff_client.post(add, {**data, "allowed_hosts": "Meet.Elmo.example\n"})
    assert response.status_code == 302
    assert VideoTool.objects.get(name="ELMO").host_list() == ["meet.elmo.example"]


# --- Move, book next, book for a caller (STF-1, CON-5, CON-7) --------------------------------


def busy_counselor(office, counselor, starts_at):
    """The counselor holds a booth session in the slot (REQ CON-7)."""
    return ReservationFactory(
        booth=BoothFactory(office=office), counselor=counselor, starts_at=starts_at
    )


def test_staff_move_a_consultation_to_another_slot(frozen, staff_client, consultation, counselor):
    # REQ CON-5, STF-1
    target = url("consultation_move", consultation.pk)
    assert staff_client.get(target).status_code == 200
    data = {"counselor": counselor.pk, "date": "2026-11-19", "time": "14:00"}
    assert staff_client.post(target, data).status_code == 302
    consultation.refresh_from_db()
    assert consultation.starts_at == tokyo(2026, 11, 19, 14, 0)
    assert consultation.counselor_hold.starts_at == tokyo(2026, 11, 19, 14, 0)
    # REQ STF-2: who moved it, and when, is in the admin's history
    entry = LogEntry.objects.get(object_id=str(consultation.pk))
    assert entry.user.office == consultation.office and entry.is_change()


def test_moving_to_a_slot_the_counselor_spends_in_a_booth_is_refused(
    frozen, staff_client, office, consultation, counselor
):
    # REQ CON-7: a clear error next to the counselor, not a 500
    busy_counselor(office, counselor, tokyo(2026, 11, 19, 14, 0))
    response = staff_client.post(
        url("consultation_move", consultation.pk),
        {"counselor": counselor.pk, "date": "2026-11-19", "time": "14:00"},
    )
    assert response.status_code == 200
    assert "counselor" in response.context["form"].errors
    consultation.refresh_from_db()
    assert consultation.starts_at == SLOT_AT
    assert consultation.counselor_hold.starts_at == SLOT_AT


def test_moving_to_a_counselor_of_another_office_is_refused(
    frozen, staff_client, consultation, other_office
):
    # REQ STF-2
    stranger = StaffFactory(office=other_office)
    response = staff_client.post(
        url("consultation_move", consultation.pk),
        {"counselor": stranger.pk, "date": "2026-11-19", "time": "14:00"},
    )
    assert response.status_code == 200 and "counselor" in response.context["form"].errors
    consultation.refresh_from_db()
    assert consultation.starts_at == SLOT_AT


def test_staff_book_the_next_consultation_during_one(
    frozen, staff_client, office, counselor, zoom, seeker
):
    # REQ CON-5 (BTH-9)
    current = ConsultationFactory(
        office=office,
        counselor=counselor,
        video_tool=zoom,
        user=seeker,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CHECKED_IN,
    )
    target = url("consultation_book_next", current.pk)
    busy_counselor(office, counselor, tokyo(2026, 11, 30, 10, 0))
    response = staff_client.post(target, {"date": "2026-11-30", "time": "10:00"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() or response.context["form"].errors
    assert Consultation.objects.count() == 1
    response = staff_client.post(target, {"date": "2026-11-30", "time": "10:30"})
    assert response.status_code == 302
    following = Consultation.objects.exclude(pk=current.pk).get()
    assert (following.user, following.counselor, following.status) == (
        seeker,
        counselor,
        Status.CONFIRMED,
    )
    assert following.starts_at == tokyo(2026, 11, 30, 10, 30)


def test_staff_book_a_consultation_for_a_caller(
    frozen, staff_client, office, counselor, zoom, seeker, other_office
):
    # REQ STF-1, CON-7
    target = url("consultation_book")
    page = staff_client.get(url("consultation_changelist")).content.decode()
    assert target in page
    assert staff_client.get(target).status_code == 200
    data = {
        "counselor": counselor.pk,
        "date": "2026-11-17",
        "time": "10:00",
        "purpose": "job_consultation",
        "video_tool": zoom.pk,
    }
    stranger = UserFactory(office=other_office, username="stranger")
    response = staff_client.post(target, {**data, "caller": stranger.pk})
    assert response.status_code == 200 and "caller" in response.context["form"].errors
    busy_counselor(office, counselor, tokyo(2026, 11, 17, 10, 0))
    response = staff_client.post(target, {**data, "caller": seeker.pk})
    assert response.status_code == 200 and "counselor" in response.context["form"].errors
    assert not Consultation.objects.exists()
    response = staff_client.post(target, {**data, "time": "10:30", "caller": seeker.pk})
    assert response.status_code == 302
    booked = Consultation.objects.get()
    assert (booked.user, booked.status, booked.source) == (seeker, Status.CONFIRMED, "staff")
    assert Reservation.objects.count() == 1


@pytest.mark.parametrize(
    "day, time", [("2026-11-21", "10:00"), ("2026-11-17", "10:15"), ("x", "y")]
)
def test_slot_forms_refuse_days_and_times_off_the_grid(
    frozen, staff_client, consultation, counselor, day, time
):
    # REQ OFF-2, OFF-3: a weekend or a quarter past is a form error, never a 500
    response = staff_client.post(
        url("consultation_move", consultation.pk),
        {"counselor": counselor.pk, "date": day, "time": time},
    )
    assert response.status_code == 200 and response.context["form"].errors
    consultation.refresh_from_db()
    assert consultation.starts_at == SLOT_AT


# --- Closures and availability (OFF-2, CON-1) --------------------------------------------------


def wednesday_pattern(counselor):
    return AvailabilityPattern.objects.get(counselor=counselor, weekday=2)


def pattern_data(counselor, **changes):
    return {
        "counselor": counselor.pk,
        "weekday": 2,
        "starts_at": "09:00",
        "ends_at": "17:00",
        "valid_from": "2026-01-01",
        "valid_until": "",
        **changes,
    }


def test_a_pattern_change_that_uncovers_a_booking_is_refused(
    frozen, staff_client, counselor, consultation
):
    # REQ CON-1: the booking on Wednesday 10:00 must stay covered
    pattern = wednesday_pattern(counselor)
    target = url("availabilitypattern_change", pattern.pk)
    response = staff_client.post(target, pattern_data(counselor, starts_at="13:00"))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    pattern.refresh_from_db()
    assert pattern.starts_at == datetime.time(9)
    response = staff_client.post(target, pattern_data(counselor, valid_until="2026-11-17"))
    assert response.status_code == 200
    response = staff_client.post(target, pattern_data(counselor, ends_at="12:00"))
    assert response.status_code == 302
    pattern.refresh_from_db()
    assert pattern.ends_at == datetime.time(12)


def test_deleting_a_pattern_that_covers_a_booking_is_refused(
    frozen, staff_client, counselor, consultation
):
    # REQ CON-1
    pattern = wednesday_pattern(counselor)
    response = staff_client.post(url("availabilitypattern_delete", pattern.pk), {"post": "yes"})
    assert response.status_code == 302
    assert AvailabilityPattern.objects.filter(pk=pattern.pk).exists()
    monday = AvailabilityPattern.objects.get(counselor=counselor, weekday=0)
    staff_client.post(url("availabilitypattern_delete", monday.pk), {"post": "yes"})
    assert not AvailabilityPattern.objects.filter(pk=monday.pk).exists()


@pytest.mark.parametrize(
    "field, value", [("starts_at", "09:15"), ("starts_at", "08:00"), ("ends_at", "17:30")]
)
def test_patterns_keep_to_the_office_grid(frozen, staff_client, office, field, value):
    # REQ CON-1, OFF-3
    newcomer = StaffFactory(office=office)
    response = staff_client.post(
        url("availabilitypattern_add"), pattern_data(newcomer, **{field: value})
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not AvailabilityPattern.objects.filter(counselor=newcomer).exists()
    response = staff_client.post(url("availabilitypattern_add"), pattern_data(newcomer))
    assert response.status_code == 302
    assert AvailabilityPattern.objects.get(counselor=newcomer).office == office


def exception_data(counselor, day, time, kind):
    return {"counselor": counselor.pk, "starts_at_0": day, "starts_at_1": time, "kind": kind}


def test_withdrawing_a_booked_slot_is_refused_next_to_the_field(
    frozen, staff_client, counselor, consultation
):
    # REQ CON-1
    add = url("availabilityexception_add")
    response = staff_client.post(add, exception_data(counselor, "2026-11-18", "10:00", "withdrawn"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_at"]
    assert not AvailabilityException.objects.exists()
    response = staff_client.post(add, exception_data(counselor, "2026-11-18", "11:00", "withdrawn"))
    assert response.status_code == 302
    assert AvailabilityException.objects.get().starts_at == tokyo(2026, 11, 18, 11, 0)


def test_withdrawing_a_slot_held_by_a_booth_session_is_refused(
    frozen, staff_client, office, counselor
):
    # REQ CON-1, CON-7
    busy_counselor(office, counselor, tokyo(2026, 11, 19, 10, 0))
    response = staff_client.post(
        url("availabilityexception_add"),
        exception_data(counselor, "2026-11-19", "10:00", "withdrawn"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_at"]
    assert not AvailabilityException.objects.exists()


def test_an_extra_slot_with_a_booking_cannot_be_deleted(frozen, staff_client, office, zoom):
    # REQ CON-1: the extra slot is all that covers the booking
    newcomer = StaffFactory(office=office)
    add = url("availabilityexception_add")
    response = staff_client.post(add, exception_data(newcomer, "2026-11-20", "15:00", "extra"))
    assert response.status_code == 302
    extra = AvailabilityException.objects.get()
    ConsultationFactory(
        office=office, counselor=newcomer, video_tool=zoom, starts_at=tokyo(2026, 11, 20, 15, 0)
    )
    staff_client.post(url("availabilityexception_delete", extra.pk), {"post": "yes"})
    assert AvailabilityException.objects.filter(pk=extra.pk).exists()
    response = staff_client.post(
        url("availabilityexception_change", extra.pk),
        exception_data(newcomer, "2026-11-20", "15:30", "extra"),
    )
    assert response.status_code == 200
    extra.refresh_from_db()
    assert extra.starts_at == tokyo(2026, 11, 20, 15, 0)


@pytest.mark.parametrize(
    "day, time", [("2026-11-21", "10:00"), ("2026-11-23", "10:00"), ("2026-11-18", "10:10")]
)
def test_single_slots_are_slots_of_the_office_calendar(frozen, staff_client, counselor, day, time):
    # REQ CON-1, OFF-2: a Saturday, a national holiday, a time off the grid
    response = staff_client.post(
        url("availabilityexception_add"), exception_data(counselor, day, time, "extra")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_at"]


# --- Approval (CON-6) ------------------------------------------------------------------------


def test_the_office_approves_someone_by_login_id(frozen, client, office, other_office):
    # REQ CON-6, STF-2
    staff = office_staff_member(office)
    staff_client = login_client(client, staff)
    employer = UserFactory(office=office, username="kojin", user_type="employer")
    UserFactory(office=other_office, username="yoso")
    assert online_eligibility_reason(employer) is not None
    add = url("onlineapproval_add")
    response = staff_client.post(add, {"username": "yoso", "note": ""})
    assert response.status_code == 200 and response.context["adminform"].form.errors["username"]
    response = staff_client.post(add, {"username": "kojin", "note": "窓口で確認"})
    assert response.status_code == 302
    approval = OnlineApproval.objects.get()
    assert (approval.user, approval.approved_by) == (employer, staff)
    employer.refresh_from_db()
    assert online_eligibility_reason(employer) is None


@pytest.mark.parametrize(
    "day, time", [("0001-01-01", "10:00"), ("9999-12-31", "23:30"), ("2026-02-30", "10:00")]
)
def test_extreme_dates_are_form_errors_not_server_errors(
    frozen, staff_client, consultation, counselor, day, time
):
    # REQ NFR-3: bounded input, no 5xx
    response = staff_client.post(
        url("availabilityexception_add"), exception_data(counselor, day, time, "withdrawn")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    response = staff_client.post(
        url("availabilitypattern_add"), pattern_data(counselor, valid_from=day, valid_until=day)
    )
    assert response.status_code in (200, 302)
    for name in ("move", "book_next"):
        response = staff_client.post(
            url(f"consultation_{name}", consultation.pk),
            {"counselor": counselor.pk, "date": day, "time": time},
        )
        assert response.status_code == 200 and response.context["form"].errors


def test_a_superuser_sees_every_offices_consultations(frozen, client, consultation, other_office):
    # REQ STF-2: superusers are not bound to one office
    theirs = ConsultationFactory(office=other_office)
    superuser = staff_with_mfa(office=None, is_superuser=True)
    admin_client = login_client(client, superuser)
    assert set(changelist(admin_client)) == {consultation, theirs}
    for name in ("consultation_book", "videotool_add", "availabilitypattern_add"):
        assert admin_client.get(url(name)).status_code == 200
    assert admin_client.get(url("consultation_link", theirs.pk)).status_code == 200


# --- Book for a caller: the search and the video tool (issue 22) -------------------------------


def find_caller(client, query, **slot):
    return client.post(url("consultation_book"), {"caller_query": query, "_find": "1", **slot})


def listed(response) -> set:
    return {
        int(value) for value, _label in response.context["form"].fields["caller"].widget.choices
    }


def test_staff_find_the_caller_by_name_kana_number_or_phone_within_their_office(
    frozen, staff_client, office, other_office
):
    # REQ STF-1, STF-2: no login ID needed; another office's namesake is never listed
    hanako = UserFactory(
        office=office,
        last_name="山田",
        first_name="花子",
        name_kana="ヤマダ　ハナコ",
        phone="0173-11-2222",
        jobseeker_number="02010-12345678",
        jobseeker_number_status="number",
    )
    UserFactory(office=office, last_name="佐藤", first_name="一郎", name_kana="サトウ　イチロウ")
    UserFactory(
        office=other_office, last_name="山田", first_name="花子", name_kana="ヤマダ　ハナコ"
    )
    StaffFactory(office=office, last_name="山田", first_name="花子")
    for query in (
        "山田 花子",
        "山田花子",
        "やまだ はなこ",
        "ﾔﾏﾀﾞ",
        "０２０１０－１２３４５６７８",
        "0173112222",
        hanako.username,
    ):
        response = find_caller(staff_client, query)
        assert response.status_code == 200
        assert listed(response) == {hanako.pk}, query
        assert not response.context["form"].errors
    assert listed(find_caller(staff_client, "田中")) == set()


def test_the_caller_search_is_posted_and_leaves_an_access_record(
    frozen, staff_client, office, counselor
):
    # REQ LOG-1, LOG-2: the typed name never reaches a URL; the people listed are recorded
    hanako = UserFactory(office=office, last_name="山田", first_name="花子", name_kana="ヤマダ")
    page = staff_client.get(url("consultation_book"), {"caller_query": "山田"})
    assert hanako.pk not in listed(page)
    assert not AccessRecord.objects.filter(kind=AccessKind.CALLER_SEARCH).exists()
    html = page.content.decode()
    form = html[html.index('<form method="post"') :]
    assert 'name="caller_query"' in form and 'name="_find"' in form
    response = find_caller(staff_client, "山田", counselor=counselor.pk, date="2026-11-17")
    assert listed(response) == {hanako.pk}
    assert f"{hanako.last_name} {hanako.first_name}" in response.content.decode()
    record = AccessRecord.objects.get(kind=AccessKind.CALLER_SEARCH)
    assert record.subjects == [hanako.pk] and "山田" not in record.path
    # The search keeps what was filled in, and shows no error for what was not yet.
    assert response.context["form"]["date"].value() == "2026-11-17"
    assert 'class="errorlist' not in response.content.decode()


def test_staff_book_the_caller_they_found(frozen, staff_client, office, counselor, zoom):
    # REQ STF-1
    hanako = UserFactory(office=office, last_name="山田", first_name="花子")
    data = {
        "caller_query": "山田",
        "counselor": counselor.pk,
        "date": "2026-11-17",
        "time": "10:00",
        "purpose": "job_consultation",
        "video_tool": zoom.pk,
    }
    assert listed(staff_client.post(url("consultation_book"), {**data, "_find": "1"})) == {
        hanako.pk
    }
    response = staff_client.post(url("consultation_book"), {**data, "caller": hanako.pk})
    assert response.status_code == 302
    assert Consultation.objects.get().user == hanako


def test_the_video_tool_is_chosen_by_staff_never_by_default(
    frozen, staff_client, office, counselor, zoom, seeker
):
    # REQ STF-1, NFR-2: no tool is checked for staff; a missing one is an error at the field
    VideoToolFactory(office=office, name="ELMO", kind="elmo", allowed_hosts="elmo.example.jp")
    page = staff_client.get(url("consultation_book"))
    assert page.context["form"]["video_tool"].value() is None
    assert 'name="video_tool" value' in page.content.decode()
    assert " checked" not in page.content.decode().split('name="video_tool"')[1][:200]
    response = staff_client.post(
        url("consultation_book"),
        {
            "caller": seeker.pk,
            "counselor": counselor.pk,
            "date": "2026-11-17",
            "time": "10:00",
            "purpose": "job_consultation",
        },
    )
    assert response.status_code == 200 and not Consultation.objects.exists()
    assert response.context["form"].errors["video_tool"] == [
        gettext("Choose the video tool the person will use.")
    ]
