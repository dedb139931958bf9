"""The hand-off days summed per week at the overview's keys (insights.HandoffWeek), filled from
the day rows already there, so the overview reads them at once."""

from django.db import migrations, models


def fill_weeks(apps, schema_editor):
    from insights import aggregates

    with schema_editor.connection.cursor() as cursor:
        aggregates.rebuild_weeks(cursor, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0011_daily_aggregates"),
    ]

    operations = [
        migrations.CreateModel(
            name="HandoffWeek",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("week", models.DateField(help_text="The Monday the week starts on.")),
                ("team_id", models.BigIntegerField(null=True)),
                ("status", models.CharField(max_length=20)),
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
            options={
                "indexes": [
                    models.Index(fields=["week"], name="handoffweek_period"),
                    models.Index(fields=["team_id", "week"], name="handoffweek_team_period"),
                ],
            },
        ),
        migrations.RunPython(fill_weeks, migrations.RunPython.noop),
    ]
