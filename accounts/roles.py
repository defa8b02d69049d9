"""The counselor role: what office staff may do in the admin (REQ STF-1 … STF-3).

Permissions are named by app label and codename, so accounts imports none of the apps above
it. Every admin in those apps also scopes its rows to the staff member's own office.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

COUNSELOR_GROUP = "counselors"

# app label -> codenames; "*" means every permission of the app.
COUNSELOR_PERMISSIONS = {
    # Notices: the admin scopes them to the counselor's office (national ones: superusers).
    # Access records only for staff given accounts.view_accessrecord by a superuser (LOG-1).
    "accounts": [
        "view_user",
        "change_user",
        "view_office",
        "view_notice",
        "add_notice",
        "change_notice",
        "delete_notice",
    ],
    "terms": ["*"],
    "bookings": ["*"],
    "consultations": ["*"],
    "booths": ["*"],
    # The audit list, scoped to their office (STF-2).
    "core": [
        "view_outboxmessage",
        "view_auditevent",
    ],
}


def ensure_counselor_group() -> Group:
    """Create or bring up to date the counselors group. Idempotent."""
    group, _ = Group.objects.get_or_create(name=COUNSELOR_GROUP)
    wanted = Q(pk__in=[])
    for app_label, codenames in COUNSELOR_PERMISSIONS.items():
        if codenames == ["*"]:
            wanted |= Q(content_type__app_label=app_label)
        else:
            wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    return group
