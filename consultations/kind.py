"""An online consultation as a kind of booking: what the shared sequences (`bookings.flows`)
ask of online consultations. The place is an `OnlinePlace`: the office, a counselor (None for
"any counselor": the first free one) and the video tool."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import JobseekerNumberStatus, UserType
from bookings.registry import BookingKind
from bookings.services import SlotTakenError
from core.versioning import office_cached

from .availability import (
    SlotCounselors,
    counselors_at,
    free_counselors_at,
    free_slots_from,
    online_counselors,
)
from .eligibility import online_refusal_reason
from .models import Consultation, ConsultationPurpose, CounselorVideoDefault, VideoTool
from .video import join_url_problem


@dataclass(frozen=True)
class OnlinePlace:
    office: object
    counselor: object = None
    video_tool: VideoTool | None = None
    # What this place's request read of the office's grid, by slot: the availability check
    # and the choice of counselor share one read (REQ NFR-4). The holds' constraints still
    # decide: a counselor taken since is skipped for the next (BTH-2).
    _read: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def counselors_at(self, starts_at: datetime.datetime) -> SlotCounselors:
        if starts_at not in self._read:
            self._read[starts_at] = counselors_at(self.office, starts_at, counselor=self.counselor)
        return self._read[starts_at]

    @classmethod
    def of(cls, consultation: Consultation, *, counselor=None) -> OnlinePlace:
        """The place of an existing consultation (with another counselor, when given)."""
        return cls(
            office=consultation.office,
            counselor=counselor or consultation.counselor,
            video_tool=consultation.video_tool,
        )


def default_join_url(counselor, video_tool: VideoTool | None, *, office=None) -> str:
    """The counselor's default meeting link for the tool, if it passes the link rule (CON-2).
    With `office` (read in this request), kept under its places version, which a change of
    the tool or of its defaults raises (consultations 0017; REQ NFR-4)."""
    if counselor is None or video_tool is None:
        return ""

    def read() -> str:
        default = CounselorVideoDefault.objects.filter(
            counselor=counselor, video_tool=video_tool
        ).first()
        if default and join_url_problem(default.join_url, video_tool.host_list()) is None:
            return default.join_url
        return ""

    if office is None or video_tool.office_id != office.pk:
        return read()
    return office_cached(
        "video-default",
        (counselor.pk, video_tool.pk),
        office=office,
        build=read,
        version="places_version",
    )


class OnlineKind(BookingKind):
    model = Consultation
    office_lookup = "office"
    cap_field = "max_active_online_consultations"
    select_related = ("office", "video_tool", "counselor")
    place_field = "counselor"

    def office_of(self, place: OnlinePlace):
        return place.office

    def check_place(self, place: OnlinePlace) -> None:
        if place.counselor is not None and place.counselor.office_id != place.office.pk:
            raise ValidationError({"counselor": _("Choose a counselor of the same office.")})
        tool = place.video_tool
        if tool is not None and (tool.office_id != place.office.pk or not tool.is_active):
            raise ValidationError({"video_tool": _("Choose one of the video tools offered.")})

    def refusal_reason(
        self, user, place: OnlinePlace, *, now: datetime.datetime, verified: bool | None = None
    ) -> str | None:
        return online_refusal_reason(user, verified=verified)

    def purposes(self, user) -> list[str]:
        return list(ConsultationPurpose.values)

    def availability_refusal_reason(self, place: OnlinePlace, starts_at) -> str | None:
        """Inside the counselor's published time: their weekly pattern or an extra slot, not a
        withdrawn one (CON-1); for "any counselor", someone's."""
        if place.counselors_at(starts_at).offered:
            return None
        if place.counselor is not None:
            return _("This counselor does not take online consultations at this time.")
        return _("No counselor takes online consultations at this time.")

    def candidates(self, place: OnlinePlace, starts_at, *, now: datetime.datetime):
        # "Any counselor": if the first free one was taken a moment ago, try the others (BTH-2).
        # A chosen counselor is tried even if the read shows them taken: the insert says so.
        counselors = (
            [place.counselor]
            if place.counselor is not None
            else place.counselors_at(starts_at).free
        )
        for counselor in counselors:
            join_url = default_join_url(counselor, place.video_tool, office=place.office)
            yield {
                "office": place.office,
                "counselor": counselor,
                "video_tool": place.video_tool,
                "join_url": join_url,
                # Set with the row, not updated after it: one write, one trigger run.
                "join_url_set_at": now if join_url else None,
            }

    def move_fields(self, place: OnlinePlace, starts_at, *, now: datetime.datetime) -> dict:
        # The tool and its link stay; the counselor is the one chosen, or the first free one.
        counselor = place.counselor
        if counselor is None:
            free = place.counselors_at(starts_at).free
            if not free:
                raise SlotTakenError(self.alternatives(place, now=now))
            counselor = free[0]
        return {"counselor": counselor}

    def alternatives(self, place: OnlinePlace, *, now: datetime.datetime) -> list:
        return free_slots_from(place.office, counselor=place.counselor, now=now)

    # Earlier-slot alerts (REQ ALR-1): the place is a counselor.

    def alert_places(self, office) -> list[tuple[int, str]]:
        if not office.offers_online_consultations:
            return []
        return [(c.pk, c.display_name) for c in online_counselors(office)]

    def alert_place_id(self, booking) -> int | None:
        return booking.counselor_id

    def alert_slot_free(self, office, place_id, starts_at, *, now) -> bool:
        if not office.offers_online_consultations:
            return False
        return any(c.pk == place_id for c in free_counselors_at(office, starts_at, now=now))

    def alert_slot_url(self, place_id, starts_at) -> str:
        from bookings.pages import slot_url

        return slot_url("consultations:request", place_id, starts_at)

    def alert_where(self, office, place_id) -> str:
        counselor = next(iter(online_counselors(office, place_id)), None)
        tools = ", ".join(
            VideoTool.objects.filter(office=office, is_active=True)
            .order_by("name")
            .values_list("name", flat=True)
        )
        return _("Online by video (%(tools)s), counselor %(counselor)s") % {
            "tools": tools,
            "counselor": counselor.display_name if counselor else "",
        }

    def alert_people_q(self):
        # CON-6, as consultations.eligibility says it for one person.
        return Q(
            user_type=UserType.JOB_SEEKER,
            jobseeker_number_status__in=[
                JobseekerNumberStatus.NUMBER,
                JobseekerNumberStatus.MY_PAGE,
            ],
        ) | Q(online_approval__isnull=False)


ONLINE = OnlineKind()
