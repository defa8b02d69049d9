"""The database defers the mail's delivery job with the message itself (REQ NTF-2, NFR-4).

A statement that stores pending outbox messages defers one `deliver_mail` job (queue "mail",
lock "deliver_mail", as `core.tasks.deliver_mail` defers it; checked by
tests/core/test_tasks.py), once per transaction: a transaction-local setting marks it, and a
rolled-back savepoint takes both the job row and the mark back. The request no longer sends a
statement of its own for it.
"""

from django.db import migrations

FUNCTION = "core_outbox_defer_delivery"

INSTALL = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('core.outbox_delivery_deferred', true) IS DISTINCT FROM 'on'
       AND EXISTS (SELECT 1 FROM stored WHERE status = 'pending') THEN
        PERFORM procrastinate_defer_jobs_v1(ARRAY[
            ROW('mail', 'deliver_mail', 0, 'deliver_mail', NULL, '{{}}'::jsonb, NULL)
                ::procrastinate_job_to_defer_v1
        ]);
        PERFORM set_config('core.outbox_delivery_deferred', 'on', true);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER {FUNCTION} AFTER INSERT ON core_outboxmessage
    REFERENCING NEW TABLE AS stored FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();
"""

UNINSTALL = f"""
DROP TRIGGER IF EXISTS {FUNCTION} ON core_outboxmessage;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_outbox_errors_without_addresses"),
        ("procrastinate", "0038_post_batch_defer_jobs"),
    ]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]
