"""Notices in the admin, scoped to the staff member's office (REQ OPS-1, OPS-2, STF-3).

Superusers manage every notice, national ones (no office, they pause every office during a
maintenance window) included. Counselors add, change and delete their own office's notices and
see the national ones read-only. core sits below accounts, so the office model is reached
through the user model's `office` field rather than imported.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from .models import Notice


def office_model():
    """The model the user model's `office` field points to (accounts' Office)."""
    return get_user_model()._meta.get_field("office").related_model


class NoticeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "office_label",
        "published_at",
        "maintenance_starts_at",
        "maintenance_ends_at",
    ]
    search_fields = ["title"]
    fields = [
        "title",
        "body",
        "office_id",
        "published_at",
        "hidden_after",
        "maintenance_starts_at",
        "maintenance_ends_at",
    ]

    def get_queryset(self, request):
        office_name = office_model().objects.filter(pk=OuterRef("office_id")).values("name")[:1]
        queryset = super().get_queryset(request).annotate(office_name=Subquery(office_name))
        if request.user.is_superuser:
            return queryset
        return queryset.for_office(request.user.office_id)

    @admin.display(description=_("office"), ordering="office_name")
    def office_label(self, obj: Notice) -> str:
        return getattr(obj, "office_name", None) or str(_("All offices (national)"))

    def _may_edit(self, request, obj: Notice | None) -> bool:
        if request.user.is_superuser:
            return True
        if request.user.office_id is None:
            return False
        return obj is None or obj.office_id == request.user.office_id

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_edit(request, None)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name != "office_id":
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        offices = office_model().objects.order_by("code")
        if request.user.is_superuser:
            choices = [("", _("All offices (national)"))]
        else:
            offices = offices.filter(pk=request.user.office_id)
            choices = []
        choices += [(office.pk, str(office)) for office in offices]
        return forms.TypedChoiceField(
            label=db_field.verbose_name,
            choices=choices,
            coerce=int,
            empty_value=None,
            required=not request.user.is_superuser,
            help_text=_(
                "A maintenance window pauses booking and joining for the people of this office; "
                "a national notice pauses every office."
            ),
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            # The form offers only the counselor's office; this holds even for a forged POST.
            obj.office_id = request.user.office_id
        super().save_model(request, obj, form, change)
