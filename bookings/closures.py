"""The office's closures (REQ OFF-2, CON-1): a day with active bookings of either service is
not closed until they are moved or cancelled and the people told."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as

from . import services as bookings
from .models import OfficeClosure


def closure_refusal_reason(*, office_id: int, date: datetime.date, now=None) -> str | None:
    """A closure on a day with active bookings is refused until they are moved or cancelled
    and the users told (OFF-2, CON-1)."""
    count = bookings.active_bookings_on(office_id, date, now=now or timezone.now())
    if count:
        return _(
            "%(count)s active bookings (booths and online consultations) are on this day. "
            "Move or cancel them first (the users are told by e-mail), then enter the closure."
        ) % {"count": count}
    return None


@transaction.atomic
def closure_create(*, office, date: datetime.date, reason: str, staff) -> OfficeClosure:
    problem = closure_refusal_reason(office_id=office.pk, date=date)
    if problem:
        raise ValidationError({"date": problem})
    try:
        with transaction.atomic(), acting_as(user=staff):  # the trail names them (STF-2)
            closure = OfficeClosure.objects.create(
                office=office, date=date, reason=reason, created_by=staff
            )
    except IntegrityError:
        raise ValidationError({"date": _("This day is already closed.")}) from None
    return closure
