from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and offices")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import demo, receivers  # noqa: F401  (register demo step, receivers)

        post_migrate.connect(_sync_site, sender=self, dispatch_uid="accounts_sync_site")


def _sync_site(sender, using="default", **kwargs) -> None:
    from .services import site_sync_from_settings

    site_sync_from_settings(using=using)
