"""Demo booths and reservations at the Goshogawara demo office. Texts invented for the demo."""

import datetime
from functools import partial

from django.utils import timezone

from accounts.models import Office, User
from bookings import calendar
from bookings.models import PersonHold
from core.demo import register

from .models import Booth, Purpose, Reservation, Status


def _next_business_days(count: int) -> list[datetime.date]:
    day = calendar.local(timezone.now()).date()
    days: list[datetime.date] = []
    while len(days) < count:
        day += datetime.timedelta(days=1)
        if calendar.is_business_day(day):
            days.append(day)
    return days


@register("booths")
def load() -> list[str]:
    office = Office.objects.filter(code="goshogawara").first()
    if office is None:
        return ["booths: no office 'goshogawara', skipped"]
    booths = [
        Booth.objects.update_or_create(
            office=office, name=name, defaults={"description": description}
        )[0]
        for name, description in [
            ("ブースA", "パソコンとカメラ付きの個室"),
            ("ブースB", "車いすで利用できる個室"),
        ]
    ]
    days = _next_business_days(3)
    plans = [
        ("seeker", booths[0], days[1], datetime.time(10), Purpose.JOB_CONSULTATION),
        ("seeker", booths[1], days[2], datetime.time(14), Purpose.JOB_REFERRAL),
        ("employer", booths[0], days[2], datetime.time(11), Purpose.INTERVIEW),
    ]
    made = 0
    for username, booth, day, time, purpose in plans:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        starts_at = datetime.datetime.combine(day, time, tzinfo=calendar.TOKYO)
        _reservation, created = Reservation.objects.get_or_create(
            booth=booth,
            starts_at=starts_at,
            status=Status.REQUESTED,
            defaults={
                "ends_at": starts_at + calendar.SLOT,
                "user": user,
                "user_type": user.user_type,
                "purpose": purpose,
                "requester_name": user.establishment_name
                or f"{user.last_name} {user.first_name}".strip(),
                "phone": user.phone or "0173-00-0001",
                # Held as the services hold it (REQ CON-10); called only when it is created.
                "person_hold": partial(
                    PersonHold.objects.create,
                    user=user,
                    starts_at=starts_at,
                    holder=Reservation._meta.label_lower,
                ),
            },
        )
        made += created
    return [f"booths: {len(booths)} booths at {office.name}, {made} new demo reservations"]
