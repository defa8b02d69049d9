"""Demo video tools, counselors' weekly availability and online consultations.

Both demo offices take online consultations in the demo, so the demo job seeker (of 五所川原)
can book one and has one whose join window is open right after `make run`. Texts and meeting
links are invented for the demo.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Office, User
from bookings import calendar
from bookings.models import CounselorHold, PersonHold, Status
from core.demo import register
from terms.models import Consent, TermsDocument, TermsService, TermsVersion, VersionStatus

from .models import (
    AvailabilityPattern,
    Consultation,
    ConsultationPurpose,
    CounselorVideoDefault,
    VideoTool,
    VideoToolKind,
)

TOOLS = [
    (VideoToolKind.ZOOM, "Zoom", "zoom.us", "https://explore.zoom.us/ja/terms/"),
    # Demo addresses on the tools' demo hosts: an office enters each vendor's terms page.
    (VideoToolKind.ETUMO, "e-TUMO", "e-tumo.jp", "https://e-tumo.jp/terms/"),
    (VideoToolKind.ELMO, "ELMO", "elmo-meeting.jp", "https://elmo-meeting.jp/terms/"),
]
HOURS = [(datetime.time(9), datetime.time(12)), (datetime.time(13), datetime.time(16, 30))]
ONLINE_TERMS = """# オンライン職業相談 利用規約（デモ）

この文章はデモ用に作成したものです。

- 相談は個室など、周りに人がいない場所で受けてください。
- 同席する方がいる場合は、予約のときにお知らせください。
- 相談の録画・録音はできません。
- ビデオ通話アプリの利用規約にも同意のうえご利用ください。
"""


def _online_terms(office: Office) -> TermsVersion:
    document, _ = TermsDocument.objects.get_or_create(
        office=office,
        service=TermsService.ONLINE,
        defaults={"title": "オンライン職業相談 利用規約（デモ）"},
    )
    version = document.versions.order_by("number").first()
    if version is None:
        now = timezone.now()
        version = TermsVersion.objects.create(
            document=document,
            number=1,
            text=ONLINE_TERMS,
            status=VersionStatus.PUBLISHED,
            published_at=now - datetime.timedelta(days=30),
            effective_from=now - datetime.timedelta(days=30),
        )
    return version


@register("consultations")
def load() -> list[str]:
    offices = list(Office.objects.filter(code__in=["honjo", "goshogawara"]))
    today = calendar.local(timezone.now()).date()
    for office in offices:
        Office.objects.filter(pk=office.pk).update(offers_online_consultations=True)
        office.offers_online_consultations = True
        version = _online_terms(office)
        for user in User.objects.filter(office=office, is_staff=False):
            if not Consent.objects.filter(user=user, version__document=version.document).exists():
                Consent.objects.create(user=user, version=version)
        tools = [
            VideoTool.objects.update_or_create(
                office=office,
                name=name,
                defaults={"kind": kind, "allowed_hosts": host, "terms_url": terms_url},
            )[0]
            for kind, name, host, terms_url in TOOLS
        ]
        for counselor in User.objects.filter(office=office, is_staff=True, is_superuser=False):
            for weekday in range(5):
                for starts_at, ends_at in HOURS:
                    AvailabilityPattern.objects.get_or_create(
                        counselor=counselor,
                        office=office,
                        weekday=weekday,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        defaults={"valid_from": today},
                    )
            CounselorVideoDefault.objects.get_or_create(
                counselor=counselor,
                video_tool=tools[0],
                defaults={"join_url": f"https://zoom.us/j/9000{counselor.pk:06d}"},
            )
    made = _open_consultation()
    return [
        "Online consultations: counselors of both offices take them on weekdays "
        "9:00-12:00 and 13:00-16:30; video tools Zoom, e-TUMO, ELMO.",
        made,
    ]


def _open_consultation() -> str:
    """The seeker's consultation starting in 5 minutes, so its join button shows at once."""
    seeker = User.objects.filter(username="seeker").select_related("office").first()
    if seeker is None or seeker.office is None:
        return "Online consultations: no demo seeker, skipped."
    counselor = User.objects.filter(office=seeker.office, is_staff=True, is_superuser=False).first()
    tool = VideoTool.objects.filter(office=seeker.office, kind=VideoToolKind.ZOOM).first()
    now = timezone.now().replace(second=0, microsecond=0)
    open_now = Consultation.objects.filter(
        user=seeker, starts_at__gt=now - datetime.timedelta(minutes=5), status=Status.CONFIRMED
    )
    if counselor is None or tool is None or open_now.exists():
        return "Online consultations: the seeker's consultation is open for joining."
    starts_at = now + datetime.timedelta(minutes=5)
    # Holds may not overlap (REQ CON-7, CON-10): the counselor and the seeker must be free.
    near = {"starts_at__gt": starts_at - calendar.SLOT, "starts_at__lt": starts_at + calendar.SLOT}
    if (
        CounselorHold.objects.filter(counselor=counselor, **near).exists()
        or PersonHold.objects.filter(user=seeker, **near).exists()
    ):
        return "Online consultations: the counselor is busy now, no open consultation made."
    Consultation.objects.create(
        office=seeker.office,
        counselor=counselor,
        counselor_hold=CounselorHold.objects.create(
            counselor=counselor, starts_at=starts_at, holder=Consultation._meta.label_lower
        ),
        person_hold=PersonHold.objects.create(
            user=seeker, starts_at=starts_at, holder=Consultation._meta.label_lower
        ),
        user=seeker,
        user_type=seeker.user_type,
        starts_at=starts_at,
        ends_at=starts_at + calendar.SLOT,
        video_tool=tool,
        join_url=f"https://zoom.us/j/9000{counselor.pk:06d}",
        join_url_set_at=now,
        purpose=ConsultationPurpose.JOB_CONSULTATION,
        requester_name=f"{seeker.last_name} {seeker.first_name}",
        phone=seeker.phone,
        status=Status.CONFIRMED,
        confirmed_at=now,
    )
    return (
        f"Online consultations: 'seeker' has one at {starts_at.astimezone(calendar.TOKYO):%H:%M} "
        "(join button open now; 'My reservations' at /reservations/ lists it). "
        "Run the demo again for a new one."
    )
