from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoothsConfig(AppConfig):
    name = "booths"
    verbose_name = _("Consultation booths")

    def ready(self) -> None:
        from . import demo, jobs, receivers  # noqa: F401  (jobs, demo step, signal receivers)
