"""The hand-off outcome rollup, and the reminders' creation time indexed (each refresh looks up
the reminders made since the previous one). The rollup state is reset to "nothing read yet", so
the next refresh fills both rollups from scratch (the beat task does it within minutes; until
then the dashboard reads the sources, with the same figures)."""

from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models


def reset_state(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM insights_rollupstate")
        cursor.execute(
            "INSERT INTO insights_rollupstate (name, event_watermark, reminder_watermark, recheck_from) "
            "VALUES (%s, 0, 0, %s)",
            ["lead_journey", connection.ops.adapt_datetimefield_value(datetime(1900, 1, 1, tzinfo=UTC))],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0008_covering_hygiene_indexes"),
        ("leads", "0008_imports_and_duplicates"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollupstate",
            name="reminder_watermark",
            field=models.BigIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="HandoffOutcome",
            fields=[
                (
                    "handoff",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="leads.handoff",
                    ),
                ),
                ("lead_id", models.BigIntegerField()),
                ("created_at", models.DateTimeField(help_text="When the hand-off was made.")),
                ("lead_created_at", models.DateTimeField()),
                ("source_id", models.BigIntegerField()),
                ("campaign_id", models.BigIntegerField(null=True)),
                ("sourced_by_id", models.BigIntegerField(null=True)),
                ("grade", models.CharField(blank=True, max_length=1)),
                ("bucket", models.CharField(blank=True, max_length=12)),
                ("won", models.BooleanField(help_text="The lead is won now.")),
                ("assigned_to_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField(null=True)),
                ("status", models.CharField(max_length=20)),
                ("reason_id", models.BigIntegerField(null=True)),
                ("definition_id", models.BigIntegerField(null=True)),
                ("override", models.BooleanField()),
                ("accept_due_at", models.DateTimeField()),
                ("decided_at", models.DateTimeField(null=True)),
                ("first_touch_due_at", models.DateTimeField(null=True)),
                ("first_touch_at", models.DateTimeField(null=True)),
                ("accept_secs", models.FloatField(help_text="Seconds from the hand-off to its decision.", null=True)),
                ("touch_secs", models.FloatField(help_text="Seconds from the decision to the first touch.", null=True)),
                ("reminders", models.PositiveIntegerField(help_text="Reminders the rep got for this hand-off.")),
                ("escalations", models.PositiveIntegerField(help_text="Escalations to the manager for this hand-off.")),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["created_at"],
                        include=(
                            "assigned_to_id",
                            "team_id",
                            "grade",
                            "bucket",
                            "status",
                            "reason_id",
                            "definition_id",
                            "override",
                            "won",
                            "sourced_by_id",
                            "accept_due_at",
                            "decided_at",
                            "first_touch_due_at",
                            "first_touch_at",
                            "accept_secs",
                            "touch_secs",
                            "reminders",
                            "escalations",
                        ),
                        name="handoffoutcome_period",
                    ),
                    models.Index(
                        condition=models.Q(("reason_id__isnull", False)),
                        fields=["lead_created_at", "source_id", "campaign_id", "reason_id"],
                        name="handoffoutcome_reasons",
                    ),
                ],
            },
        ),
        migrations.RunSQL(
            "CREATE INDEX insights_reminder_created ON leads_reminder (created_at)",
            "DROP INDEX insights_reminder_created",
        ),
        migrations.RunPython(reset_state, migrations.RunPython.noop),
    ]
