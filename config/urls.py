from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as accounts_views
from core.health import HealthView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    # For load balancers: no session, no sign-in, never paused (core/health.py, REQ NFR-6).
    path("health/", HealthView.as_view(), name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    # allauth's sign-up, able to show a number lost to a concurrent sign-up (REQ REG-9).
    path("accounts/signup/", accounts_views.signup_job_seeker, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("terms/", include("terms.urls")),
    path("consultations/", include("consultations.urls")),
    # The person's list of all their bookings, over both services (workplace/views.py); its
    # path before the workplace app, still linked from mails already sent, redirects to it.
    path("reservations/", include("workplace.urls")),
    path(
        "booths/reservations/",
        RedirectView.as_view(pattern_name="workplace:my_reservations", permanent=True),
    ),
    path("booths/", include("booths.urls")),
    # Earlier-slot alerts of both services (REQ ALR-1).
    path("alerts/", include("bookings.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# A database outage answers a clear 503 with Retry-After instead of the 500 page (NFR-3).
handler500 = "core.middleware_db.server_error"
