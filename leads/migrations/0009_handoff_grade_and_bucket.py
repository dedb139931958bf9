"""What marketing sent: the lead's grade and bucket recorded on each hand-off. Hand-offs made
before take the lead's grade and bucket of now, the best there is."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_imports_and_duplicates"),
    ]

    operations = [
        migrations.AddField(
            model_name="handoff",
            name="bucket",
            field=models.CharField(
                blank=True,
                choices=[("hot", "Hot"), ("warm", "Warm"), ("cold", "Cold"), ("unqualified", "Unqualified")],
                editable=False,
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="handoff",
            name="grade",
            field=models.CharField(
                blank=True, choices=[("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")], editable=False, max_length=1
            ),
        ),
        migrations.RunSQL(
            "UPDATE leads_handoff SET "
            "grade = (SELECT l.grade FROM leads_lead l WHERE l.id = leads_handoff.lead_id), "
            "bucket = (SELECT l.bucket FROM leads_lead l WHERE l.id = leads_handoff.lead_id)",
            migrations.RunSQL.noop,
        ),
    ]
