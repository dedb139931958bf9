"""The API's housekeeping."""

from celery import shared_task

from api import services
from config.celery import RETRYING


@shared_task(**RETRYING)
def trim_api_log() -> int:
    """Once a day: request-log rows past REQUEST_LOG_DAYS and idempotent answers past a day."""
    return services.api_log_trim()
