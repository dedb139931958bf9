"""Reactions to changes made elsewhere: when a person is deactivated or leaves a team, their
open leads are reassigned right after the change commits (and by the hourly sweep if the
broker was down); when a qualified-lead definition becomes active, every lead is re-evaluated
against it by a task whose progress an EvaluationRun shows."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _enqueue_reassignment(person_id: int) -> None:
    from leads.tasks import reassign_leads_of_person

    try:
        reassign_leads_of_person.delay(person_id)
    except Exception:  # the deactivation is saved; the periodic sweep will do the work
        log.exception("Could not enqueue the reassignment of person %s's leads", person_id)


def user_saved(sender, instance, created, **kwargs) -> None:
    if not created and not instance.is_active:
        transaction.on_commit(lambda: _enqueue_reassignment(instance.pk))


def membership_saved(sender, instance, created, **kwargs) -> None:
    if instance.ended_at is not None:
        transaction.on_commit(lambda: _enqueue_reassignment(instance.user_id))


def definition_proposed(sender, definition, **kwargs) -> None:
    """Both leaders hear of a proposal they are asked to sign."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from alignment.roles import GROUP_NAMES, LEADERS
    from leads.models import Notification
    from leads.notifications import Draft, notify

    leaders = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[GROUP_NAMES[role] for role in LEADERS])
        .distinct()
    )
    link = reverse("admin:alignment_qualificationdefinition_change", args=[definition.pk])
    notify(
        [
            Draft(
                recipient=leader,
                kind=Notification.Kind.DEFINITION,
                message=f"Qualified-lead definition {definition} is proposed and needs your side's approval.",
                link=link,
                subject=f"Please review: qualified-lead definition {definition}",
            )
            for leader in leaders
        ]
    )


def _enqueue_reevaluation(run_id: int) -> None:
    from leads.tasks import reevaluate_leads

    try:
        reevaluate_leads.delay(run_id)
    except Exception:  # the run stays "running" at 0 done; `manage.py evaluate_leads` does the same work
        log.exception("Could not enqueue re-evaluation run %s", run_id)


def definition_activated(sender, definition, by=None, **kwargs) -> None:
    """Every lead is re-evaluated against the version that just became active."""
    from leads.evaluation import evaluation_run_start

    run = evaluation_run_start(definition=definition, by=by)
    transaction.on_commit(lambda: _enqueue_reevaluation(run.pk))


def demo_data_loaded(sender, **kwargs) -> str:
    """seed_demo ends with every demo lead graded against the demo's active definition (leads of
    an older demo database first get the company profile and activities new ones have), and the
    demo's hand-offs record those grades as sent."""
    from alignment.selectors import active_definition
    from leads.demo import backfill_profiles, ensure_demo_import, handoffs_record_grades
    from leads.evaluation import describe, leads_evaluate_all

    filled = backfill_profiles()
    definition = active_definition()
    if definition is None:
        return ""
    summary = leads_evaluate_all(definition=definition)
    handoffs_record_grades()
    imported = ensure_demo_import()
    return (
        (f"Filled in the company profile and activities of {filled:,} older demo leads.\n" if filled else "")
        + f"Graded the leads against {definition}: {describe(summary)}"
        + (f"\n{imported}" if imported else "")
    )
