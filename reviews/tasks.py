"""Celery tasks: thin, idempotent, each calls one service. The two periodic ones are scheduled
by django-celery-beat (see migrations/0002_periodic_tasks.py) and run hourly."""

from celery import shared_task

from config.celery import RETRYING
from reviews import services
from reviews.models import ReviewMeeting


@shared_task(**RETRYING, time_limit=300, soft_time_limit=240)
def open_due_reviews() -> dict:
    """Open this week's meeting of every team whose local time is past Monday 06:00."""
    return services.review_meetings_open_due().as_dict()


@shared_task(**RETRYING, time_limit=120, soft_time_limit=100)
def remind_reps_before_reviews() -> int:
    """Remind reps whose meeting is within a day and who have items without an update."""
    return services.review_reminders_send_due()


@shared_task(**RETRYING, time_limit=120, soft_time_limit=100)
def email_review_minutes(meeting_id: int) -> int:
    meeting = ReviewMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    return services.review_minutes_email(meeting=meeting)
