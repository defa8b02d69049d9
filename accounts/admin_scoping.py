"""Admin helpers: staff see and change only their own office's data (REQ STF-2)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist

from .models import Office


def office_path(model) -> str | None:
    """The lookup from `model` to its office: "pk" for Office itself, "office" where the model
    has an office, otherwise None."""
    if model is Office:
        return "pk"
    try:
        field = model._meta.get_field("office")
    except FieldDoesNotExist:
        return None
    return "office" if getattr(field, "related_model", None) is Office else None


class OfficeScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose choices are only the staff member's office's objects
    (REQ STF-2): the booths of their office, their office, or, for a model with no office of
    its own, the objects that rows they can see refer to."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        related = field.related_model
        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        lookup = office_path(related)
        if lookup is not None:
            objects = related._default_manager.filter(**{lookup: request.user.office_id})
        else:
            seen = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
            objects = related._default_manager.filter(pk__in=seen)
        return [(obj.pk, str(obj)) for obj in objects.order_by(*ordering)]


def scoped_list_filter(model, list_filter) -> list:
    """`list_filter` with every plain related-field filter replaced by the scoped one."""
    scoped = []
    for item in list_filter:
        if isinstance(item, str):
            try:
                field = get_fields_from_path(model, item)[-1]
            except (FieldDoesNotExist, NotRelationField):
                scoped.append(item)
                continue
            if getattr(field, "remote_field", None) is not None and field.is_relation:
                scoped.append((item, OfficeScopedRelatedFieldListFilter))
                continue
        elif (
            isinstance(item, (tuple, list))
            and len(item) == 2
            and item[1] is admin.RelatedFieldListFilter
        ):
            scoped.append((item[0], OfficeScopedRelatedFieldListFilter))
            continue
        scoped.append(item)
    return scoped


class OfficeScopedAdminMixin:
    """Limit the admin to the staff member's office; superusers see every office.

    `office_lookup` is the path from the model to its office, e.g. "booth__office". Lists,
    forms and the choices of list filters are all scoped.
    """

    office_lookup = "office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if request.user.office_id is None:
            return queryset.none()
        return queryset.filter(**{self.office_lookup: request.user.office_id})

    def get_list_filter(self, request):
        return scoped_list_filter(self.model, super().get_list_filter(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and db_field.related_model is Office:
            kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
