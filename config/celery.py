import os

from celery import Celery
from django.db import DatabaseError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("accord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How every task of Accord retries: a database or network error (the database restarting, a
# mail server refusing for a moment) is retried with backoff, five times; the message is
# acknowledged only once the task has run, so a worker that dies mid-task leaves it queued.
RETRYING = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": True,
    "max_retries": 5,
}
