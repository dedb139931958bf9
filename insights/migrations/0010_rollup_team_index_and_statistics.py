"""What a sales manager's dashboard reads by team: the team's hand-off outcomes by period, and on
SQLite the team in the open leads' stage index (PostgreSQL's carries it since 0008), so the
hygiene counts of one team are read from the index alone.

Then statistics on the columns the dashboard groups the rollups by, on PostgreSQL. The planner
otherwise multiplies the distinct values of each column (a hundred thousand groups where there
are a few thousand) and, within the default work_mem, sorts the period's rows instead of
hashing them: three times slower. SQLite has no such statistics and needs none."""

from django.db import migrations, models

STATISTICS = [
    (
        "insights_leadjourney_cells",
        "source_id, campaign_id, sourced_by_id, cycles, week",
        "insights_leadjourney",
    ),
    (
        "insights_handoffoutcome_cells",
        "assigned_to_id, team_id, grade, bucket, status, reason_id, definition_id, override",
        "insights_handoffoutcome",
    ),
]


STAGE_INDEX = "CREATE INDEX insights_lead_stage_changed ON leads_lead (stage, stage_changed_at{})"


def team_in_stage_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX insights_lead_stage_changed")
        schema_editor.execute(STAGE_INDEX.format(", team_id"))
        schema_editor.execute("ANALYZE leads_lead")


def stage_index_without_team(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX insights_lead_stage_changed")
        schema_editor.execute(STAGE_INDEX.format(""))


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns, table in STATISTICS:
        schema_editor.execute(f"CREATE STATISTICS {name} (ndistinct) ON {columns} FROM {table}")
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("insights", "0009_handoff_outcomes")]

    operations = [
        migrations.AddIndex(
            model_name="handoffoutcome",
            index=models.Index(fields=["team_id", "created_at"], name="handoffoutcome_team_period"),
        ),
        migrations.RunPython(team_in_stage_index, stage_index_without_team),
        migrations.RunPython(create, drop),
    ]
