"""Celery tasks: thin, safe to run twice."""

from celery import shared_task

from config.celery import RETRYING
from insights import digest


@shared_task(
    **RETRYING,
    time_limit=600,
    soft_time_limit=550,
)
def send_weekly_digest() -> int:
    """Last week's digest to the leaders; a second run in the same week sends nothing."""
    return digest.digest_send()


@shared_task(
    **RETRYING,
    time_limit=1800,
    soft_time_limit=1750,
)
def refresh_lead_journeys() -> bool:
    """Bring the lead journey rollup up to date with the lead event log (safe to run twice)."""
    from insights import rollups

    return rollups.refresh()
