"""One check the booking code calls before any new booking (REQ REG-1, REG-3, REG-7)."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import format_date
from core.statements import kept_rows


def _office_contact(user) -> str:
    office = getattr(user, "office", None)
    if office is None:
        return _("your Hello Work office")
    return _("%(office)s (phone %(phone)s)") % {"office": office.name, "phone": office.phone}


def has_verified_email(user) -> bool:
    """Whether the person has a verified address (the statement kept once a process: every
    first booking page of a visit asks it, REQ NFR-4)."""
    return bool(
        kept_rows(
            "accounts.eligibility.has_verified_email",
            lambda given: (
                EmailAddress.objects.filter(user=given["user"], verified=True)
                .order_by()
                .values_list("pk")[:1]
            ),
            {"user": user.pk},
            stand_ins=lambda n: {"user": -7_000_000 - n},
        )
    )


def booking_block_reason(user, *, verified: bool | None = None) -> str | None:
    """Why this user may not make a new booking now, or None when they may.

    The reason is written for the user and says what to do: verify the e-mail address, update
    the residence data on the profile page, or contact the office. `verified`: whether the
    user has a verified address, when the caller knows (pages, from
    consultations.pagefacts); asked from the database otherwise.
    """
    if not user.is_authenticated:
        return _("Sign in to make a booking.")
    if not user.is_active or getattr(user, "deleted_at", None) is not None:
        return _("Your account cannot make bookings. Please contact %(office)s.") % {
            "office": _office_contact(user)
        }
    if user.suspended_at is not None:
        return _(
            "Your account is suspended and cannot make bookings. Please contact %(office)s."
        ) % {"office": _office_contact(user)}
    if not (has_verified_email(user) if verified is None else verified):
        return _(
            "Your e-mail address is not verified yet. Open the link in the e-mail we sent you, "
            "or ask for a new one on the e-mail page of your account."
        )
    return residence_block_reason(user, timezone.localdate())


def residence_block_reason(user, day: datetime.date) -> str | None:
    """Why a foreign national's residence data stops a booking on `day` (REQ REG-3), or None.

    The period of stay is compared with the booking's own date: it must still run that day.
    With today's date this is the check before any booking at all.
    """
    problem = user.residence_data_problem(day)
    if problem == "missing":
        return _(
            "Your residence status and period of stay are missing. Enter them on your profile "
            "page; then you can book."
        )
    if problem != "expired":
        return None
    if user.period_of_stay_until < timezone.localdate():
        return _(
            "Your period of stay ended on %(date)s. Enter your renewed residence status and "
            "period of stay on your profile page; then you can book."
        ) % {"date": format_date(user.period_of_stay_until)}
    return _(
        "Your period of stay ends on %(date)s, before the day of this booking (%(day)s). If "
        "it has been renewed, enter the new period of stay on your profile page; then you can "
        "book this day. Until then you can book up to %(date)s."
    ) % {"date": format_date(user.period_of_stay_until), "day": format_date(day)}
