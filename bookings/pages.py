"""What the booking pages of both services share: reading the day and slot from the URL, the
month grid, the request → check your answers → send steps (written once, driven by the kind of
booking and the place the page chose), and the rate limit on booking POSTs (REQ NFR-3)."""

from __future__ import annotations

import datetime
import math
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import get_ip, parse_rates
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.eligibility import residence_block_reason

from . import calendar
from .availability import kept_closures
from .forms import BookingDetailsForm
from .models import Companion
from .pagefacts import kept_person_facts, person_facts, verified_fact, verified_from
from .registry import BookingKind
from .rules import (
    is_shown_day,
    noshow_approval_reason,
    profile_name,
    profile_number,
    request_refusal_reason,
    shown_months,
)
from .services import SlotTakenError


def parse_day(value: str, now: datetime.datetime) -> datetime.date:
    """A day of the months users may look at; anything else (year 1, 2099, junk) is a 404."""
    if len(value) != 10 or not value.isascii():
        raise Http404
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None
    if not is_shown_day(day, now):
        raise Http404
    return day


def parse_slot(day: str, hhmm: str, now: datetime.datetime) -> datetime.datetime:
    if len(hhmm) != 4 or not hhmm.isascii() or not hhmm.isdigit():
        raise Http404
    try:
        time = datetime.time(int(hhmm[:2]), int(hhmm[2:]))
    except ValueError:
        raise Http404 from None
    return datetime.datetime.combine(parse_day(day, now), time, tzinfo=calendar.TOKYO)


def slot_url(name: str, place_key, starts_at: datetime.datetime) -> str:
    """The address of a slot's request page (`name` takes the place, the day and HHMM): the
    inverse of `parse_slot`."""
    from django.urls import reverse

    start = calendar.local(starts_at)
    return reverse(name, args=[place_key, start.date().isoformat(), f"{start:%H%M}"])


def weeks(days) -> list[list]:
    """Rows of Monday-to-Sunday cells for the month table (None pads the first and last week)."""
    cells = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def slot_answers(request: HttpRequest, kind: BookingKind, *, extra: tuple = ()) -> dict:
    """What a person may answer on the day page, with the slot (REQ BTH-3, NFR-4): the
    purposes offered to them and the kind's `extra` groups ((name, legend, [(value, label)])).
    Valid choices travel in each slot link (`query`), and the slot link then opens "check your
    answers" directly when the profile holds the rest (`request_step`)."""
    labels = dict(kind.model._meta.get_field("purpose").choices or ())
    purposes = [(value, labels.get(value, value)) for value in kind.purposes(request.user)]
    groups, chosen = [], {}
    for name, legend, options in (
        ("purpose", _("What is it about?"), purposes),
        *extra,
    ):
        picked = request.GET.get(name, "")
        if picked not in {str(value) for value, _label in options}:
            picked = ""
        if picked:
            chosen[name] = picked
        groups.append(
            {
                "name": name,
                "legend": legend,
                "options": [
                    {"value": value, "label": label, "checked": str(value) == picked}
                    for value, label in options
                ],
            }
        )
    return {"groups": groups, "query": f"?{urlencode(chosen)}" if chosen else ""}


def month_table(days, *, day_url: str, place, slots: bool, navigation: dict) -> str:
    """The month's table of either service (`bookings/_month_table.html`): the days as weeks,
    each linking to `day_url` of `place`, with free-slot counts when `slots`."""
    context = {
        "weeks": weeks(days),
        "day_url": day_url,
        "place": place,
        "slots": slots,
        **navigation,
    }
    return render_to_string("bookings/_month_table.html", context)


def month_navigation(year: int, month: int, now: datetime.datetime) -> dict:
    """The label and the previous/next months users may look at, as (year, month - 1)."""
    index = year * 12 + month - 1
    lowest, highest = shown_months(now)
    return {
        "month_label": calendar.format_month(year, month),
        "previous": divmod(index - 1, 12) if index - 1 >= lowest else None,
        "next": divmod(index + 1, 12) if index + 1 <= highest else None,
    }


