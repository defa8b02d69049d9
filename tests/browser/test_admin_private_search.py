"""What staff type into the admin's search box or an autocomplete never shows in the address
bar nor in any URL the browser asks for (REQ LOG-2), and each list shown is recorded (LOG-1)."""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission

from accounts.access import AccessKind, AccessRecord, search_hash
from tests.auth import login_browser, staff_with_mfa
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TERM = "検索花子"


@pytest.fixture
def staff_office():
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    UserFactory(office=office, username="found1", last_name="検索花子")
    UserFactory(office=office, username="other1", last_name="別人")
    counselor = staff_with_mfa(office=office)
    counselor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["booths", "accounts"],
            codename__in=["view_user", "view_reservation", "change_reservation"],
        )
    )
    return office, counselor


def _requested_urls(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def _carries_term(url: str) -> bool:
    return TERM in url or quote(TERM) in url or "q=" in url.replace("qt=", "")


def test_an_admin_search_never_shows_the_term_in_the_address_bar(live_server, page, staff_office):
    # REQ LOG-2, LOG-1
    _, counselor = staff_office
    login_browser(page, live_server.url, counselor)
    urls = _requested_urls(page)
    page.goto(live_server.url + "/admin/accounts/user/")
    page.fill("#searchbar", TERM)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    assert not _carries_term(page.url)
    results = page.locator("#result_list tbody")
    assert "found1" in results.inner_text() and "other1" not in results.inner_text()
    assert page.input_value("#searchbar") == TERM  # kept in the box, inside the page only

    # Sorting the found list keeps the search, and the term stays out of the URL.
    with page.expect_navigation():
        page.locator("#result_list thead th.sortable div.text a").first.click()
    assert not _carries_term(page.url) and "qt=" in page.url
    assert "found1" in results.inner_text() and "other1" not in results.inner_text()
    assert not [url for url in urls if _carries_term(url)]

    searches = AccessRecord.objects.filter(kind=AccessKind.ADMIN_SEARCH, actor=counselor)
    assert {record.search_hash for record in searches} == {search_hash(TERM)}
    assert searches.count() == 2  # the search, and the sorted list of it


def test_an_admin_autocomplete_posts_what_staff_type(live_server, page, staff_office):
    # REQ LOG-2: Django's widget asked /admin/autocomplete/?term=… on every keystroke. The
    # site's script is driven on a reservation's page, the widget's own markup added.
    office, counselor = staff_office
    reservation = ReservationFactory(booth=BoothFactory(office=office))
    login_browser(page, live_server.url, counselor)
    page.goto(f"{live_server.url}/admin/booths/reservation/{reservation.pk}/change/")
    # As the widget's media loads them: select2 onto the admin's jQuery, then the site's script.
    page.evaluate("() => { window.jQuery = django.jQuery; }")
    page.add_style_tag(url="/static/admin/css/vendor/select2/select2.min.css")
    page.add_style_tag(url="/static/admin/css/autocomplete.css")
    page.add_script_tag(url="/static/admin/js/vendor/select2/select2.full.js")
    page.add_script_tag(url="/static/admin/js/autocomplete.js")
    page.evaluate(
        """() => {
            const select = document.createElement('select');
            select.id = 'private-autocomplete';
            select.className = 'admin-autocomplete';
            select.setAttribute('data-ajax--url', '/admin/autocomplete/');
            select.dataset.appLabel = 'booths';
            select.dataset.modelName = 'reservation';
            select.dataset.fieldName = 'user';
            document.querySelector('#content-main form').prepend(select);
            django.jQuery(select).djangoAdminSelect2();
        }"""
    )
    page.evaluate("() => django.jQuery('#private-autocomplete').select2('open')")
    # Opening asked for the first page of everyone (no term); typing asks with the term.
    with page.expect_response(
        lambda response: (
            "/admin/autocomplete/" in response.url and "term=" in (response.request.post_data or "")
        )
    ) as answered:
        page.locator(".select2-search__field").fill(TERM)
    request = answered.value.request
    assert request.method == "POST" and not _carries_term(request.url)
    assert TERM in (request.post_data or "") or quote(TERM) in (request.post_data or "")
    # Until the term's answer is drawn, the list may still show the first page's people.
    page.locator(".select2-results__option.loading-results").wait_for(state="detached")
    option = page.locator(".select2-results__option", has_text="検索花子")
    option.wait_for()
    assert page.locator(".select2-results__option", has_text="別人").count() == 0
    assert not _carries_term(page.url)
    record = AccessRecord.objects.get(kind=AccessKind.ADMIN_SEARCH, actor=counselor)
    assert record.search_hash == search_hash(TERM)
