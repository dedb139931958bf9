"""The old comma-separated values go, now that every rule holds a list (0007), and a version's
priority range must run upwards."""

from django.db import migrations, models
from django.db.models import F, Q


class Migration(migrations.Migration):
    dependencies = [("alignment", "0007_field_rules_from_fit_rules")]

    operations = [
        migrations.RemoveField("fieldrule", "values_text"),
        migrations.AddConstraint(
            model_name="qualificationdefinition",
            constraint=models.CheckConstraint(
                condition=Q(priority_high__gt=F("priority_low")),
                name="definition_priority_range",
                violation_error_message="Priority 100 must take more points than priority 0.",
            ),
        ),
    ]
