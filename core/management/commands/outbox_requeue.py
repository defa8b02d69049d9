from django.core.management.base import BaseCommand

from core.outbox import outbox_requeue_failed


class Command(BaseCommand):
    help = "Queue every given-up e-mail again (e.g. after a mail server outage of days)."

    def handle(self, *args, **options):
        self.stdout.write(f"requeued={outbox_requeue_failed()}")
