"""The office calendar, checked for every day of 2025-2028 (REQ OFF-2, OFF-3)."""

import datetime

import holidays
import pytest
from django.utils import translation

from bookings import calendar
from bookings.calendar import TOKYO

ALL_DAYS = [
    datetime.date(2025, 1, 1) + datetime.timedelta(days=n)
    for n in range((datetime.date(2029, 1, 1) - datetime.date(2025, 1, 1)).days)
]
JAPAN = holidays.country_holidays("JP", years=range(2025, 2029))


def test_every_day_of_2025_to_2028_follows_weekdays_holidays_and_year_end():
    # REQ OFF-2
    assert len(ALL_DAYS) == 1461
    for day in ALL_DAYS:
        expected = (
            day.weekday() < 5
            and day not in JAPAN
            and not (day.month == 12 and day.day >= 29)
            and not (day.month == 1 and day.day <= 3)
        )
        assert calendar.is_business_day(day) is expected, day


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (datetime.date(2025, 2, 24), "振替休日"),
        (datetime.date(2025, 11, 24), "振替休日"),
        (datetime.date(2026, 5, 6), "振替休日"),
        (datetime.date(2027, 3, 22), "振替休日"),
        (datetime.date(2026, 9, 22), "国民の休日"),
    ],
)
def test_substitute_and_citizens_holidays_are_closed(day, name):
    # REQ OFF-2: the library's calendar includes both kinds
    assert calendar.national_holiday_name(day) == name
    assert not calendar.is_business_day(day)


@pytest.mark.parametrize(
    "day",
    [datetime.date(2026, 12, d) for d in (29, 30, 31)]
    + [datetime.date(2027, 1, d) for d in (1, 2, 3)],
)
def test_year_end_closure_runs_from_29_december_to_3_january(day):
    # REQ OFF-2
    assert calendar.is_year_end_closure(day)
    assert not calendar.is_business_day(day)


def test_days_around_the_year_end_closure_are_open():
    # REQ OFF-2: Mon 28 Dec 2026 and Mon 4 Jan 2027 are ordinary weekdays
    assert calendar.is_business_day(datetime.date(2026, 12, 28))
    assert calendar.is_business_day(datetime.date(2027, 1, 4))


def test_office_closure_closes_only_that_day():
    # REQ OFF-2
    closed = datetime.date(2026, 11, 20)
    closures = frozenset({closed})
    assert not calendar.is_business_day(closed, closures=closures)
    assert calendar.closed_reason(closed, closures=closures)
    assert calendar.is_business_day(datetime.date(2026, 11, 19), closures=closures)
    assert calendar.is_business_day(closed)


def test_closed_reasons_name_weekend_holiday_and_year_end():
    # REQ OFF-2
    with translation.override("en"):
        assert "Saturdays" in calendar.closed_reason(datetime.date(2026, 11, 21))
        assert "勤労感謝の日" in calendar.closed_reason(datetime.date(2026, 11, 23))
        assert "year-end" in calendar.closed_reason(datetime.date(2026, 12, 30))


def test_business_days_between_skips_closed_days():
    # REQ OFF-2
    days = calendar.business_days_between(datetime.date(2026, 11, 20), datetime.date(2026, 11, 25))
    assert days == [
        datetime.date(2026, 11, 20),
        datetime.date(2026, 11, 24),
        datetime.date(2026, 11, 25),
    ]


def test_previous_business_day_skips_weekend_and_holiday():
    # Tuesday 24 Nov 2026 follows a weekend and Monday's holiday
    # REQ OFF-2, BTH-4
    assert calendar.previous_business_day(datetime.date(2026, 11, 24)) == datetime.date(
        2026, 11, 20
    )


def test_slot_grid_runs_from_opening_in_30_minute_steps():
    # REQ OFF-3
    times = calendar.slot_times(datetime.time(9), datetime.time(17))
    assert len(times) == 16
    assert times[0] == datetime.time(9, 0)
    assert times[1] == datetime.time(9, 30)
    assert times[-1] == datetime.time(16, 30)


def test_day_slots_are_aware_tokyo_times_and_empty_on_closed_days():
    # REQ OFF-3
    slots = calendar.day_slots(
        datetime.date(2026, 11, 24), opens_at=datetime.time(9), closes_at=datetime.time(17)
    )
    assert slots[0] == datetime.datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
    assert slots[0].utcoffset() == datetime.timedelta(hours=9)
    assert (
        calendar.day_slots(
            datetime.date(2026, 11, 23), opens_at=datetime.time(9), closes_at=datetime.time(17)
        )
        == []
    )


