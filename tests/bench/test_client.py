"""The load driver's form reading (bench/client.py): what it sends back is what a person would."""

from bench.client import forms_of, last_post_form

PAGE = """<header><form method="post" action="/accounts/logout/">
<input type="hidden" name="csrfmiddlewaretoken" value="header"></form>
<form method="get" action="/search/"><input name="q" value="x"></form></header>
<main><form action="/booths/1/2026-12-09/1000/request/" method="POST" novalidate>
<input type="hidden" name="csrfmiddlewaretoken" value="page">
<input type="hidden" name="answers" value="signed:answers">
<input type="radio" name="tool" value="1"><input type="radio" name="tool" value="2">
<select name="purpose"><option value="">-</option><option value="job_search">j</option></select>
<textarea name="note"></textarea><input type="checkbox" name="agree" value="yes" checked>
<input type="checkbox" name="skip" value="no"><input type="submit" name="send" value="Send">
</form></main><footer><form method="get" action="/lang/"></form></footer>"""


def test_the_driver_reads_the_pages_own_form_as_the_whole_page_parse_does():
    # REQ NFR-4: the benchmark's driver parses only the form it sends, with the same answer.
    action, fields = last_post_form(PAGE)
    assert (action, fields) == forms_of(PAGE)[-1]
    assert action == "/booths/1/2026-12-09/1000/request/"
    assert fields == [
        ("csrfmiddlewaretoken", "page"),
        ("answers", "signed:answers"),
        ("tool", "1"),
        ("purpose", "job_search"),
        ("note", ""),
        ("agree", "yes"),
    ]


def test_a_page_without_a_form_that_posts_has_nothing_to_send():
    # REQ NFR-4
    assert last_post_form('<form method="get" action="/x"><input name="q"></form>') is None


class _Server:
    """A loopback server answering each connection's requests with the next canned answer."""

    def __init__(self, answers: list[bytes]):
        import socket
        import threading

        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            conn, _ = self.listener.accept()
            with conn:
                while self.answers:
                    data = conn.recv(65536)
                    if not data:
                        break
                    self.requests.append(data)
                    answer = self.answers.pop(0)
                    conn.sendall(answer)
                    if b"Connection: close" in answer:
                        break


def test_the_driver_reads_answers_of_every_framing_and_keeps_cookies():
    # REQ NFR-4: the driver's own HTTP reads what a server sends, as a browser would.
    from bench.client import Browser

    server = _Server(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: csrftoken=abc; Path=/\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n4\r\nbars\r\n0\r\n\r\n",
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1/booths/reservations/7/\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
        ]
    )
    browser = Browser(server.port, "session-1", timeout=5, client_ip="10.0.0.1")
    first = browser.get("/one/")
    assert (first.status, first.body) == (200, b"hello")
    assert browser.cookies == {"sessionid": "session-1", "csrftoken": "abc"}
    second = browser.request("POST", "/two/", [("a", "b c")])
    assert (second.status, second.body) == (200, b"foobars")
    third = browser.get("/three/")
    assert (third.status, third.location) == (302, "/booths/reservations/7/")
    fourth = browser.get("/four/")
    assert (fourth.status, fourth.body) == (200, b"until the end")
    browser.close()
    assert server.requests[0].startswith(b"GET /one/ HTTP/1.1\r\n")
    assert b"Cookie: sessionid=session-1\r\n" in server.requests[0]
    assert b"X-Real-IP: 10.0.0.1\r\n" in server.requests[0]
    assert b"Cookie: sessionid=session-1; csrftoken=abc\r\n" in server.requests[1]
    assert server.requests[1].endswith(b"Content-Length: 5\r\n\r\na=b+c")
