"""What a signed-in person may do, kept under their rights version (REQ NFR-4, STF-2, REG-8).

Every admin page asks Django for the user's permissions (two queries: their own and their
groups') and whether they enrolled a second factor (one query). None of it changes unless a
row of `accounts_user_groups`, `accounts_user_user_permissions`, `auth_group_permissions`,
`auth_permission` or `mfa_authenticator` does, and each such change raises
`User.rights_version` of the people it touches in the same transaction (triggers,
accounts/migrations/0016; a guard keeps the number from going down). The number is read
with the signed-in user in the query every request makes (`accounts.backends`), so what is
kept under it here is never stale: a permission or group taken away applies to the very next
request, and nothing has to be invalidated.

Kept in each process's memory: a few hundred bytes a person, keyed by the person, their
version and the flags Django reads from the user row itself (active, superuser).
"""

from __future__ import annotations

from collections.abc import Callable

# (what, user id, rights version, active, superuser) -> the value.
_KEPT: dict[tuple, object] = {}
_KEPT_MAX = 20_000


def kept_for(user, what: str, build: Callable[[], object]):
    """`build()`'s value for `user` (read in this request, so its `rights_version` is the
    committed one), computed once per version in this process."""
    key = (what, user.pk, user.rights_version, user.is_active, user.is_superuser)
    try:
        return _KEPT[key]
    except KeyError:
        pass
    value = build()
    if len(_KEPT) >= _KEPT_MAX:
        _KEPT.clear()
    _KEPT[key] = value
    return value


def forget_all() -> None:
    """Empty this process's kept rights (tests: rolled-back rows give the next test the same
    ids and versions again, which a real database never does for committed data)."""
    _KEPT.clear()
