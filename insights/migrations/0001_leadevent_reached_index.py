"""An index for the dashboard's funnel: the stage changes of each lead with their times, so the
funnel reads them from the index alone instead of visiting every event row. Partial (only the
stages the funnel counts), created here because only the dashboard reads events this way."""

from django.db import migrations

STAGES = "'mql', 'handed_off', 'accepted', 'qualified', 'opportunity', 'won'"


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX insights_leadevent_reached ON leads_leadevent (lead_id, created_at, to_stage) "
            f"WHERE to_stage IN ({STAGES})",
            "DROP INDEX insights_leadevent_reached",
        )
    ]
