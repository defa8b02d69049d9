"""Online consultation pages: who may book, the flow, the join window, permissions, the race
(REQ CON-1 … CON-8, TRM-4, BTH-2, NFR-3)."""

import datetime
import threading

import pytest
import time_machine
from django.db import connections
from django.test import Client
from django.urls import reverse

from bookings.models import Status
from consultations import services
from consultations.models import Consultation, ConsultationJoin
from terms.models import Consent, TermsDocument, TermsVersion, VersionStatus
from tests.auth import login_client, staff_with_mfa
from tests.checkpage import fill_and_check
from tests.consultations.conftest import CHECKLIST_TICKED, NOW, SLOT_AT, tokyo
from tests.consultations.factories import ConsultationFactory
from tests.factories import EmployerFactory, UserFactory

REQUEST_URL = reverse(
    "consultations:request", kwargs={"who": "any", "day": "2026-11-18", "hhmm": "1000"}
)
JOIN_URL_TEXT = "https://zoom.us/j/555000111"


def book_through_pages(client, online_data):
    return fill_and_check(client, REQUEST_URL, online_data).send(client)


@pytest.fixture
def booked(frozen, seeker, counselor, zoom):
    consultation = services.consultation_request(
        user=seeker,
        starts_at=SLOT_AT,
        video_tool=zoom,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0184-11-2222",
        now=NOW,
    )
    return services.consultation_set_join_url(
        consultation=consultation, staff=counselor, video_tool=zoom, join_url=JOIN_URL_TEXT, now=NOW
    )


def test_a_job_seeker_books_from_the_month_to_the_confirmation(
    frozen, client, seeker, counselor, online_data
):
    # REQ CON-1, CON-8: month → day → slot → request → check your answers → booked
    client.force_login(seeker)
    index = client.get(reverse("consultations:index")).content.decode()
    assert counselor.last_name in index
    month = client.get(reverse("consultations:month", args=["any", 2026, 11])).content.decode()
    assert reverse("consultations:day", args=["any", "2026-11-18"]) in month
    day = client.get(reverse("consultations:day", args=[counselor.pk, "2026-11-18"]))
    assert reverse("consultations:request", args=[counselor.pk, "2026-11-18", "1000"]) in (
        day.content.decode()
    )
    check = fill_and_check(client, REQUEST_URL, online_data)
    assert "通訳" in check.html and "Zoom" in check.html
    done = check.send(client)
    consultation = Consultation.objects.get(user=seeker)
    assert done["Location"] == consultation.get_absolute_url()
    assert consultation.status == Status.CONFIRMED and consultation.companions == ["interpreter"]
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert seeker.office.phone in page and "Zoom" in page


def test_employers_are_told_why_and_whom_to_call(frozen, client, office, counselor):
    # REQ CON-6
    client.force_login(EmployerFactory(office=office))
    response = client.get(reverse("consultations:index"))
    assert response.status_code == 403
    assert office.phone in response.content.decode()
    assert client.get(REQUEST_URL).status_code == 403


def test_the_loser_of_a_race_sees_just_taken_and_the_next_free_slots(
    frozen, client, office, seeker, counselor, online_data
):
    # REQ BTH-2, CON-7
    client.force_login(seeker)
    check = fill_and_check(client, REQUEST_URL, online_data)
    rival = UserFactory(office=office)
    other = Client()
    other.force_login(rival)
    book_through_pages(other, online_data)
    response = check.send(client)
    assert response.status_code == 409
    body = response.content.decode()
    assert "10:30" in body and Consultation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_racing_for_one_counselor_slot_make_one_consultation(office, counselor, zoom):
    # REQ BTH-2, CON-7: through the real views, each thread its own user and connection
    racers = 50
    users = [UserFactory(office=office, username=f"racer{n}") for n in range(racers)]
    data = {
        "purpose": "job_consultation",
        "video_tool": zoom.pk,
        "requester_name": "山田",
        "phone": "0184-11-2222",
    }
    url = reverse(
        "consultations:request", kwargs={"who": counselor.pk, "day": "2026-11-18", "hhmm": "1000"}
    )
    barrier = threading.Barrier(racers)
    results, errors, lock = [], [], threading.Lock()

    def race(user):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            check = fill_and_check(client, url, data)
            barrier.wait(timeout=180)
            response = check.send(client)
            with lock:
                results.append(response.status_code)
        except BaseException as exc:
            with lock:
                errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=race, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not errors, errors
    assert sorted(results).count(302) == 1 and results.count(409) == racers - 1
    assert Consultation.objects.count() == 1


