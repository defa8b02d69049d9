"""The authentication backends, loading the signed-in user with their office in one query.

Every signed-in page shows the user's office (the header, the footer's contact, the booking
rules), so the user is read with it (REQ NFR-4). Their permissions are kept under the user's
rights version (`accounts.rights`), read in the same query, instead of being read twice a
request. Authentication itself is Django's and allauth's, unchanged.

That one query is every signed-in request's, so its statement is built once a process
(`core.statements.kept_statement`, checked against the ORM's on the first call) and its row is
made into the user and office as the ORM's `select_related` would: building and compiling the
sixty-column join cost more than PostgreSQL's work for the row (REQ NFR-4).
"""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from core.statements import kept_statement

from . import rights


def _with_office(model, user_id):
    return model._default_manager.select_related("office").filter(pk=user_id)


@functools.cache
def _layout(model, db: str):
    """Where the user's and the office's columns sit in the statement's row, read off the ORM's
    own compiler once, and the setter `select_related` caches the office with; None when a
    column needs a converter (then the ORM reads each row)."""
    compiler = _with_office(model, 0).query.get_compiler(using=db)
    compiler.setup_query()
    expressions = [expression for expression, _sql, _alias in compiler.select]
    if compiler.get_converters(expressions):
        return None
    names = [expression.target.attname for expression in expressions]
    office = compiler.klass_info["related_klass_infos"][0]
    office_pk = office["model"]._meta.pk.attname

    def picked(info):
        return [(index, names[index]) for index in info["select_fields"]]

    return (
        picked(compiler.klass_info),
        office["model"],
        picked(office),
        office_pk,
        office["local_setter"],
    )


def user_with_office(user_id):
    """The user `user_id` with their office, as `select_related("office")` reads them; None when
    there is no such user."""
    model = get_user_model()
    try:
        user_id = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    db = router.db_for_read(model)
    layout = _layout(model, db)
    if layout is None:
        return next(iter(_with_office(model, user_id)), None)
    sql, params = kept_statement(
        ("accounts.user_with_office", model, db),
        lambda inputs: _with_office(model, inputs["pk"]).query.sql_with_params(),
        {"pk": user_id},
        stand_ins=lambda n: {"pk": -1000 - n},
    )
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    user_columns, office_model, office_columns, office_pk, set_office = layout
    user = model.from_db(
        db, [name for _i, name in user_columns], [row[i] for i, _n in user_columns]
    )
    values = dict((name, row[i]) for i, name in office_columns)
    office = None
    if values[office_pk] is not None:
        office = office_model.from_db(db, list(values), list(values.values()))
    set_office(user, office)
    return user


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
