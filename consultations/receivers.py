"""Reactions to what happens to accounts (the accounts app announces, consultations act)."""

from django.db import models
from django.dispatch import receiver

from accounts.signals import account_deleting

from .models import ConsultationJoin


@receiver(account_deleting, dispatch_uid="consultations_erase_joins")
def erase_joins(sender, *, user, now, reason="self", **kwargs) -> None:
    # REQ REG-5: the terminal identification of the person's joins goes; the times stay. The
    # bookings app cancels the bookings themselves.
    # The join records are append-only: this erasure is the sanctioned change past the guard.
    with ConsultationJoin.protection_lifted():
        models.QuerySet(ConsultationJoin).filter(user=user).update(ip_address=None, user_agent="")