def booking_rate_limited(request: HttpRequest) -> bool:
    """Whether this user or address has sent too many booking POSTs (ACCOUNT_RATE_LIMITS
    "booking", on the shared cache): a script can't sweep an office's slots.

    A counter per rate and fixed window (allauth's history of timestamps costs a lock, a read,
    a write and an unlock per rate): on Redis every counter is raised in one round trip; on
    another cache an `add`, or an `incr` once the window's counter exists (REQ NFR-3, NFR-4).
    Every POST counts, a refused one too: a script that keeps trying stays refused.
    """
    rates = parse_rates((account_settings.RATE_LIMITS or {}).get("booking"))
    if not rates:
        return False
    now = time.time()
    keys = []
    for rate in rates:
        source = get_ip(request) if rate.per == "ip" else str(request.user.pk)
        window = int(now // rate.duration)
        key = f"bookings:rl:{rate.amount}/{rate.duration}/{rate.per}:{source}:{window}"
        keys.append((key, math.ceil((window + 1) * rate.duration - now)))
    counts = _count_hits(keys)
    return any(count > rate.amount for count, rate in zip(counts, rates, strict=True))


def _count_hits(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (key, seconds it lives) and return the counts."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        pipeline = cache._cache.get_client(write=True).pipeline(transaction=False)
        for key, timeout in keys:
            name = cache.make_and_validate_key(key)
            pipeline.set(name, 0, ex=timeout, nx=True)
            pipeline.incr(name)
        return pipeline.execute()[1::2]
    counts = []
    for key, timeout in keys:
        if cache.add(key, 1, timeout):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between the two: a new window
            cache.add(key, 1, timeout)
            counts.append(1)
    return counts


def rate_limited_message() -> str:
    return _("Too many booking requests in a short time. Please wait a few minutes and try again.")


def cancel_page(
    request: HttpRequest, booking, *, template: str, context: dict, done_message: str
) -> HttpResponse:
    """The user's own cancellation, for either service: the question on GET; on POST the rate
    limit, the shared rule (until the deadline, BTH-5, CON-5) and back to "my reservations"."""
    if request.method == "POST":
        if booking_rate_limited(request):
            messages.error(request, rate_limited_message())
            return redirect(booking)
        from .services import booking_cancel_online

        try:
            booking_cancel_online(booking=booking, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(booking)
        messages.success(request, done_message)
        return redirect(settings.BOOKINGS_LIST_URL)
    return render(request, template, {"booking": booking, **context})


# --- Request → check your answers → send (REQ BTH-2, BTH-3, CON-8, NFR-4) --------------------
#
# Three requests book: the form (GET), the form's POST answered with "check your answers"
# itself, and the send. The answers travel in the check page, signed (django.core.signing)
# for this person, this service and this place, with the form token that makes a double
# submit return the booking it already made; nothing is written to the session. When every
# answer is known already (the profile's name, number and phone, and the purpose picked with
# the slot: `?purpose=`), the slot link opens the check page directly, "change" leads to the
# form.

ANSWERS_SALT = "bookings.answers"
ANSWERS_MAX_AGE = 2 * 3600  # seconds a check page can be sent


def sign_answers(request: HttpRequest, payload: dict) -> str:
    return signing.dumps({**payload, "user": request.user.pk}, salt=ANSWERS_SALT, compress=True)


def read_answers(request: HttpRequest, value: str, service: str) -> dict | None:
    """The answers a check page carried; None when they are no longer valid (tampered with,
    or the page is older than two hours); a 404 when they are someone else's."""
    try:
        payload = signing.loads(value or "", salt=ANSWERS_SALT, max_age=ANSWERS_MAX_AGE)
    except signing.BadSignature:
        return None
    if payload.get("user") != request.user.pk or payload.get("service") != service:
        raise Http404
    return payload


def _answers_data(form) -> dict:
    return {name: getattr(value, "pk", value) for name, value in form.cleaned_data.items()}


def request_step(
    request: HttpRequest,
    *,
    kind: BookingKind,
    place,
    starts_at: datetime.datetime,
    make_form: Callable,
    place_payload: dict,
    check_page: Callable[[dict, dict], HttpResponse],
    refused: Callable[[str], HttpResponse],
    template: str,
    context: dict,
) -> HttpResponse:
    """The request form of either service: who may book this place, the slot still open to
    requests, the form prefilled from the profile (or from the answers being changed). A valid
    form is answered with "check your answers" (`check_page(answers, cleaned_data)`: the
    form's own objects, so the page looks nothing up again) at once."""
    from django.utils import timezone

    now = timezone.now()
    user = request.user
    office = kind.office_of(place)
    # The person's facts the month and day pages kept in the session (else counted): a
    # verified address (REG-1), the cap told before the form (NFR-3), the no-contact count
    # (BTH-7). Counted ones are kept for the form's POST when this step shows the form; a step
    # that answers with the check page carries the verified address to the send instead
    # (`verified_fact`, signed) and writes no session.
    shows_form = request.method == "GET" and (
        "answers" in request.GET or "purpose" not in request.GET
    )
    facts = person_facts(request, office, now=now, keep=shows_form)
    reason = kind.refusal_reason(user, place, now=now, verified=facts.verified_email)
    if not reason:
        # REG-3 on the booking's own date, told before the form.
        reason = residence_block_reason(user, calendar.local(starts_at).date())
    if not reason:
        reason = request_refusal_reason(
            office,
            starts_at,
            now=now,
            closures=kept_closures(office, calendar.local(starts_at).date()),
        )
    if not reason:
        reason = facts.cap_reason(kind.model, office)
    if reason:
        return refused(reason)
    answers = {
        "service": kind.service,
        "starts_at": starts_at.isoformat(),
        "token": str(uuid.uuid4()),
        "verified": verified_fact(user, facts),
        **place_payload,
    }
    initial = {
        "requester_name": profile_name(user),
        "client_number": profile_number(user),
        "phone": user.phone,
    }
    if request.method == "POST":
        form = make_form(request.POST)
        if form.is_valid():
            return check_page({**answers, "data": _answers_data(form)}, form.cleaned_data)
    else:
        changing = read_answers(request, request.GET.get("answers", ""), kind.service)
        if changing is not None:
            initial = changing["data"]
        elif "purpose" in request.GET:
            # Everything known: straight to "check your answers" (with "change" links).
            known = make_form({**initial, **request.GET.dict(), "companions": [], "note": ""})
            if known.is_valid():
                return check_page({**answers, "data": _answers_data(known)}, known.cleaned_data)
            initial = {**initial, "purpose": request.GET["purpose"]}
        form = make_form(None, initial=initial)
    return render(
        request,
        template,
        {
            **context,
            "office": office,
            "starts_at": starts_at,
            "form": form,
            "approval": noshow_approval_reason(
                user, office, now=now, count=facts.no_contact_cancellations
            ),
        },
    )


def check_page(
    request: HttpRequest,
    *,
    kind: BookingKind,
    place,
    answers: dict,
    send_url: str,
    change_url: str,
    template: str,
    context: dict,
) -> HttpResponse:
    """ "Check your answers" of either service, carrying the answers signed to `send_url`."""
    data = answers["data"]
    purposes = dict(kind.model._meta.get_field("purpose").choices or ())
    return render(
        request,
        template,
        {
            **context,
            "office": kind.office_of(place),
            "starts_at": datetime.datetime.fromisoformat(answers["starts_at"]),
            "data": data,
            "purpose_label": purposes.get(data["purpose"], data["purpose"]),
            "labels": BookingDetailsForm.labels_for(request.user.user_type),
            "companion_labels": [Companion(c).label for c in data.get("companions", [])],
            "change_url": change_url,
            "send_url": send_url,
            "answers": sign_answers(request, answers),
        },
    )


def send_step(
    request: HttpRequest,
    *,
    kind: BookingKind,
    answers: dict,
    book: Callable,
    refused: Callable[[str, int], HttpResponse],
    slot_url: Callable,
    back: tuple[str, str],
    done_message: str,
) -> HttpResponse:
    """The send of "check your answers", for either service: the rate limit, book once per
    token (a double submit gets the booking its token already made, looked up once, under the
    person's lock, by `flows.booking_request`), "just taken" with the next free slots (409,
    BTH-2), the refusal page, or the booking."""
    from django.utils import timezone

    token = uuid.UUID(answers["token"])
    verified = verified_from(request.user, answers.get("verified"))
    if verified is None:
        facts = kept_person_facts(request, request.user.office, now=timezone.now())
        verified = facts.verified_email if facts else None
    if booking_rate_limited(request):
        # A double submit after the limit is reached still finds its booking.
        done = kind.model.objects.filter(form_token=token, user=request.user).first()
        if done is not None:
            return redirect(done)
        return refused(rate_limited_message(), 429)
    try:
        booking = book(token, verified=verified)
    except SlotTakenError as taken:
        context = {
            "message": taken.messages[0],
            "free_slot_links": [(slot, slot_url(slot)) for slot in taken.free_slots],
            "back_url": back[0],
            "back_label": back[1],
        }
        return render(request, "bookings/taken.html", context, status=409)
    except ValidationError as error:
        return refused(" ".join(error.messages), 403)
    messages.success(request, done_message)
    return redirect(booking)


def sent_answers(request: HttpRequest, kind: BookingKind, restart_url: str):
    """(the answers the check page sent, None), or (None, a redirect to `restart_url` saying
    the page has expired) when they are no longer valid."""
    answers = read_answers(request, request.POST.get("answers", ""), kind.service)
    if answers is None:
        messages.error(request, _("This page has expired. Please choose the time again."))
        return None, redirect(restart_url)
    return answers, None
