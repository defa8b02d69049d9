"""Dates as every page and mail writes them in Japanese: 2026年11月24日（火）10:00 (REQ OFF-3).

The same shapes as `consultations.calendar.format_*`, so `|date:"DATE_FORMAT"` in a template
and the calendar's formatting agree.
"""

DATE_FORMAT = "Y年n月j日（D）"
DATETIME_FORMAT = "Y年n月j日（D）H:i"
MONTH_DAY_FORMAT = "n月j日（D）"
