"""Dates and times written one way everywhere (REQ NFR-1, OFF-3): `core.dates`, its template
filters, and Django's own rendering (admin lists, `{{ value }}`) in the same shapes."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from core import dates

TOKYO = ZoneInfo("Asia/Tokyo")
MOMENT = datetime.datetime(2026, 12, 9, 0, 0, tzinfo=datetime.UTC)  # 9:00 in Tokyo


def test_times_have_two_digit_hours_in_both_languages():
    # REQ NFR-1: public times were "09:00" and office hours "9:00".
    for language in ("ja", "en"):
        with translation.override(language):
            assert dates.format_time(datetime.time(9, 0)) == "09:00"
            assert dates.format_time(MOMENT) == "09:00"


def test_the_japanese_and_english_shapes():
    # REQ OFF-3, NFR-1
    end = MOMENT + datetime.timedelta(minutes=30)
    with translation.override("ja"):
        assert dates.format_slot(MOMENT, end) == "2026年12月9日（水）09:00〜09:30"
        assert dates.format_datetime(MOMENT) == "2026年12月9日（水）09:00"
    with translation.override("en"):
        assert dates.format_slot(MOMENT, end) == "Wed 9 Dec 2026, 09:00–09:30"
        assert dates.format_datetime(MOMENT) == "Wed 9 Dec 2026, 09:00"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_djangos_rendering_agrees_with_the_one_formatting_module(language):
    # REQ NFR-1: the admin's lists and forms render dates through Django's formats; they
    # must read exactly as the pages' filters do.
    local = MOMENT.astimezone(TOKYO)
    with translation.override(language):
        assert formats.date_format(local, "DATETIME_FORMAT") == dates.format_datetime(MOMENT)
        assert formats.date_format(local.date(), "DATE_FORMAT") == dates.format_date(MOMENT)
        assert formats.time_format(datetime.time(9, 0), "TIME_FORMAT") == "09:00"


def test_template_filters_write_office_hours_as_every_other_time():
    # REQ NFR-1: office hours used |time:"G:i" (9:00) beside slots in HH:MM.
    template = Template("{% load jp_datetime %}{{ t|jp_time }} {{ t|jp_time_range:u }}")
    with translation.override("ja"):
        html = template.render(Context({"t": datetime.time(9), "u": datetime.time(17)}))
    assert html == "09:00 09:00〜17:00"


def test_model_names_in_headings_and_messages_are_not_iso(db):
    # REQ NFR-1: admin headings and messages read "2026-12-09 10:00" from `__str__`.
    from tests.booths.factories import ReservationFactory

    reservation = ReservationFactory(starts_at=datetime.datetime(2026, 12, 9, 10, tzinfo=TOKYO))
    with translation.override("ja"):
        assert "2026年12月9日（水）10:00〜10:30" in str(reservation)
        assert "2026-12-09" not in str(reservation)
