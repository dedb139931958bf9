"""Before and in the meeting: reps post their updates and the manager records outcomes, only while
the meeting is open; a refused item changes nothing."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.exceptions import NotAllowed
from alignment.models import RejectionReason
from leads import services as lead_services
from leads.models import SALES_STAGES, Stage
from reviews import selectors
from reviews.exceptions import ItemsRefused
from reviews.models import REASON_DISPOSITION, Outcome, ReviewItem, ReviewMeeting
from reviews.services.common import lock_open, outcome_refusal, person_name, require_runner

# What a rep's update and the manager's recording each write (one UPDATE per item: a page holds
# 50 at most, and bulk_update's CASE expressions cost more than they save).
REP_FIELDS = ["update", "proposed_outcome", "next_step", "next_step_due", "step_done", "updated_at"]
OUTCOME_FIELDS = [
    "outcome",
    "reason",
    "reassign_to",
    "outcome_note",
    "next_step",
    "next_step_due",
    "step_done",
    "discussed_at",
    "recorded_by",
]


@dataclass(frozen=True)
class RepUpdate:
    """What a rep posts on one of their items before the meeting."""

    update: str = ""
    proposed_outcome: str = ""
    next_step: str = ""
    next_step_due: date | None = None
    step_done: bool = False


@dataclass(frozen=True)
class ItemOutcome:
    """What the manager records on an item in the meeting."""

    discussed: bool = True
    outcome: str = ""
    reason: RejectionReason | None = None
    reassign_to: Any = None
    next_step: str = ""
    next_step_due: date | None = None
    note: str = ""
    step_done: bool = False


def _clean_step(step: str, due: date | None, *, meeting: ReviewMeeting, lead) -> str | None:
    if due and not step:
        return f"{lead}: describe the next step that is due on {due:%Y-%m-%d}."
    if step and len(step) > 200:
        return f"{lead}: keep the next step under 200 characters."
    if due and due < meeting.week_start:
        return f"{lead}: the next step cannot be due before the meeting's week."
    return None


def review_items_update(
    *, meeting: ReviewMeeting, by, updates: dict[int, RepUpdate], now: datetime | None = None
) -> int:
    """A rep posts updates on their own items while the meeting is open. All or nothing: if one
    item breaks a rule, ItemsRefused names it and nothing is saved."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_open(meeting)
        items = list(meeting.items.filter(pk__in=list(updates)).select_related("lead"))
        if len(items) != len(updates) or any(item.rep_id != by.pk for item in items):
            raise NotAllowed("You can only update the leads on the agenda under your name.")
        errors = {}
        for item in items:
            change = updates[item.pk]
            error = _clean_step(change.next_step.strip(), change.next_step_due, meeting=meeting, lead=item.lead)
            if change.proposed_outcome and change.proposed_outcome not in Outcome.values:
                error = f"{item.lead}: choose one of the listed outcomes."
            if error:
                errors[item.pk] = error
        if errors:
            raise ItemsRefused(errors)
        for item in items:
            change = updates[item.pk]
            item.update = change.update.strip()
            item.proposed_outcome = change.proposed_outcome
            item.next_step = change.next_step.strip()
            item.next_step_due = change.next_step_due
            item.step_done = bool(change.step_done and item.carried_step)
            item.updated_at = now
            item.full_clean(exclude=["meeting", "lead", "rep", "reason", "reassign_to", "carried_from"])
            item.save(update_fields=REP_FIELDS)
    return len(items)


def _allowed_labels(stage: str) -> str:
    labels = [o.label for o in Outcome if outcome_refusal(stage=stage, outcome=o) is None]
    return ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else "".join(labels)


