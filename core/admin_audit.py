"""What the admin site adds to every ModelAdmin (REQ STF-2, LOG-1, LOG-2).

`accounts.admin_site.HelloWorkAdminSite.register()` puts `AuditedAdminMixin` in front of every
registered ModelAdmin, so no admin can forget it:

- the "History" page of an object lists its audit trail (the database records every change,
  whatever wrote it: `core.audit`);
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
from django.http import QueryDict
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .access import AccessKind, access_record
from .audit import audit_events_of
from .middleware import SEARCH_VAR, TOKEN_VAR

HISTORY_PAGE_SIZE = 100


def _with_token(query_string: str, token: str) -> str:
    """`query_string` with the search term replaced by its token."""
    params = QueryDict(query_string.lstrip("?"), mutable=True)
    if SEARCH_VAR in params:
        del params[SEARCH_VAR]
        params[TOKEN_VAR] = token
    return params.urlencode()


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

    # --- History (STF-2) ---------------------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        records = audit_events_of(obj).select_related("user")
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