@pytest.mark.parametrize(
    ("moment", "refused"),
    [
        (datetime.datetime(2026, 11, 24, 9, 0), False),
        (datetime.datetime(2026, 11, 24, 16, 30), False),
        (datetime.datetime(2026, 11, 24, 17, 0), True),
        (datetime.datetime(2026, 11, 24, 8, 30), True),
        (datetime.datetime(2026, 11, 24, 10, 15), True),
        (datetime.datetime(2026, 11, 21, 10, 0), True),
        (datetime.datetime(2026, 11, 23, 10, 0), True),
        (datetime.datetime(2026, 12, 30, 10, 0), True),
    ],
)
def test_slot_refusal_reason(moment, refused):
    # REQ OFF-2, OFF-3
    reason = calendar.slot_refusal_reason(
        moment.replace(tzinfo=TOKYO), opens_at=datetime.time(9), closes_at=datetime.time(17)
    )
    assert (reason is not None) is refused


def test_slot_refusal_accepts_the_same_moment_in_utc():
    # REQ OFF-3
    moment = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)  # 10:00 in Tokyo
    assert (
        calendar.slot_refusal_reason(moment, opens_at=datetime.time(9), closes_at=datetime.time(17))
        is None
    )


def test_booking_deadline_is_the_cutoff_on_the_previous_business_day():
    # REQ BTH-4: Tuesday 24 Nov 2026 -> Friday 20 Nov 17:00 (weekend and holiday between)
    deadline = calendar.booking_deadline(
        datetime.datetime(2026, 11, 24, 10, tzinfo=TOKYO), cutoff_time=datetime.time(17)
    )
    assert deadline == datetime.datetime(2026, 11, 20, 17, 0, tzinfo=TOKYO)


def test_booking_deadline_skips_an_office_closure():
    # REQ BTH-4, OFF-2
    deadline = calendar.booking_deadline(
        datetime.datetime(2026, 11, 19, 10, tzinfo=TOKYO),
        cutoff_time=datetime.time(16),
        closures=frozenset({datetime.date(2026, 11, 18)}),
    )
    assert deadline == datetime.datetime(2026, 11, 17, 16, 0, tzinfo=TOKYO)


def test_slot_is_formatted_the_japanese_way():
    # REQ OFF-3
    start = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC)
    with translation.override("ja"):
        assert calendar.format_slot(start) == "2026年11月24日（火）10:00〜10:30"
        assert calendar.format_date(datetime.date(2026, 11, 24)) == "2026年11月24日（火）"
        assert calendar.format_month(2026, 11) == "2026年11月"
    with translation.override("en"):
        assert calendar.format_slot(start) == "Tue 24 Nov 2026, 10:00–10:30"


def test_template_filter_formats_slots():
    # REQ OFF-3
    from django.template import Context, Template

    start = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    with translation.override("ja"):
        html = Template("{% load jp_datetime %}{{ s|jp_slot:e }}").render(
            Context({"s": start, "e": start + datetime.timedelta(minutes=30)})
        )
    assert html == "2026年11月24日（火）10:00〜10:30"


def test_slot_start_containing_finds_the_running_slot():
    # REQ OFF-3
    found = calendar.slot_start_containing(
        datetime.datetime(2026, 11, 24, 10, 29, tzinfo=TOKYO),
        opens_at=datetime.time(9),
        closes_at=datetime.time(17),
    )
    assert found == datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    assert (
        calendar.slot_start_containing(
            datetime.datetime(2026, 11, 24, 17, 0, tzinfo=TOKYO),
            opens_at=datetime.time(9),
            closes_at=datetime.time(17),
        )
        is None
    )


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (
            datetime.datetime(2026, 8, 31, 12, tzinfo=TOKYO),
            6,
            datetime.datetime(2026, 2, 28, 12, tzinfo=TOKYO),
        ),
        (
            datetime.datetime(2026, 3, 15, tzinfo=TOKYO),
            6,
            datetime.datetime(2025, 9, 15, tzinfo=TOKYO),
        ),
        (
            datetime.datetime(2026, 1, 10, tzinfo=TOKYO),
            1,
            datetime.datetime(2025, 12, 10, tzinfo=TOKYO),
        ),
    ],
)
def test_months_before(moment, months, expected):
    # REQ BTH-7: the window of no-contact cancellations
    assert calendar.months_before(moment, months) == expected


def test_lists_are_joined_the_way_each_language_writes_them():
    # REQ NFR-1: 家族、通訳 in Japanese, "Family member, Interpreter" in English
    from django.utils import translation

    with translation.override("ja"):
        assert calendar.format_list(["家族", "通訳"]) == "家族、通訳"
    with translation.override("en"):
        assert (
            calendar.format_list(["Family member", "Interpreter"]) == "Family member, Interpreter"
        )
