"""Kept apart from accounts.apps: Django allows one AppConfig per module to be found."""

from django.contrib.admin.apps import AdminConfig


class HelloWorkAdminConfig(AdminConfig):
    """Replaces django.contrib.admin in INSTALLED_APPS: the admin needs a second factor."""

    default_site = "accounts.admin_site.HelloWorkAdminSite"
