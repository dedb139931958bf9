from django.db import migrations

# (name, task, every N minutes)
SWEEPS = [
    ("Remind, escalate and expire overdue hand-offs", "leads.tasks.sweep_overdue_handoffs", 15),
    ("Reassign leads of departed staff", "leads.tasks.reassign_departed_staff", 60),
]


def schedule_sweeps(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SWEEPS:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every, "enabled": True})


def unschedule_sweeps(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SWEEPS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_reminders_and_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_sweeps, unschedule_sweeps)]
