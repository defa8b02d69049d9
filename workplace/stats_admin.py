"""The statistics pages of the admin: figures per office and month, a chart, a CSV (REQ STA-1),
and the office's weekly funnel over 12 weeks, a chart and a table (REQ STA-2).

Counselors see their own office (another office's code answers 404); superusers choose any
office or the whole country. The page is behind the admin's sign-in and second factor
(`admin_site.admin_view`). Only counts are shown or exported, never anyone's data, so the
export is not an access record of anyone's personal data (REQ LOG-1).
"""

from __future__ import annotations

import csv
import re

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Office
from bookings import calendar
from core.dates import format_date
from core.forms import Form

from .funnel import Funnel, weekly_funnel
from .statistics import SUPPRESSED, MonthStatistics, alert_statistics, month_statistics

NATIONAL = "national"
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100

# Chart geometry (SVG user units; the SVG scales to the page width).
CHART_WIDTH = 640
CHART_LABEL_WIDTH = 230
CHART_VALUE_WIDTH = 50
CHART_BAR_HEIGHT = 22
CHART_GAP = 10

# The funnel: one small chart a stage, the 12 weeks side by side, drawn for a phone's width
# (360 units) so its text stays readable there; it scales up on wider screens.
FUNNEL_WIDTH = 360
FUNNEL_MARGIN = 8
FUNNEL_TITLE = 18  # a panel's heading
FUNNEL_VALUE = 14  # room for the value above the tallest bar
FUNNEL_BARS = 48
FUNNEL_PANEL_GAP = 10
FUNNEL_AXIS = 18


class StatisticsForm(Form):
    office = forms.CharField(label=gettext_lazy("Office"), max_length=20, required=False)
    month = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        required=False,
        help_text=gettext_lazy("Year and month, e.g. 2026-11"),
    )

    def clean_month(self) -> tuple[int, int] | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        match = MONTH_PATTERN.match(value)
        if not match:
            raise forms.ValidationError(_("Enter the month as year-month, e.g. 2026-11."))
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter the month as year-month, e.g. 2026-11."))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # The format is right; say which months there are (REQ NFR-1).
            raise forms.ValidationError(
                _("Choose a month from %(first)s to %(last)s.")
                % {
                    "first": calendar.format_month(FIRST_YEAR, 1),
                    "last": calendar.format_month(LAST_YEAR, 12),
                }
            )
        return year, month


def may_see_statistics(user) -> bool:
    return user.is_superuser or (
        user.office_id is not None and user.has_perm("booths.view_reservation")
    )


def _scope(request: HttpRequest, code: str) -> Office | None:
    """The office the page is about (None: national). Another office's code is a 404 for a
    counselor, exactly like a code that does not exist."""
    user = request.user
    if user.is_superuser:
        if code in ("", NATIONAL):
            return None if code == NATIONAL or user.office_id is None else user.office
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise Http404
        return office
    if code and code != user.office.code:
        raise Http404
    return user.office