def test_the_join_button_shows_from_ten_minutes_before_until_the_end(booked, client, seeker):
    # REQ CON-3: at start−10:00 yes, at start−10:01 no, after the end no; never the URL itself
    client.force_login(seeker)
    url = booked.get_absolute_url()
    join = reverse("consultations:join", args=[booked.pk])
    for moment, shown in [
        (SLOT_AT - datetime.timedelta(minutes=10, seconds=1), False),
        (SLOT_AT - datetime.timedelta(minutes=10), True),
        (SLOT_AT + datetime.timedelta(minutes=29), True),
        (SLOT_AT + datetime.timedelta(minutes=30), False),
    ]:
        with time_machine.travel(moment, tick=False):
            client.force_login(seeker)
            if moment > SLOT_AT:
                # Joined in time, so the 10-minute rule does not end it.
                type(booked).objects.filter(pk=booked.pk).update(joined_at=SLOT_AT)
            page = client.get(url).content.decode()
        assert (join in page) is shown, moment
        assert JOIN_URL_TEXT not in page and "zoom.us/j" not in page


def test_joining_records_time_ip_and_browser_and_redirects(booked, client, seeker):
    # REQ CON-3, CON-4, LOG-1
    client.force_login(seeker)
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        response = client.post(
            reverse("consultations:join", args=[booked.pk]),
            CHECKLIST_TICKED,
            HTTP_USER_AGENT="TestBrowser/1.0",
            REMOTE_ADDR="203.0.113.7",
        )
    assert response.status_code == 302 and response["Location"] == JOIN_URL_TEXT
    record = ConsultationJoin.objects.get()
    assert record.user == seeker and record.user_agent == "TestBrowser/1.0"
    assert record.ip_address == "203.0.113.7"
    assert record.at == SLOT_AT - datetime.timedelta(minutes=5)


def test_joining_outside_the_window_gives_no_link(booked, client, seeker):
    # REQ CON-3
    client.force_login(seeker)
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=11), tick=False):
        client.force_login(seeker)
        response = client.post(reverse("consultations:join", args=[booked.pk]), CHECKLIST_TICKED)
    assert response["Location"] == booked.get_absolute_url()
    assert not ConsultationJoin.objects.exists()


def test_another_user_and_staff_of_another_office_get_404(booked, client, office, other_office):
    # REQ CON-3: nobody but the participant (and the office's staff, in the admin) sees it
    for user in (UserFactory(office=office), staff_with_mfa(office=other_office)):
        with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
            login_client(client, user)
            assert client.get(booked.get_absolute_url()).status_code == 404
            assert client.post(reverse("consultations:join", args=[booked.pk])).status_code == 404
    assert not ConsultationJoin.objects.exists()


def test_changed_terms_must_be_accepted_before_joining(booked, client, seeker, office):
    # REQ TRM-4, CON-4: no link until the online terms in effect are accepted
    document = TermsDocument.objects.create(office=office, service="online", title="規約")
    TermsVersion.objects.create(
        document=document,
        number=1,
        text="v1",
        status=VersionStatus.PUBLISHED,
        published_at=NOW - datetime.timedelta(days=9),
        effective_from=NOW - datetime.timedelta(days=9),
    )
    client.force_login(seeker)
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        page = client.get(booked.get_absolute_url()).content.decode()
        response = client.post(reverse("consultations:join", args=[booked.pk]))
    assert reverse("consultations:join", args=[booked.pk]) not in page
    assert response.status_code == 302 and "/terms/accept/online/" in response["Location"]
    assert not ConsultationJoin.objects.exists()
    Consent.objects.create(user=seeker, version=document.versions.get())
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        response = client.post(reverse("consultations:join", args=[booked.pk]), CHECKLIST_TICKED)
    assert response["Location"] == JOIN_URL_TEXT


def test_the_no_show_shows_on_the_page_before_the_job_runs(booked, client, seeker):
    # REQ CON-5, BTH-6
    client.force_login(seeker)
    with time_machine.travel(SLOT_AT + datetime.timedelta(minutes=10), tick=False):
        client.force_login(seeker)
        page = client.get(booked.get_absolute_url()).content.decode()
        mine = client.get(reverse("workplace:my_reservations")).content.decode()
    assert "連絡なし" in page or "no contact" in page
    assert reverse("consultations:join", args=[booked.pk]) not in page
    assert mine.index("過去") < mine.index(booked.get_absolute_url())


