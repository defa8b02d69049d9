from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Calendar and bookings")

    def ready(self) -> None:
        from core.outbox import register_composer

        from . import alerts, notify, receivers  # noqa: F401  (signal receivers)

        register_composer(notify.COMPOSER, notify.compose_booking_mail)
        register_composer(alerts.COMPOSER, alerts.compose_alert_mail)
