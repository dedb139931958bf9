"""Leads graded before priorities existed get the priority their version gives them: fit points
plus score placed between its "priority 0 at" and "priority 100 at" (alignment.scoring.priority_of,
written out here as the migration's own copy). Leads are grouped by their total, so each version
costs one UPDATE per distinct total, not one per lead."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Definition = apps.get_model("alignment", "QualificationDefinition")
    for definition in Definition.objects.all():
        low, high = definition.priority_low, definition.priority_high
        if high <= low:
            continue
        graded = Lead.objects.filter(
            evaluated_with=definition, fit_points__isnull=False, score__isnull=False, priority__isnull=True
        ).annotate(total=F("fit_points") + F("score"))
        for total in graded.values_list("total", flat=True).distinct().order_by():
            priority = max(0, min(100, round(100 * (total - low) / (high - low))))
            graded.filter(total=total).update(priority=priority)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_lead_properties_external_ids_outcomes"),
        ("alignment", "0008_field_rules_drop_comma_values"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
