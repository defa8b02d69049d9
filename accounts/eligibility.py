"""One check the booking code calls before any new booking (REQ REG-3, REG-7)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def booking_block_reason(user) -> str | None:
    """Why this user may not make a new booking now, or None when they may.

    Interim: covers inactive accounts; the accounts issue adds suspension, unverified e-mail
    and missing or expired residence status.
    """
    if not user.is_authenticated or not user.is_active:
        return _("Your account cannot make bookings. Please contact your office.")
    return None
