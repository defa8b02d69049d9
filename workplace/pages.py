"""What the workplace pages share (REQ STF-1, STF-2, NFR-3): the query they accept, the office
they show, their URLs and the context of their admin frame.

Four pages over both services, for one office and read in a fixed number of queries whatever
the office's size: the day sheet (`day_sheet.py`), the week view (`week.py`), the call list
(`call_list.py`) and the admin index (`admin_index.py`); every change is a POST to
`actions.py`. Staff see only their own office; superusers choose one with `?office=<id>`.
`admin_site.install()`, called from `WorkplaceConfig.ready()`, puts the URLs in front of the
admin site's own.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Office
from bookings import calendar
from bookings.models import OfficeClosure
from core.forms import Form
from core.versioning import office_cached

# The dates the pages accept: wide enough for any real schedule, narrow enough that date
# arithmetic never overflows (REQ NFR-3).
FIRST_DATE = datetime.date(2000, 1, 1)
LAST_DATE = datetime.date(2099, 12, 31)
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000

BOOTH, ONLINE = "booth", "online"


# --- Input (REQ NFR-3) -------------------------------------------------------------------------


def _bounded_date(value):
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _("Choose a date from %(first)s to %(last)s.")
            % {"first": calendar.format_date(FIRST_DATE), "last": calendar.format_date(LAST_DATE)}
        )
    return value


class PageQueryForm(Form):
    """The query string of the workplace pages: a day and, for superusers, an office."""

    date = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    office = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    page = forms.IntegerField(
        label=gettext_lazy("Page"), required=False, min_value=1, max_value=MAX_PAGE
    )

    def clean_date(self):
        return _bounded_date(self.cleaned_data["date"])


def bad_request(request, site, form) -> TemplateResponse:
    errors = [message for field_errors in form.errors.values() for message in field_errors]
    return TemplateResponse(
        request,
        "admin/workplace/bad_request.html",
        {
            **site.each_context(request),
            "title": _("The request could not be processed"),
            "errors": errors,
        },
        status=400,
    )


def may_view(user) -> bool:
    return user.has_perm("booths.view_reservation") and user.has_perm(
        "consultations.view_consultation"
    )


def page_office(request, form) -> Office:
    """The office the page shows: the staff member's own; for superusers the one chosen (their
    own or the first by default). Another office asked for by staff answers 404 (STF-2)."""
    user = request.user
    wanted = form.cleaned_data.get("office")
    if not user.is_superuser:
        if user.office_id is None:
            raise PermissionDenied
        if wanted is not None and wanted != user.office_id:
            raise Http404
        # Read with the signed-in user (accounts.backends): its data versions are current.
        return user.office
    chosen = wanted or user.office_id
    offices = Office.objects.filter(pk=chosen) if chosen else Office.objects.order_by("name", "pk")
    office = offices.first()
    if office is None:
        raise Http404
    return office


def office_choices(request) -> list[Office]:
    """Superusers pick an office; staff have theirs only."""
    if not request.user.is_superuser:
        return []
    return list(Office.objects.order_by("name", "pk").only("pk", "name"))


def page_url(
    name: str,
    *,
    office: Office | None = None,
    day: datetime.date | None = None,
    superuser: bool = False,
    page: int | None = None,
) -> str:
    query = {}
    if day is not None:
        query["date"] = day.isoformat()
    if superuser and office is not None:
        query["office"] = office.pk
    if page is not None:
        query["page"] = page
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def day_bounds(first: datetime.date, last: datetime.date):
    start = datetime.datetime.combine(first, datetime.time(0), tzinfo=calendar.TOKYO)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time(0), tzinfo=calendar.TOKYO
    )
    return start, end


def closures_around(office: Office, first: datetime.date, last: datetime.date) -> frozenset:
    """The office's closures from two weeks before `first` to two weeks after `last`, enough
    to find the neighbouring business days; kept while the office's data version stands
    (closures raise it, core.versioning). `office` must have been read in this request."""

    def build() -> frozenset:
        # No ordering: the model's default order would join the office for nothing.
        return (
            OfficeClosure.objects.for_office(office)
            .order_by()
            .dates_between(
                max(FIRST_DATE, first - datetime.timedelta(days=14)),
                min(LAST_DATE, last + datetime.timedelta(days=14)),
            )
        )

    return office_cached("workplace-closures", (first, last), office=office, build=build)


def neighbour_business_day(day: datetime.date, step: int, closures) -> datetime.date | None:
    """The business day before (step -1) or after (step 1) `day`, within the date bounds."""
    for _n in range(30):
        day += datetime.timedelta(days=step)
        if not FIRST_DATE <= day <= LAST_DATE:
            return None
        if calendar.is_business_day(day, closures=closures):
            return day
    return None


# --- The frame every page shares --------------------------------------------------------------


def read_query(site, request):
    """The validated query and the office, or a 400 response."""
    if not may_view(request.user):
        raise PermissionDenied
    form = PageQueryForm(request.GET)
    if not form.is_valid():
        return form, None, bad_request(request, site, form)
    return form, page_office(request, form), None


def may_change(user) -> bool:
    return user.has_perm("booths.change_reservation") and user.has_perm(
        "consultations.change_consultation"
    )


# The admin's navigation sidebar as HTML, per process, by what decides it (see `admin_frame`).
_SIDEBARS: dict[tuple, str] = {}
_SIDEBARS_KEPT = 256


def _sidebar(site, request) -> str:
    """The admin's navigation sidebar (`admin/nav_sidebar.html`) for this user and path.

    What it lists is `site.get_app_list(request)`: the models the user may view, add or
    change, which the project's model admins decide from the user's permissions, whether
    they are a superuser and whether they have an office (`accounts.admin`, `core.admin`);
    the marks of the current app and model come from the path, the names from the language.
    With those as the key the HTML is the same, so it is rendered once a process instead of
    each request (REQ NFR-4): a change of permissions is a new key.
    """
    user = request.user
    key = (
        translation.get_language(),
        request.path,
        user.is_superuser,
        user.office_id is None,
        frozenset(user.get_all_permissions()),
    )
    found = _SIDEBARS.get(key)
    if found is None:
        found = render_to_string(
            "admin/nav_sidebar.html", {"available_apps": site.get_app_list(request)}, request
        )
        if len(_SIDEBARS) >= _SIDEBARS_KEPT:
            _SIDEBARS.clear()
        _SIDEBARS[key] = found
    return found


def admin_frame(site, request) -> dict:
    """`site.each_context(request)` with the sidebar kept (`_sidebar`) instead of the app
    list built anew: the workplace templates (base.html) write `nav_sidebar` in its place."""
    script_name = request.META["SCRIPT_NAME"]
    return {
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
        "has_permission": site.has_permission(request),
        "is_popup": False,
        "is_nav_sidebar_enabled": site.enable_nav_sidebar,
        "nav_sidebar": mark_safe(_sidebar(site, request)) if site.enable_nav_sidebar else "",
    }


def page_context(site, request, office, title: str, **extra) -> dict:
    superuser = request.user.is_superuser
    return {
        **admin_frame(site, request),
        "title": title,
        "office": office,
        "offices": office_choices(request),
        "superuser": superuser,
        "day_url": page_url("admin:workplace_day", office=office, superuser=superuser),
        "week_url": page_url("admin:workplace_week", office=office, superuser=superuser),
        "calls_url": page_url("admin:workplace_calls", office=office, superuser=superuser),
        "action_url": reverse("admin:workplace_action"),
        "can_change": may_change(request.user),
        **extra,
    }
