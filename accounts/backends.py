"""The authentication backends, loading the signed-in user with their office in one query.

Every signed-in page shows the user's office (the header, the footer's contact, the booking
rules), so the user is read with it (REQ NFR-4). Their permissions are kept under the user's
rights version (`accounts.rights`), read in the same query, instead of being read twice a
request. The query is built by the ORM once a process (`core.statements`): every request of a
signed-in person reads it, and building it cost more than PostgreSQL's work. Authentication
itself is Django's and allauth's, unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

from core.statements import kept_statement

from . import rights


def _with_office(user_id):
    return get_user_model()._default_manager.select_related("office").filter(pk=user_id)


# How a row of that query becomes the user and their office: worked out from the ORM's own
# compiler once a process, as its model iterable does for each query.
_loader: dict = {}


def _load(row):
    if not _loader:
        compiler = _with_office(0).query.get_compiler(DEFAULT_DB_ALIAS)
        compiler.pre_sql_setup()
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        _loader.update(
            converters=compiler.get_converters([column[0] for column in select]),
            span=(start, end),
            names=[column[0].target.attname for column in select[start:end]],
            related=get_related_populators(klass_info, select, DEFAULT_DB_ALIAS),
            model=klass_info["model"],
        )
    loader = _loader
    if loader["converters"]:
        # As the compiler's apply_converters, with this thread's connection.
        connection, row = connections[DEFAULT_DB_ALIAS], list(row)
        for position, (converters, expression) in loader["converters"].items():
            for converter in converters:
                row[position] = converter(row[position], expression, connection)
    start, end = loader["span"]
    user = loader["model"].from_db(DEFAULT_DB_ALIAS, loader["names"], row[start:end])
    for populator in loader["related"]:
        populator.populate(row, user)
    return user


def user_with_office(user_id):
    """The user `user_id` with their office (one query), or None."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    sql, params = kept_statement(
        "accounts.backends.user_with_office",
        lambda given: _with_office(given["user"]).query.sql_with_params(),
        {"user": user_id},
        stand_ins=lambda n: {"user": -7_000_000 - n},
    )
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else _load(row)


class _UserWithOffice:
    def get_user(self, user_id):
        user = user_with_office(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _get_permissions(self, user_obj, obj, from_name):
        # Django's own read (the user's or their groups' permissions), once per rights version
        # in this process instead of once per request (REQ NFR-4).
        cache_name = f"_{from_name}_perm_cache"
        if obj is not None or not user_obj.is_authenticated or hasattr(user_obj, cache_name):
            return super()._get_permissions(user_obj, obj, from_name)
        read = super()._get_permissions
        kept = rights.kept_for(
            user_obj, cache_name, lambda: frozenset(read(user_obj, obj, from_name))
        )
        setattr(user_obj, cache_name, set(kept))
        return getattr(user_obj, cache_name)


class ModelBackend(_UserWithOffice, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserWithOffice, AllauthBackend):
    pass
