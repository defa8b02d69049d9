"""Staff see the earlier-slot alerts (REQ ALR-1): how many people wait for each day on the day
sheet, and the alert mails sent and the slots booked through them in the statistics (STA-1
disclosure control applies)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bookings.alert_models import AlertMail, EarlierSlotAlert
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import NOW, tokyo
from tests.factories import OfficeFactory, UserFactory
from workplace.statistics import alert_statistics

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 18)


def _staff(office):
    user = staff_with_mfa(office=office)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["booths", "consultations"])
    )
    return user


def _alert(office, name, service="booth", first=DAY, last=DAY, **fields):
    user = UserFactory(office=office, username=name)
    return EarlierSlotAlert.objects.create(
        user=user, office=office, service=service, first_day=first, last_day=last, **fields
    )


def _mails(office, count, *, service="booth", filled=0, month=11):
    for n in range(count):
        user = UserFactory(office=office, username=f"m{service}{month}{n}")
        AlertMail.objects.create(
            user=user,
            office=office,
            service=service,
            place_id=1,
            starts_at=tokyo(2026, month, 18, 10, 0),
            sent_at=tokyo(2026, month, 17, 10, 0),
            sent_on=datetime.date(2026, month, 17),
            filled_at=tokyo(2026, month, 17, 10, 5) if n < filled else None,
        )


def test_the_day_sheet_says_how_many_people_wait_for_the_day(frozen, client, office):
    # REQ ALR-1: per service, people (not alerts), the day's office only.
    _alert(office, "a")
    _alert(
        office, "b", first=DAY - datetime.timedelta(days=1), last=DAY + datetime.timedelta(days=3)
    )
    _alert(office, "c", service="online")
    _alert(
        office,
        "later",
        first=DAY + datetime.timedelta(days=1),
        last=DAY + datetime.timedelta(days=2),
    )
    _alert(office, "ended", ended_at=NOW, end_reason="cancelled")
    _alert(OfficeFactory(code="elsewhere"), "elsewhere")
    twice = _alert(office, "twice")
    EarlierSlotAlert.objects.create(
        user=twice.user, office=office, service="booth", first_day=DAY, last_day=DAY
    )
    login_client(client, _staff(office))
    response = client.get(reverse("admin:workplace_day"), {"date": DAY.isoformat()})
    assert response.context["waiting"] == {"booth": 3, "online": 1}
    assert "ブース 3人、オンライン 1人" in response.content.decode()


def test_the_statistics_count_alert_mails_and_slots_filled_with_small_counts_hidden(office):
    # REQ ALR-1, STA-1
    _mails(office, 7, filled=5)
    _mails(office, 6, service="online", filled=2)
    _mails(office, 9, month=10)  # another month
    sent, filled = alert_statistics(office=office, year=2026, month=11)
    assert [cell.display for cell in sent.cells] == ["7", "6", "13"]
    # 2 is under 5, so the booth cell that would reveal it from the total is hidden too.
    assert [cell.display for cell in filled.cells] == ["<5", "<5", "7"]


def test_no_offices_hidden_alert_count_is_the_nations_minus_the_others(office):
    # REQ ALR-1, STA-1: the offices' and the national figures are suppressed together
    other = OfficeFactory(code="other-office")
    _mails(office, 7)
    _mails(office, 2, service="online")
    for service in ("booth", "online"):
        for n in range(6):
            AlertMail.objects.create(
                user=UserFactory(office=other, username=f"other-{service}{n}"),
                office=other,
                service=service,
                place_id=1,
                starts_at=tokyo(2026, 11, 18, 10, 0),
                sent_at=tokyo(2026, 11, 17, 10, 0),
                sent_on=datetime.date(2026, 11, 17),
            )
    mine = alert_statistics(office=office, year=2026, month=11)[0].cells
    theirs = alert_statistics(office=other, year=2026, month=11)[0].cells
    nation = alert_statistics(office=None, year=2026, month=11)[0].cells
    assert mine[1].display == "<5"  # 2 online mails
    # Whatever is shown, the hidden 2 can't be the nation's online figure minus the other's,
    # nor this office's total minus its booth figure.
    assert nation[1].display == "<5" or theirs[1].display == "<5"
    assert mine[0].display == "<5" or mine[2].display == "<5"


def test_the_statistics_page_and_csv_show_the_alert_figures(frozen, client, office):
    # REQ ALR-1
    _mails(office, 6, filled=5)
    _mails(office, 6, service="online")
    login_client(client, _staff(office))
    page = client.get(reverse("admin:workplace_statistics"), {"month": "2026-11"})
    assert [cell.display for cell in page.context["alert_rows"][0].cells] == ["6", "6", "12"]
    assert "お知らせから予約された枠" in page.content.decode()
    csv = client.get(
        reverse("admin:workplace_statistics"), {"month": "2026-11", "format": "csv"}
    ).content.decode("utf-8-sig")
    assert "空き枠のお知らせメール送信数,6,6,12" in csv


def test_the_waiting_counts_come_from_a_kept_statement_filled_for_each_office_and_day(
    frozen, office
):
    # REQ ALR-1, NFR-4: built once a process, checked against the ORM's on its first call,
    # then filled with each office's and days' values
    from bookings import alerts
    from core import statements

    statements.forget()
    other = OfficeFactory(code="other")
    later = DAY + datetime.timedelta(days=2)
    _alert(office, "a")
    _alert(other, "b", first=DAY, last=later)
    _alert(other, "c", service="online", first=later, last=later)
    assert alerts.waiting_by_day(office.pk, [DAY], now=NOW) == {DAY: {"booth": 1}}
    assert statements.kept("bookings.alerts.waiting_by_day") is not None
    assert alerts.waiting_by_day(other.pk, [DAY, later], now=NOW) == {
        DAY: {"booth": 1},
        later: {"booth": 1, "online": 1},
    }
    # As of a later day, a range already passed is no longer live.
    assert alerts.waiting_by_day(other.pk, [later], now=NOW + datetime.timedelta(days=10)) == {
        later: {}
    }
    statements.forget()
