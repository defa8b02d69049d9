"""Driving "check your answers" in tests: the form's POST answers with the check page, which
carries the answers signed to the send address. Read from the page's HTML, as a browser does
(the test client's captured context is shared between threads)."""

from __future__ import annotations

import html
import re

ANSWERS = re.compile(
    r'<form method="post" action="([^"]+)">.*?name="answers" value="([^"]+)"', re.S
)
CHANGE = re.compile(r'<a href="([^"]+)">[^<]*</a></p>\s*<form method="post" action=')


class CheckPage:
    def __init__(self, response):
        assert response.status_code == 200, response.content.decode()
        self.response = response
        self.html = response.content.decode()
        found = ANSWERS.search(self.html)
        assert found, "no check-your-answers form on the page"
        self.send_url, self.answers = html.unescape(found.group(1)), html.unescape(found.group(2))
        self.change_url = html.unescape(CHANGE.search(self.html).group(1))

    def send(self, client):
        return client.post(self.send_url, {"answers": self.answers})


def fill_and_check(client, url: str, data: dict) -> CheckPage:
    return CheckPage(client.post(url, data))
