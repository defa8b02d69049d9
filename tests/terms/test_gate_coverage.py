"""Every view that books, starts or joins is behind the consent gate (REQ TRM-4, BTH-8, CON-4).

The test walks every URL pattern of the project. A view of the booking apps is either gated or
listed here as one that cannot book, start or join, so a new view must be classified by
whoever adds it.
"""

from django.urls import URLPattern, URLResolver, get_resolver

BOOKING_APPS = {"booths", "consultations"}

# Views that only read, or that release what the user already holds.
NOT_BOOKING = {
    "booths:index",
    "booths:month",
    "booths:day",
    "workplace:my_reservations",
    "booths:reservation",
    "booths:cancel",
    "consultations:index",
    "consultations:month",
    "consultations:day",
    "consultations:detail",
    "consultations:cancel",
}


def _patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def test_every_booking_view_of_the_project_is_gated():
    # REQ TRM-4
    booking_views = {
        name: callback for name, callback in _patterns() if name.split(":")[0] in BOOKING_APPS
    }
    assert booking_views, "the booking apps expose no URL: the walk is broken"
    ungated = sorted(
        name
        for name, callback in booking_views.items()
        if name not in NOT_BOOKING and not getattr(callback, "terms_consent_service", None)
    )
    assert ungated == []
    gated = {n for n, c in booking_views.items() if getattr(c, "terms_consent_service", None)}
    assert {"booths:request", "booths:send", "booths:adhoc"} <= gated
    # REQ CON-4: booking, moving and joining an online consultation need the online terms
    assert {
        "consultations:request",
        "consultations:send",
        "consultations:move",
        "consultations:join",
    } <= gated
    assert all(
        booking_views[name].terms_consent_service == "online"
        for name in gated
        if name.startswith("consultations:")
    )
