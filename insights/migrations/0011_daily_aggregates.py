"""The daily aggregates the dashboard reads for periods of whole days (insights.aggregates), and
on the hand-off outcomes the indexes their refresh and the unsettled hand-offs are read by. The
rollup state is reset to "nothing read yet", as 0009 does, so the next refresh fills the
aggregates with the rollups (until then the dashboard reads the sources)."""

from datetime import UTC, datetime

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
        ("insights", "0010_rollup_team_index_and_statistics"),
        ("leads", "0018_indexes_declared_by_models"),
    ]

    operations = [
        migrations.CreateModel(
            name="HandoffDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.BooleanField(default=False)),
                ("day", models.DateField()),
                ("assigned_to_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField(null=True)),
                ("grade", models.CharField(blank=True, max_length=1)),
                ("bucket", models.CharField(blank=True, max_length=12)),
                ("status", models.CharField(max_length=20)),
                ("reason_id", models.BigIntegerField(null=True)),
                ("definition_id", models.BigIntegerField(null=True)),
                ("override", models.BooleanField()),
                ("won", models.BooleanField()),
                ("sourced_by_id", models.BigIntegerField(help_text="Who found the lead (NULL: marketing).", null=True)),
                ("n", models.PositiveIntegerField()),
                ("accept_judged", models.PositiveIntegerField()),
                ("accept_in_time", models.PositiveIntegerField()),
                ("touch_judged", models.PositiveIntegerField()),
                ("touch_in_time", models.PositiveIntegerField()),
                ("reminders", models.PositiveIntegerField()),
                ("escalations", models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="HandoffDayBin",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.BooleanField(default=False)),
                ("day", models.DateField()),
                ("assigned_to_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField(null=True)),
                ("k", models.PositiveSmallIntegerField()),
                ("bin", models.SmallIntegerField()),
                ("count", models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="LeadDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("teams", models.TextField()),
                ("source_id", models.BigIntegerField(null=True)),
                ("campaign_id", models.BigIntegerField(null=True)),
                ("sourced_by_id", models.BigIntegerField(null=True)),
                ("cycles", models.PositiveSmallIntegerField(null=True)),
                ("leads", models.PositiveIntegerField()),
                ("mql", models.PositiveIntegerField()),
                ("handed_off", models.PositiveIntegerField()),
                ("accepted", models.PositiveIntegerField()),
                ("qualified", models.PositiveIntegerField()),
                ("won", models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="LeadDayBin",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.BooleanField(default=False)),
                ("day", models.DateField()),
                ("teams", models.TextField()),
                ("source_id", models.BigIntegerField(null=True)),
                ("campaign_id", models.BigIntegerField(null=True)),
                ("step", models.PositiveSmallIntegerField()),
                ("bin", models.SmallIntegerField()),
                ("count", models.PositiveIntegerField()),
            ],
        ),
        migrations.AddIndex(
            model_name="handoffoutcome",
            index=models.Index(fields=["lead_created_at", "team_id", "lead_id"], name="handoffoutcome_lead_teams"),
        ),
        migrations.AddIndex(
            model_name="handoffoutcome",
            index=models.Index(
                condition=models.Q(
                    ("status", "pending"),
                    models.Q(
                        ("first_touch_at__isnull", True), ("first_touch_due_at__isnull", False), ("status", "accepted")
                    ),
                    _connector="OR",
                ),
                fields=[
                    "created_at",
                    "team_id",
                    "assigned_to_id",
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
                    "reminders",
                    "escalations",
                ],
                name="handoffoutcome_unsettled",
            ),
        ),
        migrations.AddIndex(
            model_name="handoffday",
            index=models.Index(fields=["month", "day"], name="handoffday_period"),
        ),
        migrations.AddIndex(
            model_name="handoffday",
            index=models.Index(fields=["team_id", "month", "day"], name="handoffday_team_period"),
        ),
        migrations.AddIndex(
            model_name="handoffdaybin",
            index=models.Index(fields=["month", "day"], name="handoffdaybin_period"),
        ),
        migrations.AddIndex(
            model_name="handoffdaybin",
            index=models.Index(fields=["team_id", "month", "day"], name="handoffdaybin_team_period"),
        ),
        migrations.AddIndex(
            model_name="leadday",
            index=models.Index(fields=["teams", "day"], name="leadday_period"),
        ),
        migrations.AddIndex(
            model_name="leaddaybin",
            index=models.Index(fields=["teams", "month", "day"], name="leaddaybin_period"),
        ),
        migrations.RunPython(reset_state, migrations.RunPython.noop),
    ]
