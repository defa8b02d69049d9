"""Reactions to what happens to accounts (the accounts app announces, booths acts)."""

from django.dispatch import receiver

from accounts.signals import account_deleting

from .services import reservations_release_for_deleted_user


@receiver(account_deleting, dispatch_uid="booths_release_reservations")
def release_reservations(sender, *, user, now, **kwargs) -> None:
    # REQ REG-5: future bookings are cancelled first; personal data leaves the kept rows.
    reservations_release_for_deleted_user(user=user, now=now)
