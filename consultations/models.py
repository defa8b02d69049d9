"""Models of the consultations app: the office's own closures (REQ OFF-2)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Office


class OfficeClosureQuerySet(models.QuerySet):
    def for_office(self, office: Office) -> "OfficeClosureQuerySet":
        return self.filter(office=office)

    def dates_between(self, start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
        """The closed dates from `start` to `end` (both included), ready for the calendar."""
        return frozenset(self.filter(date__gte=start, date__lte=end).values_list("date", flat=True))


class OfficeClosure(models.Model):
    """A day an office is closed besides weekends, national holidays and the year-end closure."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    objects = OfficeClosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("office closure")
        verbose_name_plural = _("office closures")
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date"], name="consultations_officeclosure_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.date:%Y-%m-%d}"
