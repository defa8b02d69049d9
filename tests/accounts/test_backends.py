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
