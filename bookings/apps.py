from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Calendar and bookings")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (signal receivers)
