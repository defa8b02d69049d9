from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkplaceConfig(AppConfig):
    """The staff pages over both services and the person's list of all their bookings: the top
    app (core <- accounts <- terms <- consultations <- booths <- workplace)."""

    name = "workplace"
    verbose_name = _("Workplace")

    def ready(self) -> None:
        from django.contrib import admin

        from . import admin_site

        # The day sheet, week view, call list, statistics and the index on the staff member's
        # office.
        admin_site.install(admin.site)
