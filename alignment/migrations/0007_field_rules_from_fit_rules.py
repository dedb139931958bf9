"""Existing fit rules become field rules that score as before (see 0006), and existing versions
get their priority range. A migration of its own: on PostgreSQL, rows updated in the transaction
that then alters their table fail with "pending trigger events"."""

from django.db import migrations
from django.db.models import F

TESTS = {"seniority": "one_of", "industry": "one_of", "country": "one_of", "employees": "band", "is_customer": "yes_no"}


def forwards(apps, schema_editor):
    FieldRule = apps.get_model("alignment", "FieldRule")
    for rule in FieldRule.objects.all():
        rule.test = TESTS.get(rule.field, "one_of")
        rule.values = [value.strip() for value in rule.values_text.split(",") if value.strip()]
        if rule.field == "employees" and rule.maximum is not None:
            rule.maximum = rule.maximum + 1
        rule.save(update_fields=["test", "values", "maximum"])
    QualificationDefinition = apps.get_model("alignment", "QualificationDefinition")
    QualificationDefinition.objects.update(priority_high=F("grade_a_min") + F("hot_min"))
    QualificationDefinition.objects.filter(priority_high__lte=0).update(priority_high=1)


def backwards(apps, schema_editor):
    FieldRule = apps.get_model("alignment", "FieldRule")
    FieldRule.objects.exclude(field__in=list(TESTS)).delete()
    FieldRule.objects.filter(part="engagement").delete()
    for rule in FieldRule.objects.all():
        rule.values_text = ", ".join(rule.values)
        if rule.field == "employees" and rule.maximum is not None:
            rule.maximum = rule.maximum - 1
        rule.save(update_fields=["values_text", "maximum"])


class Migration(migrations.Migration):
    dependencies = [("alignment", "0006_field_rules_and_lead_properties")]

    operations = [migrations.RunPython(forwards, backwards)]
