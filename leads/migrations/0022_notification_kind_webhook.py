from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0021_handoff_updated_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("handoff", "New hand-off"),
                    ("reminder", "Reminder"),
                    ("escalation", "Escalation"),
                    ("expired", "Expired hand-off"),
                    ("reassigned", "Leads reassigned to you"),
                    ("unowned", "Leads returned to marketing"),
                    ("definition", "Qualified-lead definition"),
                    ("evaluation", "Leads re-evaluated"),
                    ("import", "Import finished"),
                    ("webhook", "Webhook deliveries"),
                ],
                max_length=20,
            ),
        ),
    ]
