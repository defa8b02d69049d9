from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoothsConfig(AppConfig):
    name = "booths"
    verbose_name = _("Consultation booths")

    def ready(self) -> None:
        from bookings.registry import register

        from . import demo  # noqa: F401  (demo step)
        from .kind import BOOTHS

        register(BOOTHS)
