from django.db import migrations

# (name, task, crontab minute). One UTC schedule serves every team: both tasks run hourly and
# decide per team by its own time zone (open once local time is past Monday 06:00; remind
# reps in the 24 hours before their meeting), which a single cron line per time zone could not
# do without one schedule per team.
TASKS = [
    ("Open this week's lead reviews", "reviews.tasks.open_due_reviews", "5"),
    ("Remind reps to post review updates", "reviews.tasks.remind_reps_before_reviews", "35"),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute in TASKS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[t[0] for t in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
