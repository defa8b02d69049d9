from core.jobs import register

from .services import terms_announce_upcoming


@register("announce_terms_changes")
def announce_terms_changes(now):
    return f"mailed={terms_announce_upcoming(now=now)}"
