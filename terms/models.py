"""Terms of use per office and service, their versions, and recorded consent (REQ TRM-1 … 4)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Office
from core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from core.audit import audit_track


class TermsService(models.TextChoices):
    ONLINE = "online", _("Online job consultation from home")
    BOOTH = "booth", _("Consultation booth")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ConsentMethod(models.TextChoices):
    ONLINE = "online", _("Online")
    STAFF = "staff", _("Recorded by staff at the counter")


class TermsDocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        moving = set(kwargs) & {"office", "office_id", "service"}
        if moving and self.filter(versions__isnull=False).exists():
            raise ValidationError(
                _("Terms that have versions cannot move to another office or service.")
            )
        return super().update(**kwargs)


@audit_track(indexes=["office"])  # REQ STF-2
class TermsDocument(models.Model):
    """The terms of one service at one office; its text lives in versions."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="terms_documents"
    )
    service = models.CharField(_("service"), max_length=10, choices=TermsService.choices)
    title = models.CharField(_("title"), max_length=200)

    objects = TermsDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("terms of use")
        verbose_name_plural = _("terms of use")
        ordering = ["office__code", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "service"], name="terms_termsdocument_one_per_office_service"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} / {self.get_service_display()}"

    def save(self, *args, **kwargs):
        # Moving terms to another office or service would relabel every version and every
        # consent given to them (a consent to booth terms would open the online gate).
        if self.pk is not None and self.versions.exists():
            stored = TermsDocument.objects.filter(pk=self.pk).values("office_id", "service").get()
            if (stored["office_id"], stored["service"]) != (self.office_id, self.service):
                raise ValidationError(
                    _("Terms that have versions cannot move to another office or service.")
                )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("terms:current", args=[self.office.code, self.service])


class TermsVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=VersionStatus.PUBLISHED)

    def in_effect(self, now=None):
        """Published versions whose effective date has come (the newest one governs)."""
        return self.published().filter(effective_from__lte=now or timezone.now())

    def upcoming(self, now=None):
        """Published versions announced for a future date (REQ TRM-3)."""
        return self.published().filter(effective_from__gt=now or timezone.now())

    def update(self, **kwargs):
        frozen = set(kwargs) & {
            "document",
            "document_id",
            "number",
            "text",
            "summary",
            "effective_from",
            "published_at",
            "status",
        }
        if frozen and self.filter(status=VersionStatus.PUBLISHED).exists():
            raise ValidationError(
                _("A published version cannot be changed. Publish a new version instead.")
            )
        return super().update(**kwargs)

    def with_previous_number(self):
        """Annotate `previous_number`: the published version before each one, if any."""
        previous = (
            TermsVersion.objects.published()
            .filter(document=models.OuterRef("document"), number__lt=models.OuterRef("number"))
            .order_by("-number")
            .values("number")[:1]
        )
        return self.annotate(previous_number=models.Subquery(previous))

    def delete(self):
        if self.filter(status=VersionStatus.PUBLISHED).exists():
            raise ValidationError(_("A published version cannot be deleted."))
        return super().delete()

    def current_for(self, *, office, service, now=None) -> TermsVersion | None:
        return (
            self.in_effect(now)
            .filter(document__office=office, document__service=service)
            .select_related("document", "document__office")
            .order_by("-number")
            .first()
        )


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM terms_termsdocument WHERE id = NEW.document_id)",
)
class TermsVersion(models.Model):
    """One numbered version. Once published its text, number and dates never change."""

    IMMUTABLE_WHEN_PUBLISHED = (
        "document_id",
        "number",
        "text",
        "summary",
        "effective_from",
        "published_at",
    )

    document = models.ForeignKey(
        TermsDocument, verbose_name=_("terms"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version number"))
    text = models.TextField(_("text (Markdown)"))
    summary = models.TextField(
        _("summary of changes"),
        blank=True,
        help_text=_("What changed since the previous version, in plain words."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    effective_from = models.DateTimeField(_("effective from"))
    announced_at = models.DateTimeField(
        _("announcement mailed at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TermsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="terms_termsversion_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="terms_termsversion_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="terms_termsversion_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                TermsVersion.objects.filter(pk=self.pk)
                .values("status", *self.IMMUTABLE_WHEN_PUBLISHED)
                .first()
            )
            if stored and stored["status"] == VersionStatus.PUBLISHED:
                changed = [
                    name
                    for name in self.IMMUTABLE_WHEN_PUBLISHED
                    if getattr(self, name) != stored[name]
                ] + (["status"] if self.status != stored["status"] else [])
                if changed:
                    raise ValidationError(
                        _("A published version cannot be changed. Publish a new version instead.")
                    )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "terms:version", args=[self.document.office.code, self.document.service, self.number]
        )

    def delete(self, *args, **kwargs):
        if self.status == VersionStatus.PUBLISHED:
            raise ValidationError(_("A published version cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    def is_in_effect(self, now=None) -> bool:
        return self.is_published and self.effective_from <= (now or timezone.now())


class ConsentQuerySet(AppendOnlyQuerySet):
    def latest_per_document(self):
        return self.order_by("version__document_id", "-version__number")


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql=(
        "(SELECT d.office_id FROM terms_termsversion v"
        " JOIN terms_termsdocument d ON d.id = v.document_id WHERE v.id = NEW.version_id)"
    ),
    indexes=["user"],
)
class Consent(AppendOnlyModel):
    """A user's acceptance of one terms version (REQ TRM-2). Append-only, never edited or
    deleted by the application nor, through the trigger, by raw SQL (REQ STF-2)."""

    changed_message = _("Consent records cannot be changed.")
    deleted_message = _("Consent records cannot be deleted.")

    # PROTECT: an account is erased by anonymising its row (accounts.services.account_delete),
    # never by deleting it, so a consent always keeps pointing at the same (anonymous) person.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="terms_consents",
    )
    version = models.ForeignKey(
        TermsVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="consents"
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    method = models.CharField(
        _("how"), max_length=10, choices=ConsentMethod.choices, default=ConsentMethod.ONLINE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta(AppendOnlyModel.Meta):
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["user", "version"], name="terms_consent_user_version")]
        constraints = [
            models.CheckConstraint(
                condition=Q(method="online") | Q(recorded_by__isnull=False),
                name="terms_consent_staff_method_names_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.version}"
