from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Site infrastructure")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the mail delivery job)
