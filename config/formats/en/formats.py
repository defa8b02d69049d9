"""Dates as Django renders them in English (admin lists and forms, `{{ value }}` in a template):
Tue 24 Nov 2026, 10:00 (REQ NFR-1, OFF-3).

The same shapes as `core.dates`, the one formatting module every page, message and mail uses;
tests/core/test_dates.py holds the two together.
"""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
MONTH_DAY_FORMAT = "D j M"
TIME_FORMAT = "H:i"