def test_after_the_deadline_the_page_says_to_phone(booked, client, seeker):
    # REQ CON-5, OPS-3
    client.force_login(seeker)
    with time_machine.travel(tokyo(2026, 11, 17, 17, 1), tick=False):
        client.force_login(seeker)
        page = client.get(booked.get_absolute_url()).content.decode()
        response = client.post(reverse("consultations:cancel", args=[booked.pk]))
    assert reverse("consultations:cancel", args=[booked.pk]) not in page
    assert seeker.office.phone in page
    booked.refresh_from_db()
    assert response.status_code == 302 and booked.status == Status.CONFIRMED


def test_the_seeker_moves_with_the_month_and_day_pickers(booked, client, seeker):
    # REQ CON-5, NFR-2: the same month and day pickers as booking, then one time of the day
    client.force_login(seeker)
    with time_machine.travel(NOW, tick=False):
        start = client.get(reverse("consultations:move", args=[booked.pk]))
        month_url = reverse("consultations:move_month", args=[booked.pk, 2026, 11])
        assert start["Location"] == month_url
        month = client.get(month_url).content.decode()
        day_url = reverse("consultations:move_day", args=[booked.pk, "2026-11-17"])
        assert day_url in month
        # Today's slots are past the cut-off; tomorrow's are still open.
        today = client.get(reverse("consultations:move_day", args=[booked.pk, "2026-11-16"]))
        assert 'value="1400"' not in today.content.decode()
        day = client.get(day_url).content.decode()
        assert 'type="radio" name="slot" value="0930"' in day
        response = client.post(day_url, {"slot": "0930"})
    booked.refresh_from_db()
    assert response.status_code == 302 and booked.starts_at == tokyo(2026, 11, 17, 9, 30)


def test_the_seeker_moves_to_any_day_within_the_horizon(booked, client, seeker):
    # REQ CON-5: not only the next 40 times: a day two months ahead, reached month by month
    client.force_login(seeker)
    with time_machine.travel(NOW, tick=False):
        november = client.get(reverse("consultations:move_month", args=[booked.pk, 2026, 11]))
        january = reverse("consultations:move_month", args=[booked.pk, 2027, 1])
        december = reverse("consultations:move_month", args=[booked.pk, 2026, 12])
        assert december in november.content.decode()
        assert january in client.get(december).content.decode()
        day_url = reverse("consultations:move_day", args=[booked.pk, "2027-01-20"])
        assert day_url in client.get(january).content.decode()
        response = client.post(day_url, {"slot": "1500"})
        beyond = client.get(reverse("consultations:move_month", args=[booked.pk, 2027, 3]))
    booked.refresh_from_db()
    assert response.status_code == 302 and booked.starts_at == tokyo(2027, 1, 20, 15, 0)
    assert beyond.status_code == 404


def test_a_time_that_is_not_free_is_refused_next_to_the_choices(booked, client, seeker):
    # REQ CON-5, NFR-3: junk or a time outside the counselors' hours changes nothing
    client.force_login(seeker)
    day_url = reverse("consultations:move_day", args=[booked.pk, "2026-11-19"])
    with time_machine.travel(NOW, tick=False):
        for junk in ("1730", "0915", "x" * 50, ""):
            response = client.post(day_url, {"slot": junk})
            assert response.status_code == 400
            assert 'name="slot"' in response.content.decode()
    booked.refresh_from_db()
    assert booked.starts_at == SLOT_AT


def test_someone_elses_consultation_cannot_be_moved(booked, client, office):
    # REQ NFR-3: another person's consultation is a 404 on every step
    client.force_login(UserFactory(office=office))
    with time_machine.travel(NOW, tick=False):
        for url in (
            reverse("consultations:move", args=[booked.pk]),
            reverse("consultations:move_month", args=[booked.pk, 2026, 11]),
            reverse("consultations:move_day", args=[booked.pk, "2026-11-17"]),
        ):
            assert client.get(url).status_code == 404
        post = client.post(
            reverse("consultations:move_day", args=[booked.pk, "2026-11-17"]), {"slot": "0930"}
        )
    assert post.status_code == 404


def test_junk_in_urls_and_forms_is_a_404_or_a_form_error(frozen, client, seeker, counselor):
    # REQ NFR-3: no 5xx on any input
    client.force_login(seeker)
    for path in [
        "/consultations/any/9999/11/",
        "/consultations/any/2026/13/",
        "/consultations/any/2026-02-30/",
        "/consultations/999999999999/2026-11-18/",
        "/consultations/any/2026-11-18/9999/request/",
        "/consultations/any/2099-11-18/1000/request/",
    ]:
        assert client.get(path).status_code == 404, path
    response = client.post(
        REQUEST_URL, {"purpose": "x" * 5000, "video_tool": "'; drop", "phone": "\x00"}
    )
    assert response.status_code == 200 and not Consultation.objects.exists()


