from django.db import migrations

# (code, label, phase, disposition)
REASONS = [
    ("duplicate", "Duplicate of another lead", "before_working", "duplicate"),
    ("bad-contact-data", "Bad contact data", "before_working", "recycle"),
    ("not-our-profile", "Not our customer profile", "before_working", "disqualify"),
    ("competitor-or-solicitation", "Competitor or solicitation", "before_working", "disqualify"),
    ("open-deal", "Already in an open deal", "before_working", "duplicate"),
    ("no-budget", "No budget", "after_working", "recycle"),
    ("no-authority", "No authority", "after_working", "recycle"),
    ("no-need", "No need", "after_working", "disqualify"),
    ("not-now", "Not now", "after_working", "recycle"),
    ("unresponsive", "Unresponsive after the agreed touches", "after_working", "recycle"),
]


def seed_reasons(apps, schema_editor):
    RejectionReason = apps.get_model("alignment", "RejectionReason")
    for position, (code, label, phase, disposition) in enumerate(REASONS, start=1):
        RejectionReason.objects.update_or_create(
            code=code,
            defaults={"label": label, "phase": phase, "disposition": disposition, "position": position},
        )


def remove_reasons(apps, schema_editor):
    apps.get_model("alignment", "RejectionReason").objects.filter(code__in=[code for code, *_ in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("alignment", "0002_role_groups")]

    operations = [migrations.RunPython(seed_reasons, remove_reasons)]
