from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.demo import steps_in_app_order


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo offices, people and texts. Idempotent."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            # Demo staff have a published password and TOTP secret (REQ NFR-3).
            raise CommandError(
                "Demo data is refused with these settings (DEMO_DATA_ALLOWED is off, as in "
                "config.settings.production): it would create a superuser with a published "
                "password and authenticator secret."
            )
        lines: list[str] = []
        with transaction.atomic():
            for step in steps_in_app_order():
                lines.extend(step())
        self.stdout.write("\n".join(lines))
