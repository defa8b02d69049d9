"""iCalendar attachments for booking mails (REQ NTF-1), with the office as the location."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Reservation


def reservation_uid(reservation: Reservation) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"booth-reservation-{reservation.pk}@{host}"


def reservation_ics(reservation: Reservation, *, cancelled: bool = False) -> bytes:
    """One VEVENT; the same UID with a higher SEQUENCE updates the event in the user's calendar."""
    office = reservation.booth.office
    cal = Calendar()
    cal.add("prodid", "-//Hello Work Online//booths//JA")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", reservation_uid(reservation))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", reservation.starts_at)
    event.add("dtend", reservation.ends_at)
    event.add("sequence", reservation.sequence)
    event.add("summary", f"{office.name} {reservation.booth.name}")
    event.add("location", f"{office.name} {office.address}".strip())
    event.add("description", f"{office.name} TEL {office.phone}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
