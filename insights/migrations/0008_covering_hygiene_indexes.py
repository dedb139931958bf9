"""The hygiene counts from indexes alone: the recent touches by time (accepted leads with no
touch in 14 days), and on PostgreSQL the stage index of 0007 carrying the lead's id and team,
so both counts of open leads by stage are index-only scans (SQLite's indexes carry the row id
already)."""

from django.db import migrations

PLAIN = "CREATE INDEX insights_lead_stage_changed ON leads_lead (stage, stage_changed_at)"
COVERING = PLAIN + " INCLUDE (id, team_id)"


def covering(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX insights_lead_stage_changed")
        cursor.execute(COVERING)
        cursor.execute("ANALYZE leads_lead")


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX insights_lead_stage_changed")
        cursor.execute(PLAIN)


def analyze_touches(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_touch")


class Migration(migrations.Migration):
    dependencies = [("insights", "0007_hygiene_and_sla_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX insights_touch_recent ON leads_touch (happened_at, lead_id)",
            "DROP INDEX insights_touch_recent",
        ),
        migrations.RunPython(analyze_touches, migrations.RunPython.noop),
        migrations.RunPython(covering, plain),
    ]
