from importlib import import_module

from django.db import migrations

from core import versioning

# The version triggers' functions bump by one index lookup (core/versioning.py, REQ NFR-4).
WATCHED = import_module("accounts.migrations.0005_office_availability_version").WATCHED


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_audit_trail_by_triggers")]

    operations = [versioning.replace_functions(WATCHED)]
