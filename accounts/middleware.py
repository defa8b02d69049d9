"""Per-request account rules: suspension, idle timeouts, activity, password reminder."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _

from .adapter import suspended_response
from .services import password_is_old, user_touch_activity

REMINDER_SESSION_KEY = "accounts_password_reminder_shown"


class AccountStateMiddleware:
    """Runs after authentication on every request.

    - A suspended, deleted or deactivated account is signed out at once (REQ REG-5, REG-7).
    - Staff sessions expire after a shorter idle time than users' (REQ REG-8, NFR-3).
    - The last activity is kept for the dormancy rule (REQ REG-6).
    - A gentle reminder when the password is old, once a session; never a lockout (REQ REG-4).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.suspended_at is not None and user.deleted_at is None and user.is_active:
                logout(request)
                return suspended_response(request, user)
            if user.deleted_at is not None or not user.is_active:
                logout(request)
            else:
                self._active(request, user)
        return self.get_response(request)

    def _active(self, request, user) -> None:
        now = timezone.now()
        if user.is_staff:
            request.session.set_expiry(settings.SESSION_IDLE_SECONDS_STAFF)
        user_touch_activity(user=user, now=now)
        if not request.session.get(REMINDER_SESSION_KEY) and password_is_old(
            user, now=now, max_age_days=settings.PASSWORD_REMINDER_DAYS
        ):
            request.session[REMINDER_SESSION_KEY] = True
            messages.info(
                request,
                _(
                    "Your password has not been changed for more than %(days)s days. "
                    "You may want to change it from your profile page."
                )
                % {"days": settings.PASSWORD_REMINDER_DAYS},
            )
