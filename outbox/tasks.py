"""The outbox's periodic replay (every minute, django-celery-beat)."""

from celery import shared_task

from config.celery import RETRYING
from outbox import services


@shared_task(
    **RETRYING,
    time_limit=300,
    soft_time_limit=280,
)
def relay_unsent() -> dict[str, int]:
    """Send what is still unsent (the broker or mail server was down); safe to run twice."""
    return services.relay_due()
