"""Infrastructure shared by every app: the mail outbox and site news."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending messages whose next attempt is due and that no runner holds a lease on."""
        return self.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now or timezone.now())

    def pending(self):
        return self.filter(status=OutboxStatus.PENDING)


class OutboxMessage(models.Model):
    """One e-mail, stored in the transaction that caused it and delivered by a job."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("plain-text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    from_email = models.CharField(_("from"), max_length=255)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("List of {filename, mimetype, content_b64}."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="core_outbox_pending_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="core_outboxmessage_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


class NoticeQuerySet(models.QuerySet):
    def visible(self, now=None):
        now = now or timezone.now()
        return self.filter(published_at__lte=now).filter(
            Q(hidden_after__isnull=True) | Q(hidden_after__gt=now)
        )

    def maintenance_in_progress(self, now=None):
        now = now or timezone.now()
        return self.filter(maintenance_starts_at__lte=now, maintenance_ends_at__gt=now)


class Notice(models.Model):
    """News (お知らせ) for the top page; a planned maintenance carries its start and end."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    hidden_after = models.DateTimeField(_("hidden after"), null=True, blank=True)
    maintenance_starts_at = models.DateTimeField(_("maintenance starts"), null=True, blank=True)
    maintenance_ends_at = models.DateTimeField(_("maintenance ends"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(maintenance_starts_at__isnull=True, maintenance_ends_at__isnull=True)
                    | Q(maintenance_ends_at__gt=models.F("maintenance_starts_at"))
                ),
                name="core_notice_maintenance_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_maintenance(self) -> bool:
        return self.maintenance_starts_at is not None
