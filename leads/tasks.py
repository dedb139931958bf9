from celery import shared_task
from django.db import DatabaseError

from leads import services
from leads.models import Handoff


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def email_handoff_assignee(handoff_id: int) -> bool:
    handoff = (
        Handoff.objects.select_related("lead__source", "assigned_to", "handed_off_by").filter(pk=handoff_id).first()
    )
    if handoff is None:
        return False
    return services.handoff_email_assignee(handoff=handoff)
