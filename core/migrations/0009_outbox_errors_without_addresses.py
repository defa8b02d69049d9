from django.db import migrations, models


def scrub_stored_errors(apps, schema_editor):
    """Errors stored before the rule lose their addresses first (REQ LOG-2)."""
    from core.outbox import without_addresses

    OutboxMessage = apps.get_model("core", "OutboxMessage")
    for message in OutboxMessage.objects.filter(last_error__contains="@").only(
        "last_error", "to", "cc", "bcc", "from_email"
    ):
        addresses = [*message.to, *message.cc, *message.bcc, message.from_email]
        OutboxMessage.objects.filter(pk=message.pk).update(
            last_error=without_addresses(message.last_error, addresses=addresses)
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0008_outbox_composed_when_delivered")]

    operations = [
        migrations.RunPython(scrub_stored_errors, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("last_error__contains", "@"), _negated=True),
                name="core_outboxmessage_error_without_address",
            ),
        ),
    ]
