"""Fill the lead journey rollup for the leads that exist (in batches of lead ids), and index
the leads' updated_at: each refresh looks up the leads changed since the previous one."""

from django.db import migrations


def backfill(apps, schema_editor):
    from insights.rollups import rebuild

    rebuild(schema_editor.connection)


def empty(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM insights_leadjourney")
        cursor.execute("DELETE FROM insights_rollupstate")


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_lead_journey"), ("leads", "0008_imports_and_duplicates")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX insights_lead_updated ON leads_lead (updated_at)",
            "DROP INDEX insights_lead_updated",
        ),
        migrations.RunPython(backfill, empty),
    ]
