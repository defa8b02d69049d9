"""What the admin site adds to every ModelAdmin (REQ STF-2, LOG-2).

`accounts.admin_site.HelloWorkAdminSite.register()` puts `AuditedAdminMixin` in front of every
registered ModelAdmin, so no admin can forget it:

- the "History" page of an object lists its audit trail (the database records every change,
  whatever wrote it: `core.audit`);
- the links a searched changelist builds carry the search token `qt`, never the term `q`
  (LOG-2, see `core.middleware.AdminSearchMiddleware`).
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

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
