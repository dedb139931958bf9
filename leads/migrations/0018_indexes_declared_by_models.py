"""The indexes the dashboard reads leads, hand-offs, touches, events and reminders by were made
with SQL by insights' migrations (0001, 0005, 0007, 0008, 0009, 0010), where leads/models.py and
the migration check could not see them. Their models declare them now, and this migration tells
Django so. An index that exists is left as it is, so nothing is built again; one that does not
is made here: on SQLite, a later migration that rebuilt the leads table (as SQLite alters a
table) had dropped the two indexes it did not know of."""

from django.conf import settings
from django.db import migrations, models


def create_missing(apps, schema_editor):
    for model_name in ("Lead", "Handoff", "Touch", "LeadEvent", "Reminder"):
        model = apps.get_model("leads", model_name)
        with schema_editor.connection.cursor() as cursor:
            present = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
        for index in model._meta.indexes:
            if index.name.startswith("insights_") and index.name not in present:
                schema_editor.add_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0010_rollup_team_index_and_statistics"),
        ("alignment", "0010_backfill_event_actor_names"),
        ("leads", "0017_lead_event_inherited"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="handoff",
                    index=models.Index(fields=["status", "accept_due_at"], name="insights_handoff_due"),
                ),
                migrations.AddIndex(
                    model_name="handoff",
                    index=models.Index(
                        condition=models.Q(("reason__isnull", False)),
                        fields=["lead", "reason"],
                        name="insights_handoff_reason",
                    ),
                ),
                migrations.AddIndex(
                    model_name="lead",
                    index=models.Index(fields=["updated_at"], name="insights_lead_updated"),
                ),
                migrations.AddIndex(
                    model_name="lead",
                    index=models.Index(
                        fields=["stage", "stage_changed_at"], include=("id", "team"), name="insights_lead_stage_changed"
                    ),
                ),
                migrations.AddIndex(
                    model_name="leadevent",
                    index=models.Index(fields=["lead", "created_at", "to_stage"], name="insights_leadevent_reached"),
                ),
                migrations.AddIndex(
                    model_name="reminder",
                    index=models.Index(fields=["created_at"], name="insights_reminder_created"),
                ),
                migrations.AddIndex(
                    model_name="touch",
                    index=models.Index(fields=["happened_at", "lead"], name="insights_touch_recent"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(create_missing, migrations.RunPython.noop),
    ]
