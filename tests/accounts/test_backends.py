"""The signed-in user is read with their office in one query (REQ NFR-4)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_reads_the_user_with_the_office_and_not_the_office_again(client):
    # REQ NFR-4: the footer shows the user's office; it comes with the user
    user = UserFactory()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    assert user.office.name in html
    sqls = [query["sql"] for query in queries]
    assert any(
        re.search(r'FROM "accounts_user" \w+ (OUTER )?JOIN "accounts_office"', s) for s in sqls
    )
    assert not any(re.search(r'FROM "accounts_office"', s) for s in sqls), sqls


def test_the_signed_in_user_is_read_by_the_statement_the_orm_builds(client):
    # REQ NFR-4: the user-with-office query is built once a process and then only filled in;
    # each person is read whole, with their own office, as the ORM reads them
    from accounts.backends import user_with_office
    from core import statements

    statements.forget()
    first, second = UserFactory(), UserFactory()
    for user in (first, second, first):
        read = user_with_office(user.pk)
        assert read == user and read.office == user.office
        assert read.username == user.username and read.office.name == user.office.name
        with CaptureQueriesContext(connection) as queries:
            assert read.office.code == user.office.code
        assert len(queries) == 0
    assert statements.kept("accounts.backends.user_with_office") is not None
    assert user_with_office(-1) is None and user_with_office("x") is None
    client.force_login(second)
    assert client.get(reverse("home")).context["user"] == second
