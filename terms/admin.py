"""Staff manage their office's terms: drafts, publishing, read-only consents, counter consent."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import User

from .models import Consent, ConsentMethod, TermsDocument, TermsVersion, VersionStatus
from .services import consent_record, terms_version_publish


@admin.register(TermsDocument)
class TermsDocumentAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "office", "service"]
    list_filter = ["service"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.versions.exists():
            return ["office", "service"]  # its versions and consents belong to them
        return []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermsVersion)
class TermsVersionAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "document__office"
    list_display = ["document", "number", "status", "published_at", "effective_from"]
    list_filter = ["status", "document__service"]
    actions = ["publish"]
    fields = ["document", "number", "text", "summary", "effective_from", "status", "published_at"]
    readonly_fields = ["status", "published_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document__office")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == VersionStatus.PUBLISHED:
            return self.fields  # a published version is frozen (REQ TRM-1)
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "document" and not request.user.is_superuser:
            kwargs["queryset"] = TermsDocument.objects.filter(office_id=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == VersionStatus.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                terms_version_publish(version=version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("Published: %s") % version, messages.SUCCESS)


class CounterConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["user", "version"]


@admin.register(Consent)
class ConsentAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """Read-only list; "add" records a consent given at the counter (method: staff)."""

    office_lookup = "version__document__office"
    form = CounterConsentForm
    list_display = ["user", "version", "accepted_at", "method", "recorded_by"]
    list_filter = ["method", "version__document__service"]
    search_fields = ["user__username"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "version__document__office", "recorded_by")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        office_filter = {} if request.user.is_superuser else {"office_id": request.user.office_id}
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(**office_filter).exclude(user_type="staff")
        if db_field.name == "version":
            kwargs["queryset"] = TermsVersion.objects.published().filter(
                **{f"document__{key}": value for key, value in office_filter.items()}
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = consent_record(
            user=obj.user,
            version=obj.version,
            request=request,
            method=ConsentMethod.STAFF,
            recorded_by=request.user,
        )
        obj.pk = saved.pk

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
