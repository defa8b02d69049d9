"""The notices and the access records move here from the core app, with the offices and
people they belong to (issue 20).

Their rows stay: the tables are renamed, not copied. The pgtrigger triggers (django-pgtrigger
names them after the model's app: the notices' audit trail, the records' append-only guard) are
dropped, the models are taken over in Django's state, and the triggers are installed again on
the renamed tables; `core.0007` lets the models go from core's state. The notices' trail
(`accounts_noticeevent`) already lived here and keeps its triggers.

The office columns are still the plain integers core kept (named `office` here, on their
`office_id` column); 0009 makes them foreign keys. The content types move with the models,
so the permissions already given (notices for counselors, access records for the staff a
superuser chose) and the admin's log follow them.
"""

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ["notice", "accessrecord"]
MOVED_TABLES = {f"core_{model}": f"accounts_{model}" for model in MOVED_MODELS}

DROP_PGTRIGGER_TRIGGERS = """
DO $$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT tg.tgname, c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
    WHERE c.relname = ANY (%s) AND tg.tgname LIKE 'pgtrigger_%%' AND NOT tg.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER %%I ON %%I', t.tgname, t.relname);
    EXECUTE format('DROP FUNCTION IF EXISTS %%I()', t.tgname);
  END LOOP;
END $$;
""" % ("ARRAY[%s]" % ", ".join(f"'{old}'" for old in MOVED_TABLES))


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for model in MOVED_MODELS:
        if not content_types.filter(app_label="accounts", model=model).exists():
            content_types.filter(app_label="core", model=model).update(app_label="accounts")


def return_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for model in MOVED_MODELS:
        if not content_types.filter(app_label="core", model=model).exists():
            content_types.filter(app_label="accounts", model=model).update(app_label="core")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_version_triggers_by_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The core tables as core's last migration leaves them.
        ("core", "0006_outbox_topic_and_dropped"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(DROP_PGTRIGGER_TRIGGERS),
                migrations.RunSQL(
                    [f"ALTER TABLE {old} RENAME TO {new}" for old, new in MOVED_TABLES.items()]
                    + [
                        "ALTER TABLE accounts_notice RENAME CONSTRAINT "
                        "core_notice_maintenance_window_ordered TO "
                        "accounts_notice_maintenance_window_ordered",
                        "ALTER INDEX core_access_office_idx RENAME TO accounts_access_office_idx",
                        "ALTER INDEX core_access_subject_idx RENAME TO accounts_access_subject_idx",
                    ]
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=200, verbose_name="title")),
                        ("body", models.TextField(blank=True, verbose_name="body")),
                        ("published_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="published at")),
                        ("hidden_after", models.DateTimeField(blank=True, null=True, verbose_name="hidden after")),
                        ("maintenance_starts_at", models.DateTimeField(blank=True, null=True, verbose_name="maintenance starts")),
                        ("maintenance_ends_at", models.DateTimeField(blank=True, null=True, verbose_name="maintenance ends")),
                        ("office", models.PositiveIntegerField(blank=True, db_column="office_id", db_index=True, null=True, verbose_name="office")),
                    ],
                    options={
                        "verbose_name": "notice",
                        "verbose_name_plural": "notices",
                        "ordering": ["-published_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(models.Q(("maintenance_ends_at__isnull", True), ("maintenance_starts_at__isnull", True)), ("maintenance_ends_at__gt", models.F("maintenance_starts_at")), _connector="OR"),
                                name="accounts_notice_maintenance_window_ordered",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="AccessRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time")),
                        ("office", models.IntegerField(blank=True, db_column="office_id", null=True, verbose_name="office")),
                        ("kind", models.CharField(choices=[("booking", "Booking"), ("cancellation", "Cancellation"), ("join", "Joined an online consultation"), ("admin_view", "Staff opened the person's record"), ("day_sheet", "Day sheet"), ("call_list", "Call list"), ("export", "Export")], max_length=20, verbose_name="what")),
                        ("object_repr", models.CharField(blank=True, max_length=200, verbose_name="object")),
                        ("path", models.CharField(blank=True, max_length=200, verbose_name="page")),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                        ("user_agent", models.CharField(blank=True, max_length=300, verbose_name="browser")),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="by")),
                        ("subject", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="whose data")),
                    ],
                    options={
                        "verbose_name": "access record",
                        "verbose_name_plural": "access records",
                        "ordering": ["-at", "-pk"],
                        "indexes": [
                            models.Index(fields=["office", "at"], name="accounts_access_office_idx"),
                            models.Index(fields=["subject", "at"], name="accounts_access_subject_idx"),
                        ],
                    },
                ),
                # The trail of the notices follows them; its office copy is renamed like theirs.
                migrations.AlterField(
                    model_name="noticeevent",
                    name="pgh_obj",
                    field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="events", to="accounts.notice"),
                ),
                migrations.RemoveField(model_name="noticeevent", name="office_id"),
                migrations.AddField(
                    model_name="noticeevent",
                    name="office",
                    field=models.PositiveIntegerField(blank=True, db_column="office_id", null=True, verbose_name="office"),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, return_content_types),
        pgtrigger.migrations.AddTrigger(
            model_name='accessrecord',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='2366d2b8a067ca6442c709fa57de597d6fd38087', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_7e3f1', table='accounts_accessrecord', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notice',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "accounts_noticeevent" ("body", "hidden_after", "id", "maintenance_ends_at", "maintenance_starts_at", "office_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "title") VALUES (NEW."body", NEW."hidden_after", NEW."id", NEW."maintenance_ends_at", NEW."maintenance_starts_at", NEW."office_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', NEW."id", NEW."published_at", NEW."title"); RETURN NULL;', hash='cfd65ab5bfd124107ebc32a100d4cfec7d0491f9', operation='INSERT', pgid='pgtrigger_insert_insert_1a448', table='accounts_notice', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notice',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "accounts_noticeevent" ("body", "hidden_after", "id", "maintenance_ends_at", "maintenance_starts_at", "office_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "title") VALUES (NEW."body", NEW."hidden_after", NEW."id", NEW."maintenance_ends_at", NEW."maintenance_starts_at", NEW."office_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', NEW."id", NEW."published_at", NEW."title"); RETURN NULL;', hash='bef14899ab09219db3e9be57f084df3594c6ebc0', operation='UPDATE', pgid='pgtrigger_update_update_d118e', table='accounts_notice', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='notice',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "accounts_noticeevent" ("body", "hidden_after", "id", "maintenance_ends_at", "maintenance_starts_at", "office_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "published_at", "title") VALUES (OLD."body", OLD."hidden_after", OLD."id", OLD."maintenance_ends_at", OLD."maintenance_starts_at", OLD."office_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', OLD."id", OLD."published_at", OLD."title"); RETURN NULL;', hash='fc79a3857e06762d5e0d4a0094c55898bf5a2968', operation='DELETE', pgid='pgtrigger_delete_delete_5dea2', table='accounts_notice', when='AFTER')),
        ),
    ]
