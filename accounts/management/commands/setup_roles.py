from django.core.management.base import BaseCommand

from accounts.roles import ensure_counselor_group


class Command(BaseCommand):
    help = "Create or update the 'counselors' group with the permissions office staff need."

    def handle(self, *args, **options):
        group = ensure_counselor_group()
        self.stdout.write(f"{group.name}: {group.permissions.count()} permissions")
