"""Admin helpers: staff see and change only their own office's data (REQ STF-2)."""

from __future__ import annotations

from .models import Office


class OfficeScopedAdminMixin:
    """Limit the admin to the staff member's office; superusers see every office.

    `office_lookup` is the path from the model to its office, e.g. "booth__office".
    """

    office_lookup = "office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if request.user.office_id is None:
            return queryset.none()
        return queryset.filter(**{self.office_lookup: request.user.office_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and db_field.related_model is Office:
            kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
