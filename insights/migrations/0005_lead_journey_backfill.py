"""Index the leads' updated_at: each refresh of the dashboard's rollups looks up the leads
changed since the previous one. (The rollups are filled by their first refresh, after 0009
resets their state.)"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_lead_journey"), ("leads", "0008_imports_and_duplicates")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX insights_lead_updated ON leads_lead (updated_at)",
            "DROP INDEX insights_lead_updated",
        ),
    ]
