"""The meeting-link rule (REQ CON-2): https on an allowed host of the tool, nothing else."""

import pytest

from consultations.video import join_url_problem

ZOOM = ["zoom.us"]


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/j/123456789",
        "https://us02web.zoom.us/j/123456789?pwd=abc",
        "https://ZOOM.US/j/1",
        "https://zoom.us:443/j/1",
    ],
)
def test_https_links_on_an_allowed_host_or_its_subdomains_pass(url):
    # REQ CON-2
    assert join_url_problem(url, ZOOM) is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://zoom.us/j/1",
        "https://zoom.us.evil.example/j/1",
        "https://evilzoom.us/j/1",
        "https://user@zoom.us/j/1",
        "https://user:pass@zoom.us/j/1",
        "https://zoom.us@evil.example/j/1",
        "https://zoom.us:8443/j/1",
        "https://zoom.us\\@evil.example/",
        "https:///j/1",
        "https://zoom.us/j/1 onmouseover=x",
        "data:text/html,hi",
        "//zoom.us/j/1",
        "https://xn--zom-mna.us/j/1",
        "https://zoom.us/" + "a" * 600,
        "https://[::1/",
    ],
)
def test_other_schemes_user_info_and_look_alike_hosts_are_refused(url):
    # REQ CON-2
    assert join_url_problem(url, ZOOM)


def test_no_allowed_host_refuses_everything():
    # REQ CON-2: a tool without hosts accepts no link
    assert join_url_problem("https://zoom.us/j/1", [])
