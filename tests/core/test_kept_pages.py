"""The key of a kept page (core.kept_pages.fingerprint): equal exactly when the template
would show the values alike, and no value it can't vouch for (REQ NFR-4)."""

import datetime

import pytest
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from bookings.availability import DaySummary
from booths.models import Booth
from core.kept_pages import fingerprint
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def test_values_shown_differently_have_different_fingerprints():
    # REQ NFR-4: escaped text and HTML, a number and its text, True and 1, two time zones
    assert fingerprint("<b>") != fingerprint(mark_safe("<b>"))
    assert fingerprint(1) != fingerprint("1") and fingerprint(True) != fingerprint(1)
    moment = datetime.datetime(2026, 11, 18, 1, tzinfo=datetime.UTC)
    assert fingerprint(moment) != fingerprint(
        moment.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    )
    assert fingerprint(datetime.date(2026, 11, 18)) != fingerprint(datetime.date(2026, 11, 19))
    day = DaySummary(datetime.date(2026, 11, 18), None, free=3, total=16)
    assert fingerprint([day]) == fingerprint([DaySummary(day.date, None, 3, 16)])
    assert fingerprint([day]) != fingerprint([DaySummary(day.date, None, 2, 16)])
    assert fingerprint({"a": day}) != fingerprint({"b": day})


def test_a_lazy_translation_is_keyed_by_its_text():
    # REQ OFF-3
    text = gettext_lazy("Previous month")
    with translation.override("en"):
        english = fingerprint(text)
    with translation.override("ja"):
        assert fingerprint(text) != english


def test_a_row_is_keyed_by_its_loaded_columns_and_the_rows_it_carries():
    # REQ NFR-4: an office's name, its cut-off; a booth's office
    office = OfficeFactory()
    before = fingerprint(office)
    office.booking_cutoff_time = datetime.time(15, 30)
    assert fingerprint(office) != before
    booth = Booth(pk=1, office=office, name="A")
    carried = fingerprint(booth)
    office.name = "別名"
    assert fingerprint(booth) != carried
    # A row met twice is named by its first place; another row in its place is not the same.
    other = OfficeFactory()
    assert fingerprint((office, booth)) != fingerprint(
        (office, Booth(pk=1, office=other, name="A"))
    )
    # Rows with other columns loaded are told apart even when the values are the same.
    twin = OfficeFactory(code="same", name="same")
    offices = type(twin).objects
    assert fingerprint(offices.only("name").get(pk=twin.pk)) != fingerprint(
        offices.only("code").get(pk=twin.pk)
    )


def test_a_value_it_cannot_vouch_for_is_refused():
    # REQ NFR-4: a view can't hand a kept page something its key would miss
    with pytest.raises(TypeError):
        fingerprint({"form": object()})
    with pytest.raises(TypeError):
        fingerprint({1, 2})
