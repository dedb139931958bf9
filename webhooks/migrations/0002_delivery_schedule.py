from django.db import migrations

NAME = "Deliver webhooks"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    # A tick not picked up within 30 seconds is dropped: the next one does the same work.
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "webhooks.tasks.deliver_webhooks", "interval": every, "enabled": True, "expire_seconds": 30},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