def test_booking_posts_are_rate_limited(frozen, client, seeker, counselor, online_data, settings):
    # REQ NFR-3: a script can't sweep an office's slots
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "booking": "1/h/user"}
    client.force_login(seeker)
    book_through_pages(client, online_data)
    second = reverse("consultations:request", args=["any", "2026-11-18", "1100"])
    response = fill_and_check(client, second, online_data).send(client)
    assert response.status_code == 429
    assert Consultation.objects.count() == 1


def test_the_page_with_the_join_button_lets_the_form_reach_the_video_tool(booked, client, seeker):
    # REQ CON-3: the CSP form-action covers the redirect to the tool's hosts, on this page only
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        open_page = client.get(booked.get_absolute_url())
    with time_machine.travel(SLOT_AT - datetime.timedelta(hours=1), tick=False):
        client.force_login(seeker)
        closed_page = client.get(booked.get_absolute_url())
    assert "https://zoom.us" in open_page["Content-Security-Policy"]
    assert "https://*.zoom.us" in open_page["Content-Security-Policy"]
    assert "zoom.us" not in closed_page["Content-Security-Policy"]


def test_a_period_of_stay_ending_before_the_slot_is_told_before_the_form(
    frozen, client, seeker, counselor, zoom
):
    # REQ REG-3: valid today, ends the day before the slot (18 Nov): refused with the date
    seeker.is_foreign_national = True
    seeker.residence_status = "技能"
    seeker.period_of_stay_until = datetime.date(2026, 11, 17)
    seeker.save()
    client.force_login(seeker)
    response = client.get(REQUEST_URL)
    assert response.status_code == 403
    assert "2026年11月17日" in response.content.decode()
    assert 'name="purpose"' not in response.content.decode()
    # Today's pages still let the person look and book earlier days.
    assert client.get(reverse("consultations:index")).status_code == 200


def _consultation_of(seeker, counselor, zoom, **fields):
    return ConsultationFactory(
        office=seeker.office, user=seeker, counselor=counselor, video_tool=zoom, **fields
    )


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Status.COMPLETED, "この相談は終了しました"),
        (Status.CANCELLED, "この相談は取り消されました"),
        (Status.NO_SHOW, "開始から10分以内に参加がなかった"),
    ],
)
def test_a_finished_consultation_says_why_and_offers_booking_again(
    frozen, client, seeker, counselor, zoom, status, says
):
    # REQ CON-5, NFR-1: no rules for the day of a finished consultation; booking again leads
    # to the same counselor's free times
    consultation = _consultation_of(
        seeker,
        counselor,
        zoom,
        starts_at=tokyo(2026, 11, 13, 10, 0),
        status=status,
        cancelled_at=NOW if status == Status.CANCELLED else None,
        note="日本語が少し苦手です。\nゆっくり話してください。",
    )
    client.force_login(seeker)
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert says in page
    assert "遅れる場合" not in page and "参加がない場合" not in page
    assert reverse("consultations:month", args=[counselor.pk, 2026, 11]) in page
    # REQ CON-8: the note the person sent with the booking is on its page
    assert "日本語が少し苦手です。<br>ゆっくり話してください。" in page


def test_joining_a_completed_consultation_says_it_has_ended(
    frozen, client, seeker, counselor, zoom
):
    # REQ CON-4, CON-5: not "this consultation will not take place"
    consultation = _consultation_of(
        seeker, counselor, zoom, starts_at=tokyo(2026, 11, 16, 9, 0), status=Status.COMPLETED
    )
    client.force_login(seeker)
    response = client.post(reverse("consultations:join", args=[consultation.pk]), follow=True)
    page = response.content.decode()
    assert "この相談は終了しました" in page
    assert "行われません" not in page


def test_an_upcoming_consultation_keeps_the_rules_for_the_day_and_offers_no_booking_again(
    booked, client, seeker
):
    # REQ CON-5
    client.force_login(seeker)
    page = client.get(booked.get_absolute_url()).content.decode()
    assert "遅れる場合" in page
    assert reverse("consultations:month", args=["any", 2026, 11]) not in page


