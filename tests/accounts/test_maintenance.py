"""Maintenance mode: a notice's window pauses booking and joining, reading keeps working
(REQ OPS-1, OPS-2, OPS-3)."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.maintenance import maintenance_ends_at
from accounts.models import Notice
from bookings.calendar import TOKYO
from booths.models import Reservation
from tests.auth import login_client, staff_with_mfa
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=TOKYO)
WINDOW_END = datetime.datetime(2026, 11, 16, 12, 30, tzinfo=TOKYO)
REQUEST_DATA = {
    "purpose": "job_consultation",
    "requester_name": "山田 太郎",
    "phone": "0173-11-2222",
    "client_number": "",
    "companions": [],
    "note": "",
}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(db):
    return OfficeFactory(code="goshogawara", name="ハローワーク五所川原", phone="0173-34-2171")


@pytest.fixture
def booth(office):
    return BoothFactory(office=office, name="ブースA")


@pytest.fixture
def seeker(office):
    return UserFactory(office=office, username="seeker1", phone="0173-11-2222")


def _window(office=None, start=NOW - datetime.timedelta(minutes=30), end=WINDOW_END):
    return Notice.objects.create(
        title="システムメンテナンス",
        office_id=office.pk if office else None,
        published_at=start - datetime.timedelta(days=3),
        maintenance_starts_at=start,
        maintenance_ends_at=end,
    )


def _request_url(booth):
    return reverse(
        "booths:request", kwargs={"booth_id": booth.pk, "day": "2026-11-18", "hhmm": "1000"}
    )


def test_booking_post_during_the_window_answers_503_with_retry_after_and_office_phone(
    frozen, client, seeker, booth
):
    # REQ OPS-2, OPS-3
    _window()
    client.force_login(seeker)
    response = client.post(_request_url(booth), REQUEST_DATA)
    assert response.status_code == 503
    assert response["Retry-After"] == str(150 * 60)
    html = response.content.decode()
    assert "2026年11月16日（月）12:30" in html
    assert "0173-34-2171" in html
    assert "ハローワーク五所川原" in html
    assert not Reservation.objects.exists()


def test_every_pausing_view_answers_503_during_the_window(frozen, client, seeker, booth):
    # REQ OPS-2: booking, checking, cancelling, ad-hoc use, moving and joining
    reservation = ReservationFactory(booth=booth, user=seeker)
    _window()
    client.force_login(seeker)
    urls = [
        _request_url(booth),
        reverse("booths:send"),
        reverse("booths:cancel", args=[reservation.pk]),
        reverse("booths:adhoc"),
        reverse("consultations:cancel", args=[1]),
        reverse("consultations:move", args=[1]),
        reverse("consultations:join", args=[1]),
        reverse("consultations:send"),
    ]
    for url in urls:
        assert client.post(url).status_code == 503, url
    assert client.post(reverse("booths:cancel", args=[reservation.pk])).status_code == 503
    reservation.refresh_from_db()
    assert reservation.status == "requested"


def test_reading_pages_and_signing_in_keep_working_during_the_window(frozen, client, seeker, booth):
    # REQ OPS-2: reading still works
    ReservationFactory(booth=booth, user=seeker)
    _window()
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("account_login")).status_code == 200
    client.force_login(seeker)
    for url in [
        reverse("booths:index"),
        reverse("booths:month", args=[booth.pk, 2026, 11]),
        reverse("booths:day", args=[booth.pk, "2026-11-18"]),
        reverse("workplace:my_reservations"),
    ]:
        assert client.get(url).status_code == 200, url


def test_staff_are_not_paused(frozen, client, office, booth):
    # REQ OPS-2: everyone but staff
    _window()
    staff = staff_with_mfa(office=office)
    login_client(client, staff)
    # Staff cannot book for themselves on the user pages (403), but they are not paused.
    assert client.get(_request_url(booth)).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 200


def test_booking_works_before_and_after_the_window(frozen, client, seeker, booth):
    # REQ OPS-2: only during the window
    _window(start=NOW + datetime.timedelta(hours=1), end=NOW + datetime.timedelta(hours=2))
    client.force_login(seeker)
    assert client.post(_request_url(booth), REQUEST_DATA).status_code == 200
    frozen.move_to(NOW + datetime.timedelta(hours=1, minutes=1))
    assert client.post(_request_url(booth), REQUEST_DATA).status_code == 503
    frozen.move_to(NOW + datetime.timedelta(hours=2))
    client.force_login(seeker)  # two idle hours end a session (REQ NFR-2)
    response = client.post(_request_url(booth), REQUEST_DATA)
    assert response.status_code == 200 and 'name="answers"' in response.content.decode()


def test_an_office_notice_pauses_only_that_office(frozen, client, seeker, booth, office):
    # REQ OPS-2: scope of an office's notice
    other_office = OfficeFactory(code="honjo", name="ハローワーク本荘")
    other_booth = BoothFactory(office=other_office)
    other_seeker = UserFactory(office=other_office)
    _window(office=other_office)
    client.force_login(seeker)
    assert client.post(_request_url(booth), REQUEST_DATA).status_code == 200
    client.force_login(other_seeker)
    assert client.post(_request_url(other_booth), REQUEST_DATA).status_code == 503
    assert maintenance_ends_at(office_id=office.pk) is None
    assert maintenance_ends_at(office_id=other_office.pk) == WINDOW_END


def test_a_national_notice_pauses_every_office(frozen):
    # REQ OPS-2
    first, second = OfficeFactory(), OfficeFactory()
    _window()
    assert maintenance_ends_at(office_id=first.pk) == WINDOW_END
    assert maintenance_ends_at(office_id=second.pk) == WINDOW_END
    assert maintenance_ends_at(office_id=None) == WINDOW_END


def test_overlapping_windows_pause_until_the_last_one_ends(frozen, office):
    # REQ OPS-2: Retry-After must not send people back into a second window
    _window()
    later = WINDOW_END + datetime.timedelta(hours=1)
    _window(office=office, end=later)
    assert maintenance_ends_at(office_id=office.pk) == later


# --- Every view that books, cancels, starts or joins is paused ---------------------------------

BOOKING_APPS = {"booths", "consultations"}

# Views that only read; everything else of the booking apps must be paused.
READING = {
    "booths:index",
    "booths:month",
    "booths:day",
    "workplace:my_reservations",
    "booths:reservation",
    "consultations:index",
    "consultations:month",
    "consultations:day",
    "consultations:detail",
}


def _patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def test_every_view_of_the_booking_apps_is_paused_or_only_reads():
    # REQ OPS-2: a new booking view must be classified by whoever adds it
    views = {name: cb for name, cb in _patterns() if name.split(":")[0] in BOOKING_APPS}
    assert views, "the booking apps expose no URL: the walk is broken"
    paused = {name for name, cb in views.items() if getattr(cb, "paused_during_maintenance", False)}
    assert sorted(set(views) - paused - READING) == []
    assert paused.isdisjoint(READING)
    assert {
        "booths:request",
        "booths:send",
        "booths:cancel",
        "booths:adhoc",
        "consultations:request",
        "consultations:send",
        "consultations:cancel",
        "consultations:move",
        "consultations:join",
    } <= paused


# --- The notice's office --------------------------------------------------------------------


def test_a_notice_points_to_a_real_office(office):
    # REQ OPS-1: an office's notice names a real office (a foreign key the database checks);
    # an empty one is national
    own, national = _window(office=office), _window()
    assert Notice.objects.get(pk=own.pk).office == office
    assert Notice.objects.get(pk=national.pk).office is None
    assert set(Notice.objects.for_office(office.pk)) == {own, national}
    with pytest.raises(IntegrityError), transaction.atomic():
        _window(office=OfficeFactory.build(pk=office.pk + 1000))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert Notice.objects.count() == 2


# --- Notices in the admin, per office ----------------------------------------------------------


def _notice_counselor(office):
    from django.contrib.auth.models import Permission

    user = staff_with_mfa(office=office)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accounts", codename__endswith="_notice")
    )
    return user


def test_counselors_manage_their_offices_notices_and_only_read_national_ones(client, office):
    # REQ OPS-1, OPS-2, STF-3: national notices are for superusers
    other_office = OfficeFactory(code="honjo")
    national = _window()
    own = _window(office=office)
    foreign = _window(office=other_office)
    login_client(client, _notice_counselor(office))
    html = client.get(reverse("admin:accounts_notice_changelist")).content.decode()
    assert reverse("admin:accounts_notice_change", args=[own.pk]) in html
    assert reverse("admin:accounts_notice_change", args=[national.pk]) in html
    assert reverse("admin:accounts_notice_change", args=[foreign.pk]) not in html
    assert client.get(reverse("admin:accounts_notice_change", args=[foreign.pk])).status_code == 302
    assert (
        client.post(reverse("admin:accounts_notice_delete", args=[national.pk])).status_code == 403
    )
    response = client.post(
        reverse("admin:accounts_notice_change", args=[national.pk]),
        {
            "title": "変更",
            "office": "",
            "published_at_0": "2026-11-01",
            "published_at_1": "9:00",
        },
    )
    assert response.status_code == 403
    national.refresh_from_db()
    assert national.title == "システムメンテナンス"


def test_a_counselors_new_notice_is_for_their_office_whatever_is_posted(client, office):
    # REQ OPS-2: a forged office or an empty one (national) is refused or replaced
    other_office = OfficeFactory(code="honjo")
    login_client(client, _notice_counselor(office))
    data = {
        "title": "窓口の臨時メンテナンス",
        "body": "",
        "published_at_0": "2026-11-01",
        "published_at_1": "09:00",
        "maintenance_starts_at_0": "2026-11-20",
        "maintenance_starts_at_1": "09:00",
        "maintenance_ends_at_0": "2026-11-20",
        "maintenance_ends_at_1": "10:00",
    }
    add = reverse("admin:accounts_notice_add")
    assert client.post(add, {**data, "office": str(other_office.pk)}).status_code == 200
    assert client.post(add, {**data, "office": ""}).status_code == 200
    assert not Notice.objects.exists()
    assert client.post(add, {**data, "office": str(office.pk)}).status_code == 302
    assert Notice.objects.get().office_id == office.pk


def test_superusers_add_national_notices(client):
    # REQ OPS-1
    login_client(client, staff_with_mfa(office=None, is_superuser=True))
    response = client.post(
        reverse("admin:accounts_notice_add"),
        {
            "title": "全国メンテナンス",
            "body": "",
            "office": "",
            "published_at_0": "2026-11-01",
            "published_at_1": "09:00",
        },
    )
    assert response.status_code == 302
    assert Notice.objects.get().office_id is None
