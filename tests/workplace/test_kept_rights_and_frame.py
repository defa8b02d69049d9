"""What the staff pages keep of the person (issue 21, REQ STF-2, REG-8, NFR-4): their
permissions and second factor under the rights version the database raises, and the admin
frame written once per person, page and language. Every change to what they may do applies to
the very next request; the kept frame is the page Django's templates write."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.template.response import TemplateResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from tests.auth import login_client
from tests.booths.conftest import tokyo
from tests.booths.factories import ReservationFactory
from workplace import call_list, day_sheet

from .test_workplace import CALLS, DAY

pytestmark = pytest.mark.django_db

PAGE_PERMISSIONS = ("view_reservation", "view_consultation")


def _version(user) -> int:
    return User.objects.values_list("rights_version", flat=True).get(pk=user.pk)


def _permission_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    reads = [q["sql"] for q in queries.captured_queries if "auth_permission" in q["sql"]]
    return response.status_code, len(reads)


def test_a_later_page_reads_no_permission_and_a_permission_taken_away_applies_at_once(
    frozen, staff_client, me
):
    # REQ STF-2, NFR-4: kept under the rights version; removing a permission raises it in the
    # same transaction, so the next request is refused
    assert staff_client.get(DAY).status_code == 200
    assert _permission_queries(staff_client, DAY) == (200, 0)
    before = _version(me)
    me.user_permissions.remove(Permission.objects.get(codename="view_reservation"))
    assert _version(me) > before
    assert staff_client.get(DAY).status_code == 403
    assert staff_client.get(CALLS).status_code == 403


def test_a_group_and_its_permissions_given_and_taken_apply_at_once(frozen, client, office):
    # REQ STF-2: a staff member whose rights come from a group; the group's permissions and
    # the membership each raise their version
    from tests.auth import staff_with_mfa

    user = staff_with_mfa(office=office)
    login_client(client, user)
    assert client.get(DAY).status_code == 403
    group = Group.objects.create(name="day sheet readers")
    user.groups.add(group)
    assert client.get(DAY).status_code == 403  # the group has no permission yet
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["booths", "consultations"],
            codename__in=PAGE_PERMISSIONS,
        )
    )
    assert client.get(DAY).status_code == 200
    assert client.get(DAY).status_code == 200  # kept
    group.permissions.remove(Permission.objects.get(codename="view_consultation"))
    assert client.get(DAY).status_code == 403
    group.permissions.add(Permission.objects.get(codename="view_consultation"))
    assert client.get(DAY).status_code == 200
    user.groups.remove(group)
    assert client.get(DAY).status_code == 403


def test_a_removed_second_factor_closes_the_admin_at_once(frozen, staff_client, me):
    # REQ REG-8: whether they enrolled one is kept under the same version, which removing an
    # authenticator raises
    assert staff_client.get(DAY).status_code == 200
    before = _version(me)
    Authenticator.objects.filter(user=me).delete()
    assert _version(me) > before
    response = staff_client.get(DAY)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_rights_version_never_goes_down(me):
    # REQ NFR-4: a full save of a row read before the change writes the old number back
    stale = User.objects.get(pk=me.pk)
    me.user_permissions.clear()
    raised = _version(me)
    stale.save()
    assert _version(me) == raised


def _folded(html: str) -> str:
    """The page without what differs on each request (CSRF tokens), whitespace folded."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return " ".join(html.split())


def _whole_template(request, template, body, context):
    return TemplateResponse(request, template, context)


@pytest.mark.parametrize("url", [DAY, CALLS])
def test_the_kept_frame_writes_the_page_the_templates_write(
    frozen, staff_client, booth, url, monkeypatch
):
    # REQ NFR-4, STF-1: the page's whole template, whitespace aside, for the kept frame's page
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    staff_client.get(url)
    kept = staff_client.get(url).content.decode()
    assert "\x00" not in kept
    for module in (day_sheet, call_list):
        monkeypatch.setattr(module, "render_page", _whole_template)
    whole = staff_client.get(url).content.decode()
    assert _folded(kept) == _folded(whole)
    assert '<form id="logout-form"' in kept and "相談" in kept


def test_the_kept_frames_log_out_form_carries_the_requests_own_csrf_token(frozen, me):
    # REQ NFR-3: the frame holds a mark where the token goes; the request's own is accepted
    client = login_client(Client(enforce_csrf_checks=True), me)
    client.get(CALLS)
    html = client.get(CALLS).content.decode()
    logout = re.search(r'<form id="logout-form".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout).group(1)
    refused = Client(enforce_csrf_checks=True)
    refused.cookies = client.cookies
    assert (
        refused.post(reverse("admin:logout"), {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    )
    assert client.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_message_is_shown_once_in_the_kept_frame(frozen, staff_client, booth):
    # REQ STF-1: what an action says is shown on the next page, then no more
    requested = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    staff_client.get(CALLS)
    staff_client.post(
        reverse("admin:workplace_action"),
        {"kind": "booth", "pk": requested.pk, "action": "confirm_now", "back": "calls"},
    )
    shown = staff_client.get(CALLS).content.decode()
    assert '<ul class="messagelist">' in shown
    assert '<ul class="messagelist">' not in staff_client.get(CALLS).content.decode()
