"""The signed-in person's booking facts every booking page shows, kept in their session while
they are true (REQ NFR-4, REG-1, BTH-7).

The month and day pages tell a person why they may not book (an unverified e-mail address,
among the rules of `accounts.eligibility`) and whether their requests need the office's approval
(no-contact cancellations, BTH-7). Both facts change only when the person's bookings or e-mail
addresses change, which raises `User.booking_facts_version` in the same transaction
(core.versioning), or when time alone turns a booking overdue or moves the counting window
(`rules.booking_facts`), as it does the number of active future bookings the caps count (a
booking stops counting when it starts). So the session keeps them with that version and that
moment, and a page reads them from the session it has loaded anyway; the session is written
only when they change. The booking itself (request and send) always asks the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from accounts.eligibility import has_verified_email

from . import rules

SESSION_KEY = "consultations_booking_facts"


@dataclass(frozen=True)
class PersonFacts:
    verified_email: bool
    no_contact_cancellations: int
    held: dict  # service -> active future bookings (the caps, NFR-3)

    def cap_reason(self, model, office) -> str | None:
        """Why the person can't book another of `model`'s kind now: the cap, told up front."""
        return rules.cap_reached_reason(model, office, self.held.get(model.service, 0))


def kept_person_facts(request, office, *, now: datetime.datetime) -> PersonFacts | None:
    """The person's facts for `office` if their session holds them and they are still true;
    None otherwise (a page that needs only one of them may ask for just that one)."""
    user = request.user
    key = [user.booking_facts_version, office.pk, office.noshow_window_months]
    kept = request.session.get(SESSION_KEY)
    if (
        isinstance(kept, dict)
        and kept.get("key") == key
        and isinstance(kept.get("held"), dict)
        and (kept.get("until") is None or now.timestamp() < kept["until"])
    ):
        return PersonFacts(bool(kept["verified"]), int(kept["no_contact"]), dict(kept["held"]))
    return None


def person_facts(request, office, *, now: datetime.datetime, keep: bool = True) -> PersonFacts:
    """The signed-in person's facts for booking at `office` (counted in its window), kept in
    the session unless `keep` is False (a step whose next step carries what it needs)."""
    kept = kept_person_facts(request, office, now=now)
    if kept is not None:
        return kept
    user = request.user
    counted = rules.booking_facts(user, office, now=now)
    facts = PersonFacts(
        verified_email=has_verified_email(user),
        no_contact_cancellations=counted.no_contact,
        held=counted.held,
    )
    if keep:
        until = min(
            (moment for moment in (counted.no_contact_until, counted.held_until) if moment),
            default=None,
        )
        request.session[SESSION_KEY] = {
            "key": [user.booking_facts_version, office.pk, office.noshow_window_months],
            "until": None if until is None else until.timestamp(),
            "verified": facts.verified_email,
            "no_contact": facts.no_contact_cancellations,
            "held": facts.held,
        }
    return facts


def verified_fact(user, facts: PersonFacts) -> list:
    """Whether the person has a verified address, with the version of their facts it was
    true under: carried signed to the next step (`verified_from`)."""
    return [user.booking_facts_version, facts.verified_email]


def verified_from(user, fact) -> bool | None:
    """The verified address carried by `verified_fact`, if still true (the person's facts'
    version unchanged: an address change raises it); None when it must be asked again."""
    if isinstance(fact, list) and len(fact) == 2 and fact[0] == user.booking_facts_version:
        return bool(fact[1])
    return None
