"""Statistics on the columns the dashboard groups the rollups by, on PostgreSQL. The planner
otherwise multiplies the distinct values of each column (a hundred thousand groups where there
are a few thousand) and, within the default work_mem, sorts the period's rows instead of
hashing them: three times slower. SQLite has no such statistics and needs none."""

from django.db import migrations

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

    operations = [migrations.RunPython(create, drop)]
