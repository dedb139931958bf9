"""Webhook delivery: kicked after lead events commit, and every 10 seconds by the beat."""

from celery import shared_task

from config.celery import RETRYING
from webhooks import services


@shared_task(**RETRYING, time_limit=120, soft_time_limit=100)
def deliver_webhooks() -> dict[str, int]:
    """Dispatch new lead events to the subscriptions and send what is due; safe to run twice
    or at once on two workers."""
    return services.webhooks_run()
