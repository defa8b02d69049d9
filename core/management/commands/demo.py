from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo import steps_in_app_order


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo offices, people and texts. Idempotent."

    def handle(self, *args, **options):
        lines: list[str] = []
        with transaction.atomic():
            for step in steps_in_app_order():
                lines.extend(step())
        self.stdout.write("\n".join(lines))