def test_at_the_cap_the_online_pages_say_so_up_front_and_link_to_the_bookings(
    frozen, client, seeker, counselor, zoom
):
    # REQ NFR-3 (per-person cap), CON-5: told before the form, with a way to the bookings
    for day in (19, 20):
        _consultation_of(seeker, counselor, zoom, starts_at=tokyo(2026, 11, day, 10))
    my_bookings = reverse("workplace:my_reservations")
    client.force_login(seeker)
    for url in (
        reverse("consultations:index"),
        reverse("consultations:month", args=["any", 2026, 11]),
        reverse("consultations:day", args=["any", "2026-11-18"]),
    ):
        page = client.get(url).content.decode()
        assert "これ以上予約できません" in page, url
        assert f'href="{my_bookings}"' in page, url
        assert REQUEST_URL not in page, url
    response = client.get(REQUEST_URL)
    assert response.status_code == 403
    assert 'name="purpose"' not in response.content.decode()
    assert f'href="{my_bookings}"' in response.content.decode()


def test_the_first_join_needs_every_point_of_the_checklist_ticked(booked, client, seeker):
    # REQ CON-4: missing ticks are told next to each point; nothing is recorded, no link
    join = reverse("consultations:join", args=[booked.pk])
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        page = client.get(booked.get_absolute_url()).content.decode()
        assert 'type="checkbox" name="tool_terms_accepted"' in page
        assert 'href="https://zoom.us/terms"' in page
        response = client.post(join, {"private_room": "on", "no_recording": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and html.count("この項目にチェックを入れてください") >= 2
    assert JOIN_URL_TEXT not in html
    assert not ConsultationJoin.objects.exists()


def test_the_confirmation_is_stored_with_the_first_join_and_asked_once(booked, client, seeker):
    # REQ CON-4: the ticks, the tool and its terms as shown are kept with the join record;
    # joining again (a dropped call) needs no new ticks
    join = reverse("consultations:join", args=[booked.pk])
    with time_machine.travel(SLOT_AT - datetime.timedelta(minutes=5), tick=False):
        client.force_login(seeker)
        assert client.post(join, CHECKLIST_TICKED)["Location"] == JOIN_URL_TEXT
        page = client.get(booked.get_absolute_url()).content.decode()
        assert 'name="tool_terms_accepted"' not in page and "確認しました" in page
        assert client.post(join)["Location"] == JOIN_URL_TEXT
    first, again = ConsultationJoin.objects.order_by("pk")
    assert (first.private_room, first.no_recording, first.app_ready) == (True, True, True)
    assert first.tool_terms_accepted and first.tool_name == "Zoom"
    assert first.tool_terms_url == "https://zoom.us/terms"
    assert not again.tool_terms_accepted


def test_a_direct_get_of_the_join_address_leads_to_the_consultation_page(booked, client, seeker):
    # REQ CON-4: a bookmark or a refresh of the join address is never an error page
    client.force_login(seeker)
    for moment in (NOW, SLOT_AT - datetime.timedelta(minutes=5)):
        with time_machine.travel(moment, tick=False):
            client.force_login(seeker)
            response = client.get(reverse("consultations:join", args=[booked.pk]))
        assert response.status_code == 302
        assert response["Location"] == booked.get_absolute_url()
    assert not ConsultationJoin.objects.exists()
    client.force_login(UserFactory(office=seeker.office))
    assert client.get(reverse("consultations:join", args=[booked.pk])).status_code == 404


def test_a_video_tool_not_offered_by_the_office_is_refused_next_to_the_choices(
    frozen, client, seeker, counselor, online_data, other_office
):
    # REQ CON-4, NFR-4: the answer is checked against the office's active tools the page read
    # already (no query of its own); another office's tool or a withdrawn one is an error
    # shown at the field, and nothing is booked
    from tests.consultations.factories import VideoToolFactory

    client.force_login(seeker)
    elsewhere = VideoToolFactory(office=other_office)
    withdrawn = VideoToolFactory(office=seeker.office, is_active=False)
    for tool in (elsewhere, withdrawn):
        response = client.post(REQUEST_URL, {**online_data, "video_tool": tool.pk})
        assert response.status_code == 200
        field = response.context["form"]["video_tool"]
        assert field.errors and str(tool.pk) in field.errors[0]
        assert tool.name not in response.content.decode()
    response = client.post(REQUEST_URL, online_data)  # the office's own: the check page
    assert response.context["video_tool"].pk == online_data["video_tool"]
    assert not Consultation.objects.exists()
