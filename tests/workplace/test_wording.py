"""The counselor's admin in Japanese: each service in its own words, one word per state, the
week's columns named for what they list, dates written one way, people by their names, and
counselors of the office only (REQ NFR-1, STF-1)."""

import datetime
import re

import pytest
from django.urls import reverse

from accounts.models import User
from bookings.models import Status
from booths.models import Reservation
from consultations.models import AvailabilityPattern, Consultation
from tests.booths.conftest import tokyo
from tests.booths.factories import ReservationFactory
from tests.consultations.conftest import weekly
from tests.factories import StaffFactory
from tests.workplace.test_workplace import (
    CALLS,
    DAY,
    WEEK,
    act,
    consultation,
    entries_in,
)

pytestmark = pytest.mark.django_db

STATS = reverse("admin:workplace_statistics")


def _confirmed_at_ten(booth):
    """Confirmed by phone, starting now (10:00 on the frozen Monday)."""
    return ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
    )


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_each_service_starts_in_its_own_words_on_the_sheet_and_in_the_admin(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ STF-1, NFR-1: online consultations used the booth's "受付・開始" and "無断不来所".
    _confirmed_at_ten(booth)
    consultation(office, me, zoom, starts_at=tokyo(2026, 11, 16, 10, 0))
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [booth_entry] = entries_in(response, "booth")[("ブースA", "10:00")]
    [online_entry] = next(iter(entries_in(response, "online").values()))
    assert dict(booth_entry.actions)["start"] == "受付"
    assert dict(online_entry.actions)["start"] == "相談開始"
    assert dict(online_entry.actions)["no_show"] == "連絡なしの取消"
    text = _text(response)
    for booth_word in ("受付・開始", "無断不来所"):
        assert booth_word not in text
    admin_list = staff_client.get(reverse("admin:consultations_consultation_changelist"))
    html = admin_list.content.decode()
    assert "相談開始（実際の開始時刻を記録）" in html and "受付" not in html
    online = Consultation.objects.get()
    change = _text(
        staff_client.get(reverse("admin:consultations_consultation_change", args=[online.pk]))
    )
    assert "連絡なしの取消の記録日時" in change and "無断不来所" not in change


def test_a_state_has_one_word_on_the_sheet_the_list_and_the_message(frozen, staff_client, booth):
    # REQ STF-1, NFR-1: the sheet said "完了" where the list said "利用終了", and the message
    # "完了を行いました。"
    reservation = _confirmed_at_ten(booth)
    act(staff_client, reservation, "start", back="day", date="2026-11-16")
    sheet = staff_client.get(DAY, {"date": "2026-11-16"})
    [entry] = entries_in(sheet, "booth")[("ブースA", "10:00")]
    assert dict(entry.actions)["complete"] == "終了"
    response = act(staff_client, reservation, "complete", back="day", date="2026-11-16")
    page = staff_client.get(response["Location"])
    [message] = [str(m) for m in page.context["messages"]]
    assert message.endswith("「終了」になりました。")
    [entry] = entries_in(page, "booth")[("ブースA", "10:00")]
    assert entry.state_label == "終了"
    assert str(Status.COMPLETED.label) == "終了"
    changelist = _text(staff_client.get(reverse("admin:booths_reservation_changelist")))
    assert "終了" in changelist
    for other in ("完了", "利用終了"):
        assert other not in _text(page) and other not in changelist


def test_the_week_names_its_first_columns_booth_and_counselor(
    frozen, staff_client, office, booth, me
):
    # REQ STF-1: the booth column was headed "氏名".
    weekly(me, datetime.time(9), datetime.time(17))
    html = staff_client.get(WEEK, {"date": "2026-11-18"}).content.decode()
    headers = re.findall(r'<thead><tr><th scope="col">([^<]*)</th>', html)
    assert headers == ["ブース", "相談員"]


def test_the_weekly_availability_start_is_a_time_not_a_sender(frozen, staff_client, me):
    # REQ NFR-1: "from" was translated "差出人" (the sender of a letter).
    weekly(me, datetime.time(9), datetime.time(17))
    changelist = _text(
        staff_client.get(reverse("admin:consultations_availabilitypattern_changelist"))
    )
    pattern = AvailabilityPattern.objects.first()
    change = _text(
        staff_client.get(
            reverse("admin:consultations_availabilitypattern_change", args=[pattern.pk])
        )
    )
    for text in (changelist, change):
        assert "差出人" not in text
        assert "開始時刻" in text and "終了時刻" in text


def test_statistics_are_japanese_and_tell_an_out_of_range_month_from_a_wrong_format(
    frozen, staff_client
):
    # REQ NFR-1, STA-1
    page = _text(staff_client.get(STATS))
    assert "Booth utilisation" not in page and "ブース利用率（%）" in page
    out_of_range = _text(staff_client.get(STATS, {"month": "1999-01"}))
    assert "2000年1月から2100年12月までの月を選んでください。" in out_of_range
    assert "例：2026-11" not in out_of_range.split("月を選んでください")[0][-80:]
    wrong = _text(staff_client.get(STATS, {"month": "1999/01"}))
    assert "2000年1月から2100年12月" not in wrong


def test_lists_and_headings_write_dates_the_japanese_way(frozen, staff_client, booth):
    # REQ NFR-1, OFF-3: "11/18 (水) 10:00" in lists, "2026-11-18 10:00" in headings.
    reservation = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    calls = _text(staff_client.get(CALLS))
    assert "2026年11月18日（水）10:00" in calls
    assert "11/18" not in calls
    change = _text(
        staff_client.get(reverse("admin:booths_reservation_change", args=[reservation.pk]))
    )
    assert "2026年11月18日（水）10:00〜10:30" in change
    assert not re.search(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", change)


def test_staff_read_and_pick_counselors_by_name_and_only_the_offices(
    frozen, client, office, booth, me, zoom
):
    # REQ STF-1: login IDs in 担当相談員 columns, selects and filters; a superuser offered as
    # a counselor; the header greeting the login ID.
    from tests.auth import login_client

    superuser = StaffFactory(
        office=office, username="admin-honjo", is_superuser=True, last_name="管理", first_name="者"
    )
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0), counselor=me)
    online = consultation(office, me, zoom, starts_at=tokyo(2026, 11, 18, 11, 0))
    login_client(client, me)
    for name in ("booths_reservation", "consultations_consultation"):
        text = _text(client.get(reverse(f"admin:{name}_changelist")))
        assert "相談 一郎" in text
        assert me.username not in text
    move = client.get(reverse("admin:consultations_consultation_move", args=[online.pk]))
    choices = move.context["form"].fields["counselor"]
    assert me in choices.queryset and superuser not in choices.queryset
    assert choices.label_from_instance(me) == "相談 一郎"
    pattern_add = client.get(reverse("admin:consultations_availabilitypattern_add"))
    assert superuser not in pattern_add.context["adminform"].form.fields["counselor"].queryset
    assert User.objects.counselors(office.pk).filter(pk=superuser.pk).exists() is False
    header = _text(client.get(reverse("admin:index")))
    assert "相談 一郎" in header and me.username not in header
    reservation = Reservation.objects.get()
    booth_change = client.get(reverse("admin:booths_reservation_change", args=[reservation.pk]))
    booth_choices = booth_change.context["adminform"].form.fields["counselor"].queryset
    assert superuser not in booth_choices
