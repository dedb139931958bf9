from django.db import migrations, models
from django.db.models.functions import Coalesce


def date_existing(apps, schema_editor):
    """A hand-off made before the column was last changed when it was closed, decided or made."""
    Handoff = apps.get_model("leads", "Handoff")
    Handoff.objects.using(schema_editor.connection.alias).update(
        updated_at=Coalesce("closed_at", "decided_at", "created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0020_routed_events_and_accord_handoffs"),
    ]

    operations = [
        migrations.AddField(
            model_name="handoff",
            name="updated_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(date_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="handoff",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddIndex(
            model_name="handoff",
            index=models.Index(fields=["updated_at", "id"], name="handoff_updated"),
        ),
    ]
