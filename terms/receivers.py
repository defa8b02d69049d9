"""Reactions to what happens to accounts (the accounts app announces, terms acts)."""

from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from accounts.signals import account_deleting

from .gate import keep_consents
from .services import consents_anonymise_for_user


@receiver(auth_signals.user_logged_in, dispatch_uid="terms_keep_consents")
def signed_in(sender, request, user, **kwargs) -> None:
    # REQ NFR-4: the consent gate then reads the session, not the database.
    if request is not None and hasattr(request, "session"):
        keep_consents(request.session, user)


@receiver(account_deleting, dispatch_uid="terms_anonymise_consents")
def anonymise_consents(sender, *, user, **kwargs) -> None:
    # REQ REG-5: the fact of a consent stays for statistics; where it came from does not.
    consents_anonymise_for_user(user=user)
