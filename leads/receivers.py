"""Reactions to changes made elsewhere: when a person is deactivated or leaves a team, their
open leads are reassigned by a task enqueued through the outbox with the change (and by the
hourly sweep, which catches misses); when a qualified-lead definition becomes active, every lead
is re-evaluated against it by a task whose progress an EvaluationRun shows."""

from outbox.services import enqueue_task


def _enqueue_reassignment(person_id: int) -> None:
    enqueue_task(task="leads.tasks.reassign_leads_of_person", args=[person_id])


def user_saved(sender, instance, created, **kwargs) -> None:
    if not created and not instance.is_active:
        _enqueue_reassignment(instance.pk)


def membership_saved(sender, instance, created, **kwargs) -> None:
    if instance.ended_at is not None:
        _enqueue_reassignment(instance.user_id)


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


def definition_activated(sender, definition, by=None, **kwargs) -> None:
    """Every lead is re-evaluated against the version that just became active: the run and its
    task are written in the activation's transaction (a run whose task never arrives is picked
    up by the stalled-run sweep)."""
    from leads.evaluation import evaluation_run_start

    run = evaluation_run_start(definition=definition, by=by)
    enqueue_task(task="leads.tasks.reevaluate_leads", args=[run.pk], key=f"reevaluate:{run.pk}")


def demo_data_loaded(sender, **kwargs) -> str:
    """seed_demo ends with every demo lead graded against the demo's active definition (the
    generated ones were graded as they were made, before their hand-offs recorded the grades)."""
    from alignment.selectors import active_definition
    from leads.demo import ensure_demo_import
    from leads.evaluation import describe, leads_evaluate_all

    definition = active_definition()
    if definition is None:
        return ""
    summary = leads_evaluate_all(definition=definition)
    imported = ensure_demo_import()
    return f"Graded the leads against {definition}: {describe(summary)}" + (f"\n{imported}" if imported else "")


def leads_became_sales_ready(sender, lead_ids, at, **kwargs) -> None:
    """Routing hands them off, in the transaction that made them sales-ready (leads.routing)."""
    from leads.routing import leads_route_safely

    leads_route_safely(lead_ids=lead_ids, at=at)
