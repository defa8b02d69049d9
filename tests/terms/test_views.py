"""Public terms pages and the re-consent page (REQ TRM-1, TRM-3, TRM-4)."""

import re
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from terms.gate import consent_required
from terms.models import Consent
from tests.factories import StaffFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


def test_current_terms_are_public(client, v2):
    # REQ TRM-1
    office = v2.document.office
    response = client.get(reverse("terms:current", args=[office.code, "booth"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "キャンセルはサイトからもできます。" in html
    assert "<h2>予約</h2>" in html


def test_old_versions_stay_readable_and_are_marked_old(client, v2):
    # REQ TRM-1
    office = v2.document.office
    listing = client.get(reverse("terms:versions", args=[office.code, "booth"])).content.decode()
    assert "キャンセルの方法を追加しました。" in listing
    old = client.get(reverse("terms:version", args=[office.code, "booth", 1])).content.decode()
    assert "キャンセルは電話で連絡します。" in old
    assert "古い版" in old


def test_drafts_are_not_public(client, booth_terms):
    # REQ TRM-1
    TermsVersionFactory(document=booth_terms, number=1, status="draft", published_at=None)
    response = client.get(reverse("terms:version", args=[booth_terms.office.code, "booth", 1]))
    assert response.status_code == 404


def test_comparison_highlights_added_and_removed_text(client, v2):
    # REQ TRM-1
    office = v2.document.office
    html = client.get(
        reverse("terms:compare", args=[office.code, "booth"]), {"old": 1, "new": 2}
    ).content.decode()
    assert re.search(r"<del>.*キャンセルは電話で連絡します。(</span>)?</del>", html)
    assert re.search(r"<ins>.*キャンセルはサイトからもできます。(</span>)?</ins>", html)


def test_comparison_with_versions_in_the_wrong_order_explains_the_error(client, v2):
    # REQ TRM-4
    office = v2.document.office
    html = client.get(
        reverse("terms:compare", args=[office.code, "booth"]), {"old": 2, "new": 1}
    ).content.decode()
    assert "error-summary" in html
    assert "<del>" not in html


def test_top_page_announces_a_future_version(client, v1):
    # REQ TRM-3
    TermsVersionFactory(
        document=v1.document, number=2, effective_from=timezone.now() + timedelta(days=10)
    )
    html = client.get("/").content.decode()
    assert "利用規約が" in html and "変わります" in html
    assert reverse("terms:compare", args=[v1.document.office.code, "booth"]) in html


@consent_required("booth")
def _booking_view(request):
    return HttpResponse("booking page")


def test_gate_lets_a_user_with_current_consent_through(rf, v1, user):
    # REQ TRM-4
    ConsentFactory(version=v1, user=user)
    request = rf.get("/booths/book/")
    request.user = user
    assert _booking_view(request).content == b"booking page"


def test_gate_sends_a_user_with_an_older_consent_to_reconsent(rf, v2, user):
    # REQ TRM-4
    ConsentFactory(version=v2.document.versions.get(number=1), user=user)
    request = rf.get("/booths/book/?day=2026-12-01")
    request.user = user
    response = _booking_view(request)
    assert response.status_code == 302
    assert response.url.startswith(reverse("terms:reconsent", args=["booth"]))
    assert "next=%2Fbooths%2Fbook%2F%3Fday%3D2026-12-01" in response.url


def test_gate_sends_anonymous_users_to_sign_in(rf, v1):
    # REQ TRM-2, NFR-3
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/booths/book/")
    request.user = AnonymousUser()
    response = _booking_view(request)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_reconsent_page_shows_the_changes_since_the_accepted_version(client, v2, user):
    # REQ TRM-4, BTH-8
    ConsentFactory(version=v2.document.versions.get(number=1), user=user)
    client.force_login(user)
    html = client.get(
        reverse("terms:reconsent", args=["booth"]), {"next": "/booths/"}
    ).content.decode()
    assert re.search(r"<del>.*キャンセルは電話で連絡します。(</span>)?</del>", html)
    assert "キャンセルの方法を追加しました。" in html


def test_accepting_records_consent_and_returns_to_the_task(client, v2, user):
    # REQ TRM-2, TRM-4
    ConsentFactory(version=v2.document.versions.get(number=1), user=user)
    client.force_login(user)
    response = client.post(
        reverse("terms:reconsent", args=["booth"]),
        {"decision": "accept", "accept": "on", "next": "/booths/book/"},
        HTTP_USER_AGENT="TestBrowser/1",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302 and response.url == "/booths/book/"
    consent = Consent.objects.get(user=user, version=v2)
    assert consent.ip_address == "198.51.100.7" and consent.user_agent == "TestBrowser/1"


def test_accepting_without_ticking_the_box_shows_the_error_and_records_nothing(client, v2, user):
    # REQ TRM-2
    client.force_login(user)
    response = client.post(
        reverse("terms:reconsent", args=["booth"]), {"decision": "accept", "next": "/"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in html
    assert not Consent.objects.filter(user=user, version=v2).exists()


def test_declining_explains_what_is_blocked_and_keeps_everything(client, v2, user):
    # REQ TRM-4
    old_consent = ConsentFactory(version=v2.document.versions.get(number=1), user=user)
    client.force_login(user)
    response = client.post(
        reverse("terms:reconsent", args=["booth"]), {"decision": "decline", "next": "/"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "新しい予約" in html
    assert user.office.phone in html
    user.refresh_from_db()
    assert user.is_active
    assert list(Consent.objects.filter(user=user)) == [old_consent]


def test_reconsent_never_redirects_to_another_site(client, v2, user):
    # REQ TRM-4, NFR-3
    client.force_login(user)
    response = client.post(
        reverse("terms:reconsent", args=["booth"]),
        {"decision": "accept", "accept": "on", "next": "https://evil.example/"},
    )
    assert response.url == "/"


def test_staff_are_not_gated(rf, v2):
    # REQ TRM-2
    staff = StaffFactory(office=v2.document.office)
    request = rf.get("/booths/book/")
    request.user = staff
    assert _booking_view(request).status_code == 200


def test_signup_consent_hook_records_consent_to_every_document_of_the_office(v1, rf):
    # REQ TRM-2
    from terms.forms import SignupConsentForm
    from tests.terms.factories import TermsDocumentFactory

    online = TermsVersionFactory(
        document=TermsDocumentFactory(office=v1.document.office, service="online"), number=1
    )
    user = UserFactory(office=v1.document.office)
    form = SignupConsentForm({"accept_terms": "on"})
    assert form.is_valid()
    form.signup(rf.post("/", REMOTE_ADDR="192.0.2.1"), user)
    assert set(Consent.objects.filter(user=user).values_list("version", flat=True)) == {
        v1.pk,
        online.pk,
    }


def test_signup_requires_ticking_the_terms_box():
    # REQ TRM-2
    from terms.forms import SignupConsentForm

    form = SignupConsentForm({})
    assert not form.is_valid()
    assert "accept_terms" in form.errors


def test_top_page_links_the_comparison_only_to_a_version_that_exists(client, booth_terms):
    # REQ TRM-3: a first version has nothing to compare with; gaps in numbers are skipped.
    upcoming = TermsVersionFactory(
        document=booth_terms, number=1, effective_from=timezone.now() + timedelta(days=3)
    )
    html = client.get("/").content.decode()
    assert reverse("terms:compare", args=[booth_terms.office.code, "booth"]) not in html
    assert upcoming.get_absolute_url() in html
    TermsVersionFactory(
        document=booth_terms, number=3, effective_from=timezone.now() + timedelta(days=9)
    )
    html = client.get("/").content.decode()
    assert "?old=1&amp;new=3" in html
