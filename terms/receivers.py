"""Reactions to what happens to accounts (the accounts app announces, terms acts)."""

from django.dispatch import receiver

from accounts.signals import account_deleting

from .services import consents_anonymise_for_user


@receiver(account_deleting, dispatch_uid="terms_anonymise_consents")
def anonymise_consents(sender, *, user, **kwargs) -> None:
    # REQ REG-5: the fact of a consent stays for statistics; where it came from does not.
    consents_anonymise_for_user(user=user)
