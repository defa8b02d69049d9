"""Online consultations on the bench data: one counselor of an office takes them.

bench_data makes counselors but no video tool or weekly availability (the data predates
online consultations); the booking-online load and `bench_writes` give the first counselor of
each office they use a Zoom tool and a weekday pattern over the office's hours, once.
"""

from __future__ import annotations

import datetime

from accounts.models import User
from bookings import calendar


def online_counselor(office, now: datetime.datetime):
    """(counselor, video tool) of `office`, ready to take online consultations."""
    from consultations.models import AvailabilityPattern, VideoTool, VideoToolKind

    tool, _made = VideoTool.objects.get_or_create(
        office=office,
        kind=VideoToolKind.ZOOM,
        defaults={"name": "Zoom", "allowed_hosts": "zoom.us", "terms_url": "https://zoom.us/"},
    )
    counselor = (
        User.objects.filter(office_id=office.pk, is_staff=True, is_active=True)
        .order_by("pk")
        .first()
    )
    today = calendar.local(now).date()
    for weekday in range(5):
        AvailabilityPattern.objects.get_or_create(
            counselor=counselor,
            office=office,
            weekday=weekday,
            defaults={
                "starts_at": office.opens_at,
                "ends_at": office.closes_at,
                "valid_from": today,
            },
        )
    return counselor, tool


def online_slot_path(counselor, starts_at: datetime.datetime) -> str:
    local = calendar.local(starts_at)
    return f"/consultations/{counselor.pk}/{local.date().isoformat()}/{local:%H%M}/request/"