def outcome_error(item: ReviewItem, change: ItemOutcome, *, meeting: ReviewMeeting, by, reps: dict) -> str | None:
    """Every rule an outcome must pass, asked when it is recorded and again when the meeting
    closes (the lead may have changed in between): the stage rule of the lead service closing
    will call, who may act, the catalogue reason and the agreement's touches, the new owner."""
    lead = item.lead
    outcome = change.outcome
    if outcome and outcome not in Outcome.values:
        return f"{lead}: choose one of the listed outcomes."
    step_error = _clean_step(change.next_step.strip(), change.next_step_due, meeting=meeting, lead=lead)
    if step_error:
        return step_error
    if not outcome:
        return None
    label = Outcome(outcome).label
    if refusal := outcome_refusal(stage=lead.stage, outcome=outcome):
        if lead.stage not in SALES_STAGES:
            return f"{lead} is no longer worked by sales (it is {Stage(lead.stage).label}); record no outcome for it."
        stage = Stage(lead.stage).label
        return f"{lead} is in stage “{stage}”: it can be {_allowed_labels(lead.stage)}, not “{label}”. {refusal}"
    if outcome in (Outcome.PROGRESSING, Outcome.STALLED):
        return None
    if not lead_services.may_work_on(lead=lead, user=by):
        return f"{lead} belongs to another team's manager; you cannot record “{label}” for it."
    if outcome in REASON_DISPOSITION:
        wanted = REASON_DISPOSITION[outcome]
        reason = change.reason
        if reason is None:
            return f"{lead}: choose a reason from the catalogue to {label.lower()} it."
        if refusal := lead_services.reason_refusal(reason, phase=RejectionReason.Phase.AFTER_WORKING):
            return f"{lead}: {refusal}"
        if reason.disposition != wanted:
            return (
                f"{lead}: “{reason.label}” would {reason.get_disposition_display().lower()}; "
                f"choose a reason that means {RejectionReason.Disposition(wanted).label.lower()}."
            )
        if reason.code == lead_services.UNRESPONSIVE and (refusal := lead_services.unresponsive_refusal(lead)):
            return f"{lead}: {refusal}"
    if outcome == Outcome.REASSIGN:
        to = change.reassign_to
        if to is None:
            return f"{lead}: choose the rep to reassign it to."
        if to.pk not in reps:
            return f"{lead}: {person_name(to)} is not an active rep of {meeting.team}."
        if to.pk == lead.owner_id:
            return f"{lead} already belongs to {person_name(to)}."
    return None


def recorded_outcome(item: ReviewItem) -> ItemOutcome:
    """What was recorded on an item, as the manager would record it again."""
    return ItemOutcome(
        discussed=item.discussed_at is not None,
        outcome=item.outcome,
        reason=item.reason,
        reassign_to=item.reassign_to,
        next_step=item.next_step,
        next_step_due=item.next_step_due,
        note=item.outcome_note,
        step_done=item.step_done,
    )


def review_items_record(
    *, meeting: ReviewMeeting, by, outcomes: dict[int, ItemOutcome], now: datetime | None = None
) -> int:
    """The manager marks items discussed and records their outcome and next step. Nothing
    touches the lead until the meeting closes. All or nothing: an outcome that breaks a rule
    (a recycle without a catalogue reason, a won lead not yet accepted, an unresponsive lead
    without the agreed touches...) changes nothing."""
    require_runner(meeting.team, by)
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_open(meeting)
        items = list(meeting.items.filter(pk__in=list(outcomes)).select_related("lead__team"))
        if len(items) != len(outcomes):
            raise NotAllowed("Those items are not on this meeting's agenda.")
        reps = {user.pk: user for user in selectors.team_reps(team=meeting.team)}
        errors = {}
        for item in items:
            error = outcome_error(item, outcomes[item.pk], meeting=meeting, by=by, reps=reps)
            if error:
                errors[item.pk] = error
        if errors:
            raise ItemsRefused(errors)
        for item in items:
            change = outcomes[item.pk]
            item.outcome = change.outcome
            item.reason = change.reason if change.outcome in REASON_DISPOSITION else None
            item.reassign_to = change.reassign_to if change.outcome == Outcome.REASSIGN else None
            item.outcome_note = change.note.strip()
            item.next_step = change.next_step.strip()
            item.next_step_due = change.next_step_due
            item.step_done = bool(change.step_done and item.carried_step)
            if change.discussed or change.outcome:
                item.discussed_at = item.discussed_at or now
            else:
                item.discussed_at = None
            item.recorded_by = by
            item.save(update_fields=OUTCOME_FIELDS)
    return len(items)
