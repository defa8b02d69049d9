"""The counselor's admin pages fit a 360 px phone and a 1280 px screen, in Japanese and English:
no horizontal scroll of the page, nothing cut off (an element wider than its box that does not
scroll), a table that scrolls inside its own box keeps its first column in view, and axe finds
nothing at any impact (REQ NFR-1, NFR-2, STF-1).

One page load per page and language; both widths are checked on that load by resizing.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission

from bookings.calendar import TOKYO
from bookings.models import Status
from consultations.models import AvailabilityPattern, VideoTool, VideoToolKind
from tests.a11y import PHONE, axe_problems
from tests.auth import login_browser, staff_with_mfa
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 800}

# What a person would see as broken: the page scrolling sideways, and any box whose content is
# wider than the box without the box scrolling (cut off, or spilling over its neighbours).
# Visually hidden text (1 px boxes) is meant to be clipped.
_LAYOUT_JS = """
() => {
  const root = document.documentElement;
  const clipped = [];
  const unpinned = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (element.clientWidth <= 1 || element.clientHeight <= 1) continue;
    if (!element.checkVisibility({visibilityProperty: true})) continue;
    const style = getComputedStyle(element);
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    if (element.scrollWidth > element.clientWidth + 1) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
        (element.className && typeof element.className === "string" ? "." + element.className.trim().replace(/\\s+/g, ".") : "");
      if (!scrolls) {
        clipped.push(name + " " + element.scrollWidth + ">" + element.clientWidth);
      } else {
        // A table scrolling in its box keeps its first column in view.
        for (const row of element.querySelectorAll("tr")) {
          const first = row.firstElementChild;
          if (first && getComputedStyle(first).position !== "sticky") {
            unpinned.push(name + ": " + first.tagName.toLowerCase() + " " + first.textContent.trim().slice(0, 20));
            break;
          }
        }
      }
    }
  }
  return {
    page: root.scrollWidth,
    width: root.clientWidth,
    clipped: clipped.slice(0, 8),
    unpinned: unpinned.slice(0, 8),
  };
}
"""


def layout_problems(page, where: str) -> list[str]:
    result = page.evaluate(_LAYOUT_JS)
    problems = []
    if result["page"] > result["width"]:
        problems.append(f"{where}: the page scrolls sideways ({result['page']}>{result['width']})")
    problems += [f"{where}: cut off: {item}" for item in result["clipped"]]
    problems += [f"{where}: first column not kept: {item}" for item in result["unpinned"]]
    return problems


def check_pages(page, base_url: str, paths: list[str]) -> None:
    problems = []
    for path in paths:
        for language in ("ja", "en"):
            page.context.add_cookies(
                [{"name": "django_language", "value": language, "url": base_url}]
            )
            page.set_viewport_size(DESKTOP)
            response = page.goto(base_url + path)
            assert response.status == 200, path
            for size in (DESKTOP, PHONE):
                page.set_viewport_size(size)
                where = f"{path} [{language}, {size['width']}px]"
                problems += layout_problems(page, where)
                problems += [f"{where}: {p}" for p in axe_problems(page)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def busy_office():
    """An office with three booths and three counselors, requests waiting for a call and
    consultations with long names, phones and purposes: what makes tables wide."""
    office = OfficeFactory(code="goshogawara", name="五所川原公共職業安定所", phone="0173-34-2141")
    booths = [BoothFactory(office=office, name=f"ブース{letter}") for letter in "ABC"]
    tool = VideoTool.objects.create(
        office=office, kind=VideoToolKind.ZOOM, name="Zoom", allowed_hosts="zoom.us"
    )
    VideoTool.objects.create(
        office=office, kind=VideoToolKind.ELMO, name="ELMO", allowed_hosts="elmo.example.jp"
    )
    counselors = []
    for n, (last, first) in enumerate([("佐藤", "一郎"), ("鈴木", "次郎"), ("高橋", "三郎")]):
        counselor = staff_with_mfa(
            office=office, username=f"counselor-goshogawara-{n}", last_name=last, first_name=first
        )
        counselor.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=["booths", "consultations"])
        )
        for weekday in range(5):
            AvailabilityPattern.objects.create(
                counselor=counselor,
                office=office,
                weekday=weekday,
                starts_at=datetime.time(9),
                ends_at=datetime.time(17),
                valid_from=datetime.date(2026, 1, 1),
            )
        counselors.append(counselor)
    day = datetime.date(2026, 11, 18)
    consultation = None
    for hour in range(9, 16):
        seeker = UserFactory(
            office=office,
            last_name="長谷川",
            first_name="由美子",
            name_kana="ハセガワ　ユミコ",
            phone="0173-11-2222",
        )
        at = datetime.datetime.combine(day, datetime.time(hour), tzinfo=TOKYO)
        ReservationFactory(
            booth=booths[hour % 3], user=seeker, starts_at=at, requester_name="長谷川 由美子"
        )
        consultation = ConsultationFactory(
            office=office,
            counselor=counselors[hour % 3],
            video_tool=tool,
            user=UserFactory(office=office, phone="0173-99-8888"),
            starts_at=at + datetime.timedelta(minutes=30),
            requester_name="小笠原 英太郎",
            status=Status.REQUESTED,
            confirmed_at=None,
        )
    return office, counselors[0], consultation


def test_counselor_workplace_pages_fit_360_and_1280px_in_both_languages(
    live_server, page, busy_office
):
    # REQ NFR-1, NFR-2, STF-1: day sheet, week view, call list, statistics.
    _, counselor, _ = busy_office
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        check_pages(
            page,
            live_server.url,
            [
                "/admin/workplace/day/?date=2026-11-18",
                "/admin/workplace/week/?date=2026-11-18",
                "/admin/workplace/calls/",
                "/admin/workplace/statistics/?month=2026-11",
            ],
        )


def test_counselor_lists_and_forms_fit_360_and_1280px_in_both_languages(
    live_server, page, busy_office
):
    # REQ NFR-1, NFR-2, STF-1: the changelists and the form pages.
    _, counselor, consultation = busy_office
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        check_pages(
            page,
            live_server.url,
            [
                "/admin/booths/reservation/",
                "/admin/consultations/consultation/",
                "/admin/consultations/consultation/book/",
                "/admin/booths/reservation/book/",
                f"/admin/consultations/consultation/{consultation.pk}/link/",
                f"/admin/consultations/consultation/{consultation.pk}/move/",
                f"/admin/consultations/consultation/{consultation.pk}/book-next/",
            ],
        )


def test_counselor_forms_are_the_admins_aligned_forms_with_full_width_inputs(
    live_server, page, busy_office
):
    # REQ STF-1, NFR-1: the meeting link was a 180 px box in an unstyled form
    _, counselor, consultation = busy_office
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}/admin/consultations/consultation/{consultation.pk}/link/")
        assert page.locator("form fieldset.module.aligned .form-row.field-join_url").count() == 1
        form_width = page.locator("form fieldset.module").bounding_box()["width"]
        link = page.locator("input[name=join_url]")
        assert link.bounding_box()["width"] >= 0.9 * form_width
        page.set_viewport_size(DESKTOP)
        assert link.bounding_box()["width"] >= 400
