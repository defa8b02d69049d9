"""What the admin site adds to every ModelAdmin (REQ STF-2, LOG-1, LOG-2).

`accounts.admin_site.HelloWorkAdminSite.register()` puts `AuditedAdminMixin` in front of every
registered ModelAdmin, so no admin can forget it:

- every form save (add, change, inline rows) and deletion writes an audit record in the
  admin's transaction, with before → after of the changed fields (secrets left out);
- an action that changed rows without going through an audited service (those record
  themselves) writes one record per selected object;
- the "History" page of an object lists its audit records;
- a change view that shows one person's data (the user model, or a model with a `user`
  foreign key to it) writes an access record (LOG-1);
- the links a searched changelist builds carry the search token `qt`, never the term `q`
  (LOG-2, see `core.middleware.AdminSearchMiddleware`).
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import router, transaction
from django.http import HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .access import AccessKind, access_record
from .audit import (
    AuditRecord,
    _jsonable,
    audit_record,
    changes_between,
    current_context,
    field_values,
    is_secret_field,
)
from .middleware import SEARCH_VAR, TOKEN_VAR

HISTORY_PAGE_SIZE = 100
ACTION_RECORD_LIMIT = 1000
FORMSET_FIELDS = frozenset({"id", "DELETE", "ORDER"})


def _with_token(query_string: str, token: str) -> str:
    """`query_string` with the search term replaced by its token."""
    params = QueryDict(query_string.lstrip("?"), mutable=True)
    if SEARCH_VAR in params:
        del params[SEARCH_VAR]
        params[TOKEN_VAR] = token
    return params.urlencode()


def form_changes(form, *, add: bool) -> dict:
    """{field: [before, after]} from an admin form: its initial values against the cleaned
    ones, for the fields that changed (all filled-in fields of a new object)."""
    cleaned = getattr(form, "cleaned_data", {}) or {}
    names = (
        [n for n in cleaned if cleaned.get(n) not in (None, "", [], ())]
        if add
        else (form.changed_data)
    )
    changes = {}
    for name in names:
        if is_secret_field(name) or name not in cleaned or name in FORMSET_FIELDS:
            continue
        before = None if add else form.initial.get(name)
        if hasattr(before, "all") and callable(before.all):
            before = list(before.all())
        after = cleaned.get(name)
        pair = [_jsonable(before), _jsonable(after)]
        if pair[0] != pair[1]:
            changes[name] = pair
    return changes


def person_subject(model, obj):
    """The person whose data `obj` shows: the user itself, or its `user`; else None."""
    user_model = get_user_model()
    if isinstance(obj, user_model):
        return obj
    try:
        field = model._meta.get_field("user")
    except FieldDoesNotExist:
        return None
    if getattr(field, "related_model", None) is user_model:
        return getattr(obj, "user", None)
    return None


class AuditedAdminMixin:
    """See the module docstring."""

    object_history_template = "admin/core/audit_history.html"

    # --- Changes (STF-2) --------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = form_changes(form, add=not change)
        written = _written()
        super().save_model(request, obj, form, change)
        if (change and not changes) or _written() != written:
            return  # nothing changed, or a service the admin called recorded it
        audit_record(obj=obj, action="update" if change else "create", changes=changes)

    def save_formset(self, request, form, formset, change):
        edits = []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                continue
            if formset.can_delete and formset._should_delete_form(inline_form):
                continue
            edits.append((inline_form, inline_form.instance.pk is None))
        deleted = [
            (type(f.instance), f.instance.pk, str(f.instance), f.instance)
            for f in getattr(formset, "deleted_forms", [])
            if f.instance.pk is not None
        ]
        super().save_formset(request, form, formset, change)
        for inline_form, added in edits:
            changes = form_changes(inline_form, add=added)
            if inline_form.instance.pk is not None and (added or changes):
                audit_record(
                    obj=inline_form.instance,
                    action="create" if added else "update",
                    changes=changes,
                )
        for model, pk, text, instance in deleted:
            audit_record(
                obj=instance,
                model=model,
                object_id=pk,
                object_repr=text,
                action="delete",
                changes=changes_between(field_values(instance), {}),
            )

    def delete_model(self, request, obj):
        pk, text = obj.pk, str(obj)
        before = field_values(obj)
        written = _written()
        super().delete_model(request, obj)
        if _written() != written:
            return
        audit_record(
            obj=obj,
            object_id=pk,
            object_repr=text,
            action="delete",
            changes=changes_between(before, {}),
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            doomed = [(obj.pk, str(obj), field_values(obj), obj) for obj in queryset]
            super().delete_queryset(request, queryset)
            for pk, text, before, obj in doomed:
                audit_record(
                    obj=obj,
                    object_id=pk,
                    object_repr=text,
                    action="delete",
                    changes=changes_between(before, {}),
                )

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (_audited_action(func, name), name, description)
            for name, (func, name, description) in actions.items()
        }

    # --- History (STF-2) ---------------------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        records = AuditRecord.objects.for_object(obj).select_related("actor")
        page = Paginator(records, HISTORY_PAGE_SIZE).get_page(request.GET.get("p", 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %s") % obj,
            "subtitle": None,
            "records": page,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    # --- Access records (LOG-1) --------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            obj = getattr(response, "context_data", {}).get("original")
            subject = person_subject(self.model, obj) if obj is not None else None
            if subject is not None:
                access_record(kind=AccessKind.ADMIN_VIEW, subject=subject, obj=obj, request=request)
        return response

    # --- Searches that stay out of URLs (LOG-2) ---------------------------------------------

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        token = getattr(request, "admin_search_token", None)
        if not token:
            return changelist

        class TokenChangeList(changelist):
            def get_query_string(self, new_params=None, remove=None):
                query = super().get_query_string(new_params, remove)
                return "?" + _with_token(query, token)

        return TokenChangeList

    def get_preserved_filters(self, request):
        preserved = super().get_preserved_filters(request)
        token = getattr(request, "admin_search_token", None)
        if not preserved or not token:
            return preserved
        params = QueryDict(preserved, mutable=True)
        params["_changelist_filters"] = _with_token(params.get("_changelist_filters", ""), token)
        return params.urlencode()


def _written() -> int:
    context = current_context()
    return context.written if context is not None else 0


def _audited_action(func, name: str):
    """Run an admin action in one transaction; if it changed rows without an audited service
    (those write their own records), write one record per selected object naming it."""
    if name == "delete_selected":
        return func  # delete_queryset records each deletion

    def action(modeladmin, request, queryset):
        context = current_context()
        before = context.written if context is not None else 0
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            pks = list(queryset.values_list("pk", flat=True)[:ACTION_RECORD_LIMIT])
            response = func(modeladmin, request, queryset)
            done = response is None or isinstance(response, HttpResponseRedirect)
            if done and context is not None and context.written == before:
                for obj in modeladmin.model._default_manager.filter(pk__in=pks):
                    audit_record(obj=obj, action=f"action:{name}"[:60])
        return response

    action.__name__ = getattr(func, "__name__", name)
    for attribute in ("allowed_permissions", "short_description"):
        if hasattr(func, attribute):
            setattr(action, attribute, getattr(func, attribute))
    return action
