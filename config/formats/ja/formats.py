"""Dates as Django renders them in Japanese (admin lists and forms, `{{ value }}` in a
template): 2026年11月24日（火）10:00, times always HH:MM (REQ OFF-3, NFR-1).

The same shapes as `core.dates`, the one formatting module every page, message and mail uses;
tests/core/test_dates.py holds the two together.
"""

DATE_FORMAT = "Y年n月j日（D）"
DATETIME_FORMAT = "Y年n月j日（D）H:i"
MONTH_DAY_FORMAT = "n月j日（D）"
TIME_FORMAT = "H:i"
