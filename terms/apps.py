from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TermsConfig(AppConfig):
    name = "terms"
    verbose_name = _("Terms of use")

    def ready(self) -> None:
        from . import demo, receivers  # noqa: F401  (demo step, signal receivers)