def chart_bars(stats: MonthStatistics) -> dict:
    """Bars for the month's totals, in SVG units; a hidden count draws no bar."""
    cells = stats.totals.cells
    largest = max([cell.value for cell in cells if not cell.hidden] or [0]) or 1
    span = CHART_WIDTH - CHART_LABEL_WIDTH - CHART_VALUE_WIDTH
    bars = []
    for index, ((_name, label), cell) in enumerate(zip(stats.figures, cells, strict=True)):
        y = CHART_GAP + index * (CHART_BAR_HEIGHT + CHART_GAP)
        width = 0 if cell.hidden else round(cell.value / largest * span, 1)
        bars.append(
            {
                "label": label,
                "display": cell.display,
                "hidden": cell.hidden,
                "y": y,
                "text_y": y + CHART_BAR_HEIGHT * 0.7,
                "width": width,
                "value_x": CHART_LABEL_WIDTH + width + 6,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_GAP + len(bars) * (CHART_BAR_HEIGHT + CHART_GAP),
        "label_width": CHART_LABEL_WIDTH,
        "label_x": CHART_LABEL_WIDTH - 8,
        "bar_height": CHART_BAR_HEIGHT,
    }


# A cell beginning with one of these is a formula to Excel and LibreOffice (REQ LOG-2: an office
# name typed as "=HYPERLINK(…)" must reach the sheet as text). Tab and carriage return start one
# too in some versions.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value) -> object:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class FormulaSafeWriter:
    """csv.writer whose every cell passes through `csv_safe_cell`."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row) -> None:
        self._writer.writerow([csv_safe_cell(cell) for cell in row])


def statistics_csv(stats: MonthStatistics, alert_rows=()) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel opens the Japanese labels correctly."""
    scope = stats.office.code if stats.office else NATIONAL
    filename = f"statistics-{scope}-{stats.year:04d}-{stats.month:02d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = FormulaSafeWriter(csv.writer(response))
    writer.writerow([_("Office"), stats.scope_label])
    writer.writerow([_("Month"), f"{stats.year:04d}-{stats.month:02d}"])
    writer.writerow([_("Counts from 1 to 4, and counts from which one could be worked out: <5")])
    header = [_("Breakdown"), _("Group"), *[str(label) for _name, label in stats.figures]]
    for breakdown in stats.breakdowns:
        writer.writerow([])
        writer.writerow(header)
        for row in [*breakdown.rows, breakdown.total]:
            writer.writerow(
                [str(breakdown.title), str(row.label), *[cell.display for cell in row.cells]]
            )
    writer.writerow([])
    writer.writerow([_("Booked booth slots"), stats.booked_slots.display])
    writer.writerow([_("Offered booth slots"), stats.offered_slots])
    writer.writerow([_("Booth utilisation (%)"), utilisation_display(stats)])
    if alert_rows:  # REQ ALR-1
        writer.writerow([])
        writer.writerow([_("Earlier-slot alerts"), _("Booth"), _("Online"), _("Total")])
        for row in alert_rows:
            writer.writerow([str(row.label), *[cell.display for cell in row.cells]])
    return response


def utilisation_display(stats: MonthStatistics) -> str:
    if stats.utilisation_percent is not None:
        return stats.utilisation_percent
    return SUPPRESSED if stats.booked_slots.hidden else "-"


def statistics_view(request: HttpRequest, admin_site) -> HttpResponse:
    if not may_see_statistics(request.user):
        raise PermissionDenied
    form = StatisticsForm(request.GET or None)
    today = timezone.localdate(timezone=calendar.TOKYO)
    year, month, code = today.year, today.month, ""
    if form.is_bound:
        if not form.is_valid():
            return _page(request, admin_site, form, None)
        code = form.cleaned_data["office"].strip()
        year, month = form.cleaned_data["month"] or (year, month)
    office = _scope(request, code)
    stats = month_statistics(office=office, year=year, month=month)
    alert_rows = alert_statistics(office=office, year=year, month=month)  # REQ ALR-1
    if request.GET.get("format") == "csv":
        return statistics_csv(stats, alert_rows)
    return _page(request, admin_site, form, stats, alert_rows)


def _page(
    request: HttpRequest,
    admin_site,
    form: StatisticsForm,
    stats: MonthStatistics | None,
    alert_rows=(),
):
    offices = None
    if request.user.is_superuser:
        offices = Office.objects.order_by("code").only("code", "name")
    context = {
        **admin_site.each_context(request),
        "title": _("Statistics"),
        "form": form,
        "stats": stats,
        "offices": offices,
        "national": NATIONAL,
        "chart": chart_bars(stats) if stats else None,
        "month_value": f"{stats.year:04d}-{stats.month:02d}" if stats else "",
        "utilisation": utilisation_display(stats) if stats else "",
        "alert_rows": alert_rows,
    }
    return TemplateResponse(request, "admin/statistics/month.html", context)


def funnel_chart(funnel: Funnel) -> dict:
    """Panels (one a stage) of weekly bars on one scale, in SVG units; a hidden count draws
    no bar and reads "<5"."""
    largest = (
        max([cell.value for week in funnel.weeks for cell in week.cells if not cell.hidden] or [0])
        or 1
    )
    slot = (FUNNEL_WIDTH - 2 * FUNNEL_MARGIN) / len(funnel.weeks)
    bar_width = round(slot * 0.6, 1)
    panel_height = FUNNEL_TITLE + FUNNEL_VALUE + FUNNEL_BARS + FUNNEL_PANEL_GAP
    panels = []
    for index, (_name, label) in enumerate(funnel.stages):
        top = index * panel_height
        base = top + FUNNEL_TITLE + FUNNEL_VALUE + FUNNEL_BARS
        bars = []
        for position, week in enumerate(funnel.weeks):
            cell = week.cells[index]
            height = 0 if cell.hidden else round(cell.value / largest * FUNNEL_BARS, 1)
            x = FUNNEL_MARGIN + position * slot + (slot - bar_width) / 2
            bars.append(
                {
                    "x": round(x, 1),
                    "y": round(base - height, 1),
                    "height": height,
                    "hidden": cell.hidden,
                    "display": cell.display,
                    "text_x": round(x + bar_width / 2, 1),
                    "text_y": round(base - height - 3, 1),
                }
            )
        panels.append(
            {"label": label, "title_y": top + FUNNEL_TITLE - 5, "base": base, "bars": bars}
        )
    axis_y = len(panels) * panel_height + FUNNEL_AXIS - 6
    weeks = [
        {
            "label": f"{week.monday.month}/{week.monday.day}",
            "x": round(FUNNEL_MARGIN + position * slot + slot / 2, 1),
        }
        for position, week in enumerate(funnel.weeks)
    ]
    summary = "; ".join(
        _("Week of %(day)s") % {"day": format_date(week.monday)}
        + ": "
        + ", ".join(
            f"{label} {cell.display}"
            for (_name, label), cell in zip(funnel.stages, week.cells, strict=True)
        )
        for week in funnel.weeks
    )
    return {
        "summary": summary,
        "width": FUNNEL_WIDTH,
        "height": len(panels) * panel_height + FUNNEL_AXIS,
        "margin": FUNNEL_MARGIN,
        "line_end": FUNNEL_WIDTH - FUNNEL_MARGIN,
        "bar_width": bar_width,
        "panels": panels,
        "weeks": weeks,
        "axis_y": axis_y,
    }


def funnel_view(request: HttpRequest, admin_site) -> HttpResponse:
    """STA-2: a counselor's own office; a superuser chooses one (there is no national funnel,
    so no national total to subtract an office from)."""
    if not may_see_statistics(request.user):
        raise PermissionDenied
    form = StatisticsForm(request.GET or None)
    code = form.data.get("office", "").strip() if form.is_bound else ""
    if len(code) > form.fields["office"].max_length:
        raise Http404
    office = None if code == NATIONAL else _scope(request, code)
    funnel = weekly_funnel(office=office) if office is not None else None
    offices = None
    if request.user.is_superuser:
        offices = Office.objects.order_by("code").only("code", "name")
    context = {
        **admin_site.each_context(request),
        "title": _("Weekly booking funnel"),
        "funnel": funnel,
        "chart": funnel_chart(funnel) if funnel else None,
        "offices": offices,
    }
    return TemplateResponse(request, "admin/statistics/funnel.html", context)
