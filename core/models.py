"""Infrastructure shared by every app: the mail outbox (and the audit trail, `core.audit`)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")
    # No longer fits what it was about (a reminder for a time since moved): kept, not sent.
    DROPPED = "dropped", _("Dropped, no longer fits")


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
    # Set on the last mails to a deleted account (what its deletion cancelled): the row is
    # deleted as soon as it is sent or given up, so no personal data stays behind (REQ REG-5).
    erase_when_done = models.BooleanField(_("erase once sent"), default=False)
    # What the message is about, as an opaque key of the app that wrote it (bookings writes
    # "booking:<app_label>.<model>:<pk>"), and which of its mails it is: pending messages of
    # a topic are dropped when what they describe changes (REQ NTF-3, `outbox_drop_pending`).
    topic = models.CharField(_("topic"), max_length=100, blank=True, default="")
    topic_kind = models.CharField(_("kind"), max_length=30, blank=True, default="")
    # Set on a message stored before it is written: the composer (registered by the app that
    # wrote it, `core.outbox.register_composer`) writes subject, body and attachments from its
    # topic when the message is delivered, so nothing is composed while the change that queued
    # it holds its locks (REQ NFR-4), and the mail describes its topic as it is then (NTF-3).
    composer = models.CharField(_("composed by"), max_length=30, blank=True, default="")
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    drop_reason = models.CharField(_("why dropped"), max_length=200, blank=True, default="")

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
            # The drop looks up a topic's pending messages only: a small partial index.
            models.Index(
                fields=["topic"],
                condition=Q(status="pending"),
                name="core_outbox_pending_topic_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="core_outboxmessage_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="dropped") | Q(dropped_at__isnull=False),
                name="core_outboxmessage_dropped_has_time",
            ),
            # REQ LOG-2: a delivery error is stored without the addresses it named
            # (`core.outbox.delivery_error_text`).
            models.CheckConstraint(
                condition=~Q(last_error__contains="@"),
                name="core_outboxmessage_error_without_address",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


# The audit trail lives in its own module (REQ STF-2).
from .audit import AuditEvent  # noqa: E402, F401
