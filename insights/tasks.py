"""Celery tasks: thin, safe to run twice."""

from celery import shared_task
from django.db import DatabaseError

from insights import digest


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=600,
    soft_time_limit=550,
)
def send_weekly_digest() -> int:
    """Last week's digest to the leaders; a second run in the same week sends nothing."""
    return digest.digest_send()


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=1800,
    soft_time_limit=1750,
)
def refresh_lead_journeys() -> bool:
    """Bring the lead journey rollup up to date with the lead event log (safe to run twice)."""
    from insights import rollups

    return rollups.refresh()
