"""Access records: who saw or used whose personal data, when, from where (REQ LOG-1).

Sign-ins have their own records (`SignInRecord`). These cover the rest: bookings,
cancellations and joins made by a person, and every staff page that shows one person's data
(admin change views, the day sheet, the call list, exports). Each record keeps the terminal
identification (IP address and browser) from the one client-IP lookup of the project
(`accounts.terminal.client_details`). The model is `accounts.models.AccessRecord`, with real
foreign keys to the people and the office.

A use or view of one person's data (a booking, a join, an admin change view) is one record
naming them in `subject`. A staff page of several people (the day sheet, the call list, a
caller search: `access_record_page`) is one record per page shown naming everyone it showed
in `subjects`, an array of user ids in the order shown, `subject` empty; a page showing people
of other offices leaves one record per office, so each office's auditors see what they saw
before. `AccessRecord.objects.about(person)` finds both kinds (the array through a GIN index),
and so does the access records' admin search by a person's login ID. The ids are not foreign
keys: a trigger refuses to delete a user a page record names, as PROTECT does for `subject`.

Admin lists and searches of people's data (change lists, the admin's autocomplete) leave one
record per page shown (`access_record_list`): who, when, which list, and the search terms as
a keyed hash (`search_hash`), never in the clear. An auditor who types the same terms into
the access records' own search finds the searches for them.

Only staff holding the `accounts.view_accessrecord` permission see them (read-only, their own
office's people; superusers every office). They are kept `ACCESS_RECORD_RETENTION_DAYS` days and
then deleted by the `access_records_purge` job; otherwise append-only: a pgtrigger Protect
trigger refuses UPDATE and DELETE, raw SQL included, except inside the two sanctioned paths
below (`pgtrigger.ignore`: the retention purge and erasure of a deleted account, REQ REG-5).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.audit import current_context, current_request

from .models import AccessKind, AccessRecord
from .terminal import client_details

__all__ = [
    "AccessKind",
    "AccessRecord",
    "access_record",
    "access_record_list",
    "access_record_page",
    "access_records_erase_person",
    "access_records_purge",
    "search_hash",
]

SEARCH_HASH_SALT = "accounts.access.search_hash"

PATH_MAX = AccessRecord._meta.get_field("path").max_length


# The sanctioned way past the Protect trigger (purge, erasure).
def _actor_of(request):
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and user.pk:
        return user
    return None


def access_record(
    *, kind: str, subject=None, obj=None, request=None, office_id: int | None = None
) -> AccessRecord | None:
    """Record one access to `subject`'s data. Without a request (a job, the shell) nothing is
    recorded: those leave audit records when they change something."""
    request = request if request is not None else current_request()
    if request is None:
        return None
    actor = _actor_of(request)
    if actor is None:
        context = current_context()
        actor = context.actor() if context is not None else None
    ip_address, user_agent = client_details(request)
    subject_id = getattr(subject, "pk", subject)
    if office_id is None:
        office_id = getattr(subject, "office_id", None) or getattr(actor, "office_id", None)
    record = AccessRecord(
        at=timezone.now(),
        actor=actor,
        subject_id=subject_id,
        office_id=office_id,
        kind=kind,
        object_repr=str(obj)[:200] if obj is not None else "",
        path=request.path[:PATH_MAX],
        ip_address=ip_address,
        user_agent=user_agent,
    )
    # One hand-written INSERT, not `save()`: every booking, cancellation and join writes one,
    # and the ORM's insert machinery cost more than the statement (REQ LOG-1, NFR-4).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AccessRecord._meta.db_table} (at, actor_id, subject_id, office_id, "
            "kind, object_repr, path, ip_address, user_agent, search_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::inet, %s, '') RETURNING id",
            [
                record.at,
                record.actor_id,
                record.subject_id,
                record.office_id,
                record.kind,
                record.object_repr,
                record.path,
                record.ip_address,
                record.user_agent,
            ],
        )
        record.pk = cursor.fetchone()[0]
    record._state.adding = False
    record._state.db = connection.alias
    return record


def access_record_page(request, kind: str, subjects: Iterable) -> int:
    """Record that a staff page (day sheet, call list, a caller search) showed these people's
    data: one record per page naming everyone shown in `subjects` (users or user ids; None and
    repeats are skipped), and the number of people named. Records are kept by office, so
    people of another office shown here go in a second record under theirs, which their own
    auditors see, as they saw the record of each person before."""
    ip_address, user_agent = client_details(request)
    actor = _actor_of(request)
    seen: dict[int, int | None] = {}
    for subject in subjects:
        subject_id = getattr(subject, "pk", subject)
        if subject_id is None or subject_id in seen:
            continue
        seen[subject_id] = getattr(subject, "office_id", None)
    if not seen:
        return 0
    # One statement, one row per office of the people shown (one, but for a person of another
    # office booked here): REQ LOG-1, NFR-4. A person's office, when the caller did not pass
    # users, is the page's (the actor's), as it was for the records of one person each.
    actor_office = getattr(actor, "office_id", None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AccessRecord._meta.db_table} (at, actor_id, subject_id, subjects, "
            "office_id, kind, object_repr, path, ip_address, user_agent, search_hash) "
            "SELECT %s::timestamptz, %s::bigint, NULL, array_agg(subject ORDER BY n), "
            "COALESCE(office, %s::bigint), %s, '', %s, %s::inet, %s, '' "
            "FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS page (subject, office, n) "
            "GROUP BY COALESCE(office, %s::bigint)",
            [
                timezone.now(),
                getattr(actor, "pk", None),
                actor_office,
                kind,
                request.path[:PATH_MAX],
                ip_address,
                user_agent,
                list(seen),
                list(seen.values()),
                actor_office,
            ],
        )
    return len(seen)


def search_hash(terms: str) -> str:
    """The keyed hash (HMAC-SHA256 with a key derived from SECRET_KEY) of search terms, as
    typed alike: width, case and spacing do not matter. Empty for no terms."""
    normalised = " ".join(unicodedata.normalize("NFKC", terms or "").casefold().split())
    if not normalised:
        return ""
    return salted_hmac(SEARCH_HASH_SALT, normalised, algorithm="sha256").hexdigest()


def access_record_list(*, request, list_name: str, terms: str = "") -> AccessRecord:
    """Record that a staff member was shown a list of people's data (REQ LOG-1): one INSERT
    per list shown, whatever it holds; a search keeps its terms only as `search_hash`."""
    actor = _actor_of(request)
    ip_address, user_agent = client_details(request)
    hashed = search_hash(terms)
    return AccessRecord.objects.create(
        actor=actor,
        office_id=getattr(actor, "office_id", None),
        kind=AccessKind.ADMIN_SEARCH if hashed else AccessKind.ADMIN_LIST,
        object_repr=str(list_name)[:200],
        path=request.path[:PATH_MAX],
        search_hash=hashed,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def access_records_purge(*, before: datetime.datetime, batch: int = 5000) -> int:
    """Delete records older than the retention period (REQ LOG-1): the one deletion the
    application makes."""
    # The plain QuerySet: past the model's own refusal, as the trigger is ignored.
    records = models.QuerySet(AccessRecord)
    total = 0
    while True:
        ids = list(records.filter(at__lt=before).values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with AccessRecord.protection_lifted():
            total += records.filter(pk__in=ids).delete()[0]


def access_records_erase_person(*, user_id: int, names: Iterable[str], anonymous_name: str) -> int:
    """A deleted account (REQ REG-5): its own terminal identification is erased and its names
    leave the object labels; who looked at its data, and when, stays: a page record keeps
    naming the account by id in `subjects`, as a record of one person keeps `subject`."""
    records = models.QuerySet(AccessRecord)
    with AccessRecord.protection_lifted():
        changed = records.filter(actor_id=user_id).update(ip_address=None, user_agent="")
        for name in names:
            if name:
                changed += records.filter(
                    Q(actor_id=user_id) | Q(subject_id=user_id) | Q(subjects__contains=[user_id]),
                    object_repr__contains=name,
                ).update(object_repr=Replace("object_repr", Value(name), Value(anonymous_name)))
    return changed
