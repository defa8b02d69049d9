from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Online consultations")

    def ready(self) -> None:
        from bookings.registry import BookingKind, register

        from . import demo, receivers  # noqa: F401  (demo step, signal receivers)
        from .models import Consultation

        register(
            BookingKind(
                model=Consultation,
                office_lookup="office",
                cap_field="max_active_online_consultations",
                select_related=("office", "video_tool", "counselor"),
            )
        )
