"""A small HTTP client for the booking flow and the fault runs (standard library only).

Talks to 127.0.0.1 only. Each `Browser` keeps one keep-alive connection and its cookies, reads
the forms of a page (hidden inputs, the first choice of each radio group, text values) and
sends them back as a person would: the request page, then check your answers, then send.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"
# Where a booking lands: a booth reservation's page or an online consultation's.
RESERVATION_PATH = re.compile(r"^/(?:booths/reservations|consultations)/(\d+)/$")
CLIENT_IP_HEADER = "X-Real-IP"


def ip_for(user_id: int) -> str:
    """A private address of its own for each bench user (10.0.0.0/8)."""
    return f"10.{user_id >> 16 & 255}.{user_id >> 8 & 255}.{user_id & 255}"


def browser_for(port: int, line: dict, timeout: float = 30.0) -> Browser:
    """The browser of the person on one plan line: their session, their address."""
    return Browser(port, line["cookie"], timeout=timeout, client_ip=ip_for(line["user"]))


class _Forms(HTMLParser):
    """The fields of the forms that POST, in document order: [(action, [(name, value)])]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._radio_seen: set[str] = set()
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.forms.append((a.get("action") or "", []))
            self._radio_seen = set()
            return
        if not self.forms:
            return
        fields = self.forms[-1][1]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file"):
                return
            if kind == "radio":
                if name not in self._radio_seen:
                    self._radio_seen.add(name)
                    fields.append((name, a.get("value") or ""))
                return
            if kind == "checkbox":
                if "checked" in a:
                    fields.append((name, a.get("value") or "on"))
                return
            fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            fields.append((name, ""))
        elif tag == "select" and name:
            fields.append((name, ""))  # the first option is read below
        elif tag == "option" and fields and fields[-1][1] == "" and a.get("value"):
            fields[-1] = (fields[-1][0], a["value"])

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
POSTS = re.compile(r"\bmethod\s*=\s*[\"']?post\b", re.IGNORECASE)


