"""The authentication backends, loading the signed-in user with their office in one query.

Every signed-in page shows the user's office (the header, the footer's contact, the booking
rules), so the user is read with it (REQ NFR-4). Their permissions are kept under the user's
rights version (`accounts.rights`), read in the same query, instead of being read twice a
request. Authentication itself is Django's and allauth's, unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from . import rights


class _UserWithOffice:
    def get_user(self, user_id):
        # No `.first()`: its ORDER BY would be compiled on every request for one row by key.
        users = get_user_model()._default_manager.select_related("office").filter(pk=user_id)
        user = next(iter(users), None)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _get_permissions(self, user_obj, obj, from_name):
        # Django's own read (the user's or their groups' permissions), once per rights version
        # in this process instead of once per request (REQ NFR-4).
        cache_name = f"_{from_name}_perm_cache"
        if obj is not None or not user_obj.is_authenticated or hasattr(user_obj, cache_name):
            return super()._get_permissions(user_obj, obj, from_name)
        read = super()._get_permissions
        kept = rights.kept_for(
            user_obj, cache_name, lambda: frozenset(read(user_obj, obj, from_name))
        )
        setattr(user_obj, cache_name, set(kept))
        return getattr(user_obj, cache_name)


class ModelBackend(_UserWithOffice, DjangoModelBackend):
    pass


class AuthenticationBackend(_UserWithOffice, AllauthBackend):
    pass
