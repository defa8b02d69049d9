"""The office's court of jurisdiction is shown with its terms (REQ OFF-1)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_terms_pages_name_the_offices_court(client, v2):
    # REQ OFF-1: the current version and an old one alike.
    document = v2.document
    document.office.court = "青森地方裁判所五所川原支部"
    document.office.save()
    old = reverse("terms:version", args=[document.office.code, document.service, 1])
    for url in (document.get_absolute_url(), old):
        response = client.get(url)
        assert response.status_code == 200
        assert "青森地方裁判所五所川原支部" in response.content.decode()
