from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and offices")

    def ready(self) -> None:
        from . import demo, jobs, receivers  # noqa: F401  (register demo step, jobs, receivers)
