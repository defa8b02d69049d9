"""Dates as every page writes them in English: Tue 24 Nov 2026, 10:00 (REQ NFR-1, OFF-3).

The same shapes as `consultations.calendar.format_*`, so `|date:"DATE_FORMAT"` in a template
and the calendar's formatting agree.
"""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
MONTH_DAY_FORMAT = "D j M"
TIME_FORMAT = "H:i"
