from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoothsConfig(AppConfig):
    name = "booths"
    verbose_name = _("Consultation booths")

    def ready(self) -> None:
        from bookings.registry import BookingKind, register

        from . import demo  # noqa: F401  (demo step)
        from .models import Reservation

        register(
            BookingKind(
                model=Reservation,
                office_lookup="booth__office",
                cap_field="max_active_booth_reservations",
                select_related=("booth__office",),
            )
        )
