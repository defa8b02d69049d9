"""The signed-in user and their office, read by a statement built once a process (REQ NFR-4).

Every signed-in request reads its user with their office (`accounts.backends`); the statement is
kept and the row made into the same objects the ORM's `select_related("office")` gives.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import ModelBackend, user_with_office
from accounts.models import User
from core import statements
from tests.factories import OfficeFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_statements")]


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_the_kept_read_gives_the_orms_user_and_office_with_the_office_already_read():
    # REQ NFR-4
    users = [UserFactory(office=OfficeFactory()), UserFactory(office=OfficeFactory())]
    for user in users:
        kept = user_with_office(str(user.pk))  # as the session holds it
        orm = User.objects.select_related("office").get(pk=user.pk)
        with CaptureQueriesContext(connection) as queries:
            assert _fields(kept) == _fields(orm)
            assert _fields(kept.office) == _fields(orm.office)
        assert len(queries) == 0
        assert kept._state.adding is False and kept._state.db == "default"
    assert statements.kept("accounts.backends.user_with_office") is not None


def test_a_user_without_an_office_has_none_and_reading_it_costs_nothing():
    # REQ NFR-4
    user = UserFactory(office=None)
    kept = user_with_office(user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert kept.office is None
    assert len(queries) == 0
    assert kept.pk == user.pk


def test_each_read_sees_the_row_as_it_is_now():
    # REQ NFR-4: only the statement is kept, never the row.
    user = UserFactory(first_name="Before")
    assert user_with_office(user.pk).first_name == "Before"
    User.objects.filter(pk=user.pk).update(first_name="After")
    assert user_with_office(user.pk).first_name == "After"
    office = OfficeFactory()
    User.objects.filter(pk=user.pk).update(office=office)
    assert user_with_office(user.pk).office == office


def test_no_user_for_an_unknown_or_malformed_id_nor_an_inactive_one():
    # REQ NFR-4, REG-5: a removed or deactivated account is signed out as before.
    user = UserFactory(is_active=False)
    assert user_with_office(user.pk) is not None
    assert ModelBackend().get_user(user.pk) is None
    assert user_with_office(10**12) is None
    assert user_with_office("not-a-number") is None
    active = UserFactory()
    assert ModelBackend().get_user(active.pk) == active
