"""The staff form pages (move, book next, book for a caller, meeting link, counter use) drawn
the way the admin draws its own forms: one aligned fieldset, label beside the field on a wide
screen and above it on a phone, errors and help next to the field (REQ STF-1, NFR-2)."""

from django import template
from django.contrib.admin.helpers import AdminForm

register = template.Library()


@register.filter
def admin_fieldsets(form) -> AdminForm:
    return AdminForm(form, [(None, {"fields": list(form.fields)})], {})
