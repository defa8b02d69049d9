from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Calendar and online consultations")

    def ready(self) -> None:
        from . import demo, receivers  # noqa: F401  (demo step, signal receivers)
        from .models import Consultation
        from .registry import BookingKind, register

        register(
            BookingKind(
                model=Consultation,
                office_lookup="office",
                cap_field="max_active_online_consultations",
                select_related=("office", "video_tool", "counselor"),
            )
        )
