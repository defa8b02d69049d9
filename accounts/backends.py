"""The authentication backends, loading the signed-in user with their office in one query.

Every signed-in page shows the user's office (the header, the footer's contact, the booking
rules), so the user is read with it (REQ NFR-4). Authentication itself is Django's and
allauth's, unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


class _UserWithOffice:
    def get_user(self, user_id):
        # No `.first()`: its ORDER BY would be compiled on every request for one row by key.
        users = get_user_model()._default_manager.select_related("office").filter(pk=user_id)
        user = next(iter(users), None)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserWithOffice, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserWithOffice, AllauthBackend):
    pass
