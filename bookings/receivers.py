"""Reactions to what happens to accounts (the accounts app announces, bookings act)."""

from django.dispatch import receiver

from accounts.signals import account_deleting

from .alerts import alerts_erase_for_user
from .services import bookings_release_for_deleted_user


@receiver(account_deleting, dispatch_uid="bookings_release_bookings")
def release_bookings(sender, *, user, now, reason="self", **kwargs) -> None:
    # REQ REG-5, REG-6: future bookings of both services are cancelled first, with the real
    # cause and a mail to the person; personal data leaves the kept rows.
    bookings_release_for_deleted_user(user=user, now=now, reason=reason)


@receiver(account_deleting, dispatch_uid="bookings_erase_alerts")
def erase_alerts(sender, *, user, **kwargs) -> None:
    # REQ ALR-1, REG-5: a deleted account's earlier-slot alerts go with it.
    alerts_erase_for_user(user=user)
