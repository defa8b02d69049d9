"""Who may book online consultations (REQ CON-6)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.eligibility import booking_block_reason
from accounts.models import JobseekerNumberStatus, UserType
from bookings.rules import office_contact


def online_eligibility_reason(user) -> str | None:
    """Who may book online consultations (CON-6): job seekers with a job-seeker number or
    registered through the online My Page, or people the office approved."""
    office = user.office
    if office is None or not office.offers_online_consultations:
        return _(
            "Your office does not offer online consultations. Please phone your Hello Work "
            "office to consult."
        )
    if user.user_type == UserType.JOB_SEEKER and user.jobseeker_number_status in (
        JobseekerNumberStatus.NUMBER,
        JobseekerNumberStatus.MY_PAGE,
    ):
        return None
    if hasattr(user, "online_approval"):
        return None
    if user.user_type == UserType.EMPLOYER:
        return _(
            "Online consultations are for job seekers. Employers can reserve a consultation "
            "booth, or phone %(office)s (%(phone)s)."
        ) % office_contact(office)
    return _(
        "Online consultations are for job seekers registered at Hello Work (with a job-seeker "
        "number or through the online My Page), or people the office has approved. Please "
        "phone %(office)s (%(phone)s)."
    ) % office_contact(office)


def online_refusal_reason(user, *, verified: bool | None = None) -> str | None:
    """Everything that stops this user from booking an online consultation now, or None.
    `verified`: see booking_block_reason."""
    return booking_block_reason(user, verified=verified) or online_eligibility_reason(user)
