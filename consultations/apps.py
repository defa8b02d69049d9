from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Online consultations")

    def ready(self) -> None:
        from bookings.registry import register

        from . import demo, receivers  # noqa: F401  (demo step, signal receivers)
        from .kind import ONLINE

        register(ONLINE)
