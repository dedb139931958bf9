"""Indexes for the dashboard's hygiene counts and its reasons per campaign, created here (as in
0001) because only the dashboard reads the leads and hand-offs this way:

- open leads by stage and time of their last stage change (no touch in 14 days, unchanged in
  90 days): a range per stage instead of a scan of every lead;
- pending hand-offs by accept due time (overdue hand-offs);
- the hand-offs that carry a reason, per lead (rejection reasons of a period's leads).

Then fresh planner statistics for both tables: without them SQLite prefers the new stage index
where the owner index is far better (departed owners).
"""

from django.db import migrations

INDEXES = [
    ("insights_lead_stage_changed", "leads_lead (stage, stage_changed_at)"),
    ("insights_handoff_due", "leads_handoff (status, accept_due_at)"),
    ("insights_handoff_reason", "leads_handoff (lead_id, reason_id) WHERE reason_id IS NOT NULL"),
]


def analyze(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("ANALYZE leads_handoff")


class Migration(migrations.Migration):
    dependencies = [("insights", "0006_lead_journey_schedule")]

    operations = [
        *[migrations.RunSQL(f"CREATE INDEX {name} ON {table}", f"DROP INDEX {name}") for name, table in INDEXES],
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