def last_post_form(html: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The page's last form that POSTs, as `forms_of` reads it, parsing that form alone.

    The driver shares the servers' cores: parsing a whole check page in Python cost more CPU
    than the rest of the driver's work for a booking, so only the form's own HTML is read."""
    for tag in reversed(list(FORM_TAG.finditer(html))):
        if POSTS.search(tag.group(0)):
            end = html.find("</form>", tag.end())
            forms = forms_of(html[tag.start() : len(html) if end < 0 else end + len("</form>")])
            if forms:
                return forms[-1]
    return None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One person: cookies and a keep-alive connection to one server.

    HTTP/1.1 is spoken over a plain socket: the driver runs on the servers' own cores, and
    `http.client`'s header parsing (the e-mail parser) cost more CPU a request than the rest
    of the driver's work. Bodies come with Content-Length (Django's CommonMiddleware), chunked,
    or until the server closes."""

    def __init__(
        self,
        port: int,
        session_cookie: str | None = None,
        timeout: float = 30.0,
        client_ip: str | None = None,
    ):
        self.port = port
        self.timeout = timeout
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {}
        if session_cookie:
            self.cookies["sessionid"] = session_cookie
        self._sock: socket.socket | None = None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _exchange(self, message: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request on the open connection (opening one if none) and read its answer.
        `http.client.RemoteDisconnected` when the server closed before answering."""
        if self._sock is None:
            self._sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
        sock = self._sock
        sock.sendall(message)
        buffer = b""
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise http.client.RemoteDisconnected("closed before an answer")
            buffer += chunk
        status_line, *lines = buffer[:end].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for line in lines:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        named = {name.lower(): value for name, value in headers}
        body = buffer[end + 4 :]
        if "content-length" in named:
            length = int(named["content-length"])
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise http.client.IncompleteRead(body, length - len(body))
                body += chunk
        elif named.get("transfer-encoding", "").lower() == "chunked":
            body = self._dechunk(sock, body)
        else:
            while chunk := sock.recv(65536):
                body += chunk
            self.close()
        return status, headers, body

    @staticmethod
    def _dechunk(sock: socket.socket, data: bytes) -> bytes:
        body = b""
        while True:
            while (line_end := data.find(b"\r\n")) < 0:
                data += sock.recv(65536) or b"\r\n"
            size = int(data[:line_end].split(b";", 1)[0], 16)
            data = data[line_end + 2 :]
            while len(data) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise http.client.IncompleteRead(body + data, size + 2 - len(data))
                data += chunk
            if size == 0:
                return body
            body += data[:size]
            data = data[size + 2 :]

    def request(
        self, method: str, path: str, data: list[tuple[str, str]] | None = None
    ) -> Response:
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.client_ip:
            # As a trusted proxy in front would say (config.settings.bench trusts this header):
            # people come from many addresses, and per-address rate limits see them so.
            head.append(f"{CLIENT_IP_HEADER}: {self.client_ip}")
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if data is not None:
            body = urlencode(data).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                status, headers, payload = self._exchange(message)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed: once more on a fresh one. A POST
                # is only retried when nothing was answered, so it cannot be sent twice.
                self.close()
                if attempt == 2:
                    raise
        named: dict[str, str] = {}
        for name, value in headers:
            lower = name.lower()
            named[lower] = value
            if lower == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if val and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = val.strip().strip('"')
                else:
                    self.cookies.pop(key.strip(), None)
        if named.get("connection", "").lower() == "close":
            self.close()
        return Response(status, named, payload, time.perf_counter() - started)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def submit(self, path: str, page: Response, overrides: dict[str, str] | None = None):
        """POST the last POST form of `page` (the page's own form, not the header's sign-out)."""
        form = last_post_form(page.text)
        if form is None:
            raise RuntimeError(f"no form on {path} (HTTP {page.status})")
        action, fields = form
        fields = [(k, (overrides or {}).get(k, v)) for k, v in fields]
        return self.request("POST", urlsplit(action).path or path, fields)


@dataclass
class Outcome:
    """One booking attempt: how it ended and how long it took."""

    result: str  # booked, taken, refused, error-<status>, failed-<exception>
    seconds: float
    reservation_id: int | None = None
    final_status: int | None = None
    requests: int = 0


def prepare_check(browser: Browser, slot_path: str) -> Response:
    """The request page and its form, which answers with the check page itself (its answers
    signed in its form, not yet sent)."""
    page = browser.get(slot_path)
    if page.status != 200:
        raise RuntimeError(f"request page answered {page.status}")
    check = browser.submit(slot_path, page)
    if check.status != 200 or 'name="answers"' not in check.text:
        raise RuntimeError(f"request form answered {check.status} {check.location}")
    return check


def finish(browser: Browser, check_path: str, page: Response, started: float) -> Outcome:
    answer = browser.submit(check_path, page)
    elapsed = time.perf_counter() - started
    match = RESERVATION_PATH.match(answer.location) if answer.status == 302 else None
    if match:
        return Outcome("booked", elapsed, int(match.group(1)), 302)
    if answer.status == 409:
        return Outcome("taken", elapsed, None, 409)
    if answer.status in (400, 403):
        return Outcome("refused", elapsed, None, answer.status)
    return Outcome(f"error-{answer.status}", elapsed, None, answer.status)


def book(browser: Browser, slot_path: str, answers_query: str = "") -> Outcome:
    """The whole flow as one person. With `answers_query` (the purpose, and online the video
    tool, picked with the slot on the day page) the slot link opens "check your answers" and
    the send books: two requests. Without it, or when the profile lacks an answer: the request
    page, its form (answered with check your answers), the send: three requests."""
    started = time.perf_counter()
    try:
        page, requests = None, 0
        if answers_query:
            page, requests = browser.get(slot_path + answers_query), 1
            if page.status != 200:
                raise RuntimeError(f"slot link answered {page.status}")
            if 'name="answers"' not in page.text:
                page = None  # an answer is missing: the form asks for it
        if page is None:
            page, requests = prepare_check(browser, slot_path), requests + 2
        outcome = finish(browser, slot_path, page, started)
        outcome.requests = requests + 1
        return outcome
    except RuntimeError as error:
        status = re.search(r"answered (\d+)", str(error))
        return Outcome(
            f"error-{status.group(1)}" if status else "failed-flow",
            time.perf_counter() - started,
        )
    except (OSError, http.client.HTTPException) as error:
        browser.close()
        return Outcome(f"failed-{type(error).__name__}", time.perf_counter() - started)


@dataclass
class LoadReport:
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def summary(self) -> dict:
        done = [o.seconds for o in self.outcomes if o.result == "booked"]
        requests = [o.requests for o in self.outcomes if o.result == "booked"]
        results: dict[str, int] = {}
        for outcome in self.outcomes:
            results[outcome.result] = results.get(outcome.result, 0) + 1
        quantiles = statistics.quantiles(done, n=100) if len(done) >= 2 else [0.0] * 99
        return {
            "seconds": round(self.seconds, 2),
            "attempts": len(self.outcomes),
            "results": results,
            "booked_per_s": round(len(done) / self.seconds, 1) if self.seconds else 0.0,
            "requests_per_booking": round(statistics.mean(requests), 2) if requests else 0.0,
            "flow_p50_ms": round(quantiles[49] * 1000, 1),
            "flow_p95_ms": round(quantiles[94] * 1000, 1),
            "flow_p99_ms": round(quantiles[98] * 1000, 1),
        }


def booking_load(
    plan: list[dict], ports: list[int], *, clients: int, seconds: float, flow: str = "three"
) -> LoadReport:
    """`clients` threads book the plan's slots, one person each, until time or plan runs out:
    `flow` "two" opens each slot link with the answers picked on the day page, "three" asks
    them on the request form.

    Bounded twice: no thread starts a booking after `seconds`, and each plan line is used once.
    """
    lock = threading.Lock()
    cursor = iter(enumerate(plan))
    report = LoadReport()
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        port = ports[number % len(ports)]
        while time.monotonic() < deadline:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            _index, line = item
            browser = browser_for(port, line)
            query = line.get("answers_query", "") if flow == "two" else ""
            outcome = book(browser, line["slot_path"], query)
            browser.close()
            with lock:
                report.outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    report.seconds = time.monotonic() - started
    return report


def wait_until_up(port: int, path: str = "/", seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                pass
            browser = Browser(port, timeout=10)
            status = browser.get(path).status
            browser.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on {HOST}:{port}{path} after {seconds:.0f} s")


def read_plan(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def visit_each(lines: list[dict], page: str, port: int, *, clients: int, seconds: float) -> int:
    """Every signed-in user of `lines` loads their `page` once, `clients` at a time, as people
    coming back to the service would have (what the pages keep for them and for their booth is
    there). Bounded by `seconds` as well; returns the number of pages loaded."""
    lock = threading.Lock()
    cursor = iter(lines)
    loaded = 0
    deadline = time.monotonic() + seconds

    def worker() -> None:
        nonlocal loaded
        while time.monotonic() < deadline:
            with lock:
                line = next(cursor, None)
            if line is None:
                return
            browser = Browser(port, line["cookie"], timeout=10)
            try:
                ok = browser.get(line[page]).status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            browser.close()
            with lock:
                loaded += ok

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return loaded


def page_load(lines: list[dict], page: str, port: int, *, clients: int, seconds: float) -> dict:
    """GET one page as the next signed-in user, `clients` at a time, for `seconds`.

    The fallback when wrk is not installed (CI's smoke run): the same figures as the wrk
    script, with more client overhead.
    """
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    size = 0
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        nonlocal errors, size
        index = number
        while time.monotonic() < deadline:
            line = lines[index % len(lines)]
            index += clients
            browser = Browser(port, line["cookie"], timeout=10)
            try:
                response = browser.get(line[page])
                ok = response.status == 200
                length = len(response.body)
            except (OSError, http.client.HTTPException):
                ok, length = False, 0
            browser.close()
            with lock:
                if ok:
                    latencies.append(response.seconds)
                    size += length
                else:
                    errors += 1

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "bytes_per_request": round(size / max(len(latencies), 1)),
    }
