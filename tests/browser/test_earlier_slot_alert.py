"""An earlier-slot alert end to end in a real browser (REQ ALR-1, NFR-2): a person sets an alert
from the free times, another cancels, the first gets the mail from the outbox, follows its link
and books the slot."""

import re

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect
from procrastinate.contrib.django.models import ProcrastinateJob

from bookings import alerts
from bookings import services as bookings
from bookings.alert_models import AlertEnd, EarlierSlotAlert
from booths.models import Reservation, Status
from core.outbox import outbox_deliver_due
from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.booths.conftest import NOW, SLOT_AT
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_sets_an_alert_another_cancels_the_first_books_from_the_mail(live_server, page):
    # REQ ALR-1
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    booth = BoothFactory(office=office, name="ブースA")
    waiting = UserFactory(office=office, username="waiting", phone="0173-11-2222")
    holder = UserFactory(office=office, username="holder", last_name="佐々木")
    held = ReservationFactory(booth=booth, user=holder, starts_at=SLOT_AT, confirmed=True)

    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, waiting)
        page.goto(f"{live_server.url}/booths/{booth.pk}/2026/11/")
        page.get_by_role("link", name=re.compile("早い時間に空きが出たらお知らせします")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "早い時間に空きが出たら知らせてほしい"
        )
        expect(page.get_by_role("combobox", name=re.compile("ブース"))).to_have_value(str(booth.pk))
        assert_accessible(page)
        page.get_by_role("button", name="お知らせを登録する").click()
        expect(page.get_by_text("お知らせを登録しました。")).to_be_visible()
        expect(page.get_by_role("heading", name="空き枠のお知らせ")).to_be_visible()
        assert_accessible(page)
        assert EarlierSlotAlert.objects.get(user=waiting).place_id == booth.pk

        # Another person cancels; the worker runs the queued job a minute later, then the job
        # it deferred, which stores the mails.
        bookings.booking_cancel_online(booking=held, user=holder)
        (job,) = ProcrastinateJob.objects.filter(task_name="alerts_mail_freed_slot")
        assert alerts.mail_freed_slot(**{**job.args, "starts_at": SLOT_AT}) == 1
        (job,) = ProcrastinateJob.objects.filter(task_name="alerts_store_round")
        assert alerts.store_round(**job.args) == 1
        mail.outbox.clear()
        outbox_deliver_due()
        (message,) = [m for m in mail.outbox if m.to == [waiting.email]]
        assert "佐々木" not in message.body
        path = re.search(r"https?://[^/\s]+(/booths/\S+/request/)", message.body).group(1)

        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text("ブースの予約申込み")
        page.get_by_label("職業相談").check()
        page.get_by_role("button", name="次へ").click()
        page.get_by_role("button", name="申し込む").click()
        expect(page.get_by_role("heading", name="このあとの流れ")).to_be_visible()

    booked = Reservation.objects.get(user=waiting)
    assert booked.starts_at == SLOT_AT and booked.status == Status.REQUESTED
    assert EarlierSlotAlert.objects.get(user=waiting).end_reason == AlertEnd.BOOKED
