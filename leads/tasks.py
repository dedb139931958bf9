"""Celery tasks: each takes ids (or nothing), calls one service, and is safe to run twice."""

from celery import shared_task

from config.celery import RETRYING
from leads import evaluation, learning, notifications, routing, sweeps


@shared_task(**RETRYING, time_limit=60, soft_time_limit=50)
def post_routed_to_slack(handoff_ids: list[int]) -> int:
    return routing.routed_post_to_slack(handoff_ids=handoff_ids)


@shared_task(**RETRYING, time_limit=1800, soft_time_limit=1700)
def sweep_overdue_handoffs() -> dict[str, int]:
    return sweeps.sweep_overdue()


@shared_task(**RETRYING, time_limit=1800, soft_time_limit=1700)
def send_notification_digests() -> int:
    """Each person's notifications chosen for the daily digest, in one email (daily, by beat)."""
    return notifications.digest_send()


@shared_task(**RETRYING, time_limit=1800, soft_time_limit=1700)
def reassign_departed_staff() -> dict[str, int]:
    return sweeps.reassign_departed()


@shared_task(**RETRYING, time_limit=600, soft_time_limit=550)
def reassign_leads_of_person(person_id: int) -> dict[str, int]:
    return sweeps.reassign_departed(person_id=person_id)


@shared_task(**RETRYING, time_limit=1800, soft_time_limit=1700)
def reevaluate_leads(run_id: int) -> dict:
    return evaluation.evaluation_run_execute(run_id=run_id)


@shared_task(**RETRYING, time_limit=3600, soft_time_limit=3500)
def resume_stalled_evaluations() -> list[int]:
    """Finish re-evaluations whose task never arrived or whose worker stopped (every 5 minutes)."""
    return evaluation.evaluation_runs_resume()


@shared_task(**RETRYING, time_limit=3600, soft_time_limit=3500)
def run_import(import_id: int, dry_run: bool) -> dict:
    from leads.imports.jobs import import_execute

    return import_execute(import_id=import_id, dry_run=dry_run)


# Not retried: a suggestion that fails tells the person why, and asking again is one click.
@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def suggest_definition(by_id: int, outcome: str, since: str | None, until: str | None, request_key: str) -> int | None:
    return learning.suggestion_execute(by_id=by_id, outcome=outcome, since=since, until=until, request_key=request_key)
