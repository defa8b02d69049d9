"""The workplace's pages in the admin site (REQ STF-1, STA-1): `install()` puts their URLs in
front of the admin site's own (the index included), and is called from `WorkplaceConfig.ready()`.

The pages live under /admin/workplace/. Their paths from before the workplace app
(/admin/workplace/… and /admin/workplace/statistics/) still answer, with a permanent
redirect that keeps the query string, so staff bookmarks keep working.
"""

from __future__ import annotations

from functools import partial

from django.urls import path
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from .actions import action_view
from .admin_index import index_view
from .call_list import calls_view
from .day_sheet import day_view
from .stats_admin import funnel_view, statistics_view
from .week import week_view

# The paths before the workplace app, and the page each now lives at.
OLD_PATHS = {
    "booths/workplace/day/": "admin:workplace_day",
    "booths/workplace/week/": "admin:workplace_week",
    "booths/workplace/calls/": "admin:workplace_calls",
    "booths/statistics/": "admin:workplace_statistics",
}


def urls(site) -> list:
    view = site.admin_view
    return [
        path("", view(partial(index_view, site)), name="index"),
        path("workplace/day/", view(partial(day_view, site)), name="workplace_day"),
        path("workplace/week/", view(partial(week_view, site)), name="workplace_week"),
        path("workplace/calls/", view(partial(calls_view, site)), name="workplace_calls"),
        path(
            "workplace/action/",
            view(require_POST(partial(action_view, site))),
            name="workplace_action",
        ),
        path(
            "workplace/statistics/",
            view(lambda request: statistics_view(request, site)),
            name="workplace_statistics",
        ),
        path(
            "workplace/statistics/funnel/",
            view(lambda request: funnel_view(request, site)),
            name="workplace_funnel",
        ),
        *(
            path(old, RedirectView.as_view(pattern_name=new, query_string=True, permanent=True))
            for old, new in OLD_PATHS.items()
        ),
    ]


def install(site) -> None:
    """Put the workplace URLs in front of the admin site's own."""
    original = site.get_urls

    def get_urls():
        return [*urls(site), *original()]

    site.get_urls = get_urls
