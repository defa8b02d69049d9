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
# When this session was last seen in use (epoch seconds), for the idle timeout.
LAST_SEEN_SESSION_KEY = "accounts_last_seen"


def mark_seen(request, user, epoch: int) -> None:
    """The session was seen in use at `epoch` (marks it for saving); staff sessions expire
    after their shorter idle time (REQ REG-8). Also at sign-in, whose response saves the
    session anyway, so the first page after it writes nothing (REQ NFR-4)."""
    request.session[LAST_SEEN_SESSION_KEY] = epoch
    if user.is_staff:
        request.session.set_expiry(settings.SESSION_IDLE_SECONDS_STAFF)


class AccountStateMiddleware:
    """Runs after authentication on every request.

    - A suspended, deleted or deactivated account is signed out at once (REQ REG-5, REG-7).
    - Sessions expire after an idle time, shorter for staff than for users (REQ REG-8, NFR-3).
      The last-seen time in the session is refreshed (and so the session row written) at most
      once every SESSION_ACTIVITY_WRITE_SECONDS: a signed-in page view usually writes nothing
      (REQ NFR-4). The timeout therefore counts from the last refresh, up to that many seconds
      before the last request: a session may end that much early, never late.
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
            elif self._idle_too_long(request, user):
                logout(request)  # flushes the session: the server forgets it, not only the cookie
            else:
                self._active(request, user)
        return self.get_response(request)

    @staticmethod
    def _idle_too_long(request, user) -> bool:
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        if not isinstance(last_seen, int):
            return False  # a session from before this rule, or just signed in: starts now
        limit = (
            settings.SESSION_IDLE_SECONDS_STAFF if user.is_staff else settings.SESSION_COOKIE_AGE
        )
        return timezone.now().timestamp() - last_seen > limit

    def _active(self, request, user) -> None:
        now = timezone.now()
        epoch = int(now.timestamp())
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        if not isinstance(last_seen, int) or epoch - last_seen >= (
            settings.SESSION_ACTIVITY_WRITE_SECONDS
        ):
            mark_seen(request, user, epoch)
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
