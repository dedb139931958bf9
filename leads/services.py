"""Every write to leads, hand-offs and touches. Each change and its LeadEvent are saved in one
transaction; state changes are guarded by ALLOWED_TRANSITIONS and by conditional updates, so two
people acting at the same moment cannot both win."""

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from alignment.actors import actor_name
from alignment.exceptions import NotAllowed
from alignment.models import ACTIVITY_KINDS, Membership, RejectionReason, Team
from alignment.roles import Role, has_role, is_marketing
from alignment.selectors import active_definition
from leads import selectors, sla
from leads.evaluation import explain, lead_evaluate
from leads.exceptions import HandoffConflict, InvalidTransition, LeadError
from leads.imports.cleaning import normalize_phone
from leads.matching import company_domain_of, normalize_email
from leads.models import (
    ALLOWED_TRANSITIONS,
    MARKETING_STAGES,
    SALES_STAGES,
    WORKING_STAGES,
    Activity,
    Campaign,
    Handoff,
    Lead,
    LeadEvent,
    Notification,
    NotificationPreference,
    Source,
    Stage,
    Touch,
)
from leads.notifications import Draft, names_preview, notify
from leads.signals import leads_reassigned
from outbox.services import enqueue_task

# Fields a person may enter or edit directly; stage, owner and counters change only through
# the workflow below.
LEAD_INPUT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "is_customer",
    "industry",
    "employees",
    "source",
    "campaign",
)


def lead_event_record(
    *,
    lead: Lead,
    kind: str,
    actor=None,
    from_stage: str = "",
    to_stage: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=actor,
        actor_name=actor_name(actor),
        from_stage=from_stage,
        to_stage=to_stage,
        details=details or {},
        created_at=at or timezone.now(),
    )


def stages_into(to_stage: str) -> frozenset[str]:
    """The stages the transition map lets a lead leave for ``to_stage``."""
    return frozenset(stage for stage, targets in ALLOWED_TRANSITIONS.items() if to_stage in targets)


# What lead_advance moves a worked lead to.
ADVANCE_TO = frozenset({Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON, Stage.LOST})
# The stages a lead may be given up from with an after-working reason.
GIVE_UP_FROM = frozenset({Stage.ACCEPTED, Stage.QUALIFIED})


def advance_refusal(*, stage: str, to_stage: str) -> str | None:
    """Why lead_advance would refuse to move a lead in ``stage`` to ``to_stage``, or None when
    it would not. Asked before acting (the review meeting offers only what passes)."""
    if stage not in WORKING_STAGES:
        return f"A lead in stage “{Stage(stage).label}” is not being worked by sales."
    if to_stage not in ALLOWED_TRANSITIONS[stage]:
        return f"A lead in stage “{Stage(stage).label}” cannot move to “{Stage(to_stage).label}”."
    return None


def give_up_refusal(*, stage: str, disposition: str | None = None) -> str | None:
    """Why lead_give_up would refuse a lead in ``stage`` (and, given, a reason with that
    disposition), or None when it would not."""
    if stage not in GIVE_UP_FROM:
        return f"A lead in stage “{Stage(stage).label}” cannot be given up; only accepted or qualified leads can."
    if disposition is not None and _STAGE_FOR_DISPOSITION[disposition] not in ALLOWED_TRANSITIONS[stage]:
        return f"A lead in stage “{Stage(stage).label}” cannot move to “{_STAGE_FOR_DISPOSITION[disposition].label}”."
    return None


def reassign_refusal(*, stage: str) -> str | None:
    """Why lead_reassign would refuse a lead in ``stage``, or None when it would not."""
    if stage not in SALES_STAGES:
        return f"A lead in stage “{Stage(stage).label}” has no sales owner to change."
    return None


def leads_transition(
    *,
    leads: QuerySet[Lead],
    to_stage: str,
    kind: str = LeadEvent.Kind.STAGE_CHANGED,
    details: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    at: datetime,
) -> list[int]:
    """Move many leads to ``to_stage`` at once, as Accord (no person): only those whose stage the
    transition map lets move there, in one UPDATE (with ``fields`` set alongside) and one insert
    of their events. Call inside a transaction; returns the ids of the leads moved."""
    movable = leads.filter(stage__in=stages_into(to_stage))
    stages = dict(movable.values_list("pk", "stage"))
    if not stages:
        return []
    Lead.objects.filter(pk__in=list(stages)).update(
        stage=to_stage, stage_changed_at=at, updated_at=at, **(fields or {})
    )
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=lead_id,
                kind=kind,
                created_at=at,
                from_stage=from_stage,
                to_stage=to_stage,
                details=details or {},
            )
            for lead_id, from_stage in stages.items()
        ],
        batch_size=1000,
    )
    return list(stages)


def lead_transition(
    *,
    lead: Lead,
    to_stage: str,
    by,
    kind: str = LeadEvent.Kind.STAGE_CHANGED,
    details: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
    at: datetime | None = None,
) -> Lead:
    """Move a lead to another stage if the map allows it, and log the move. Call inside a
    transaction with the lead row locked; `extra_fields` are saved alongside the stage."""
    if to_stage not in ALLOWED_TRANSITIONS[lead.stage]:
        raise InvalidTransition(
            f"A lead in stage “{Stage(lead.stage).label}” cannot move to “{Stage(to_stage).label}”."
        )
    at = at or timezone.now()
    from_stage = lead.stage
    lead.stage = to_stage
    lead.stage_changed_at = at
    lead.save(update_fields=["stage", "stage_changed_at", "updated_at", *extra_fields])
    lead_event_record(lead=lead, kind=kind, actor=by, from_stage=from_stage, to_stage=to_stage, details=details, at=at)
    return lead


def _apply_normalized_keys(lead: Lead) -> None:
    lead.email = lead.email.strip()
    lead.email_normalized = normalize_email(lead.email)
    lead.company_domain = company_domain_of(lead.email)
    # A valid phone is kept in E.164, as imports store it, so an import can match it.
    # An invalid one is kept as typed: no rule requires a phone to be valid when entered by hand.
    lead.phone = lead.phone.strip()
    if lead.phone:
        with contextlib.suppress(ValueError):
            lead.phone = normalize_phone(lead.phone, settings.ACCORD_PHONE_REGION)


# Why a lead without an email or a phone stays with marketing: it can be graded and learned from,
# but nobody in sales could reach it.
UNREACHABLE = "This lead has no email or phone, so sales cannot reach it. Add one before handing it off."


def identity_problem(*, email: str, phone: str, has_external_id: bool = False) -> str:
    """Why a lead cannot be told apart, or "" when it can: it needs an email, a phone or an id
    from the system it came from."""
    if email.strip() or phone.strip() or has_external_id:
        return ""
    return "A lead needs an email or a phone (or an id from the system it came from)."


def lead_create(
    *,
    by,
    source: Source,
    last_name: str = "",
    first_name: str = "",
    email: str = "",
    phone: str = "",
    title: str = "",
    company: str = "",
    country: str = "",
    is_customer: bool = False,
    industry: str = "",
    employees: int | None = None,
    campaign: Campaign | None = None,
    at: datetime | None = None,
) -> Lead:
    """A new lead in stage "new", graded against the active definition. Names are optional; a
    lead entered by hand needs an email or a phone to be told apart and reached."""
    problem = identity_problem(email=email, phone=phone)
    if problem:
        raise LeadError(problem)
    at = at or timezone.now()
    lead = Lead(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        title=title,
        company=company,
        country=country,
        is_customer=is_customer,
        industry=industry.strip(),
        employees=employees,
        source=source,
        campaign=campaign,
        stage=Stage.NEW,
        stage_changed_at=at,
        created_at=at,
    )
    _apply_normalized_keys(lead)
    lead.full_clean()
    with transaction.atomic():
        lead.save()
        lead_event_record(lead=lead, kind=LeadEvent.Kind.CREATED, actor=by, to_stage=Stage.NEW, at=at)
        lead_evaluate(lead=lead)
    return lead


def lead_update(*, lead: Lead, by, fields: dict[str, Any]) -> Lead:
    """Change a lead's own data (never its stage or owner), log what changed and grade it anew."""
    unknown = set(fields) - set(LEAD_INPUT_FIELDS)
    if unknown:
        raise LeadError(f"These fields cannot be edited directly: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        changes = {}
        for name, value in fields.items():
            old = getattr(current, name)
            if old != value:
                changes[name] = [str(old) if old is not None else "", str(value) if value is not None else ""]
                setattr(current, name, value)
        if not changes:
            return current
        _apply_normalized_keys(current)
        current.full_clean()
        current.save()
        lead_event_record(lead=current, kind=LeadEvent.Kind.UPDATED, actor=by, details={"changes": changes})
        lead_evaluate(lead=current)
    return current


def _route(*, rep, team: Team | None, now: datetime):
    """Pick who receives the lead: the named rep, or the least-loaded active rep of the team.
    Returns (rep, team)."""
    if rep is not None:
        if not rep.is_active:
            raise LeadError(f"{rep.get_full_name() or rep.username} is deactivated and cannot receive leads.")
        if not has_role(rep, Role.SALES_REP):
            raise LeadError(f"{rep.get_full_name() or rep.username} is not a sales rep.")
        team = selectors.current_team_of(user=rep)
        if team is not None:
            Membership.objects.filter(team=team, user=rep, ended_at__isnull=True).update(last_assigned_at=now)
        return rep, team
    # Lock the team's memberships so two hand-offs at once take turns (PostgreSQL; SQLite
    # serialises writers anyway).
    candidate = selectors.routing_candidates(team=team).select_for_update(of=("self",)).select_related("user").first()
    if candidate is None:
        raise LeadError(f"Team {team} has no active sales rep to receive the lead.")
    Membership.objects.filter(pk=candidate.pk).update(last_assigned_at=now)
    return candidate.user, team


def handoff_create(
    *,
    lead: Lead,
    by,
    rep=None,
    team: Team | None = None,
    note: str = "",
    now: datetime | None = None,
    override: bool = False,
    override_reason: str = "",
) -> Handoff:
    """Marketing hands a lead to a named rep, or to a team (routed to its least-loaded rep). The
    hand-off records the definition version in force and the lead's grade and bucket under it;
    ``override`` marks a lead handed off although it is not sales-ready under it, and needs a
    reason."""
    if not (by.is_superuser or is_marketing(by)):
        raise NotAllowed("Only marketing can hand leads to sales.")
    if (rep is None) == (team is None):
        raise LeadError("Choose either a rep or a team to receive the lead.")
    override_reason = override_reason.strip()
    if override and not override_reason:
        raise LeadError("Explain why this lead goes to sales although it is not sales-ready.")
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.stage not in MARKETING_STAGES:
            open_handoff = lead.handoffs.filter(status=Handoff.Status.PENDING).first()
            if open_handoff is not None:
                raise HandoffConflict(f"This lead already has an open hand-off to {open_handoff.assigned_to}.")
            raise InvalidTransition(
                f"A lead in stage “{Stage(lead.stage).label}” cannot be handed off; only leads marketing holds can."
            )
        if not lead.is_reachable:
            raise LeadError(UNREACHABLE)
        definition = active_definition()
        readiness = explain(lead=lead, definition=definition) if definition else None
        if readiness is not None and not readiness.sales_ready and not override:
            raise LeadError(
                f"This lead is not sales-ready under v{definition.version}: {readiness.why()} "
                "To hand it off anyway, tick the override and say why."
            )
        rep, team = _route(rep=rep, team=team, now=now)
        handoff = Handoff(
            lead=lead,
            handed_off_by=by,
            assigned_to=rep,
            team=team,
            note=note,
            created_at=now,
            accept_due_at=sla.accept_due(start=now, team=team),
            definition=definition,
            grade=readiness.grade if readiness is not None else lead.grade,
            bucket=readiness.bucket if readiness is not None else lead.bucket,
            # An override is recorded only where one was needed.
            override=bool(override and readiness is not None and not readiness.sales_ready),
            override_reason=override_reason if override and readiness is not None and not readiness.sales_ready else "",
        )
        try:
            with transaction.atomic():
                handoff.save()
        except IntegrityError:
            raise HandoffConflict("This lead already has an open hand-off.") from None
        lead.owner = rep
        lead.team = team
        notify([_handoff_draft(handoff=handoff, lead=lead, rep=rep, by=by)])
        lead_transition(
            lead=lead,
            to_stage=Stage.HANDED_OFF,
            by=by,
            kind=LeadEvent.Kind.HANDED_OFF,
            details={
                "handoff": handoff.pk,
                "assigned_to": rep.username,
                # The name as it was, for the history (alignment.actors), as actor_name is kept.
                "assigned_to_name": actor_name(rep),
                "team": team.name if team else "",
                "note": note,
            },
            extra_fields=("owner", "team"),
            at=now,
        )
    return handoff


def handoff_create_many(*, leads, by, team: Team, note: str = "") -> tuple[list[Handoff], dict[Lead, str]]:
    """Hand several leads to a team, each routed and saved on its own, so one refusal does not
    undo the others. Returns the hand-offs made and, per refused lead, why."""
    made, refused = [], {}
    for lead in leads:
        try:
            made.append(handoff_create(lead=lead, by=by, team=team, note=note))
        except LeadError as error:
            refused[lead] = str(error)
    return made, refused


@dataclass(frozen=True)
class RoutedLead:
    """A lead routing gives to a rep (leads.routing), as read in its batch."""

    lead_id: int
    name: str
    grade: str
    bucket: str
    rep_id: int
    membership_id: int
    team: Team
    rule: str


def handoffs_create_by_accord(*, routed: list[RoutedLead], definition_id: int | None, now: datetime) -> list[Handoff]:
    """Accord hands leads off, with no person as ``by``, on a routing rule's word: the same
    effects as :func:`handoff_create` (a pending hand-off with its accept time in the team's
    business hours, the lead handed off to the rep, a HANDED_OFF event, the rep told in the app
    and by email, the rep's turn in the round robin), in bulk: one UPDATE per (rep, team), so a
    batch costs what its reps cost, not its leads. The caller (leads.routing) has locked the
    leads and checked that each is sales-ready, reachable, held by marketing and without an
    open hand-off. Manual hand-offs stay with :func:`handoff_create`, which only marketing may
    call. Teams with a Slack webhook get a post after commit."""
    if not routed:
        return []
    within = sla.terms().accept_within_hours
    teams = {item.team.pk: item.team for item in routed}
    due = {team_id: sla.accept_due(start=now, team=team, within=within) for team_id, team in teams.items()}
    handoffs = Handoff.objects.bulk_create(
        [
            Handoff(
                lead_id=item.lead_id,
                handed_off_by=None,
                assigned_to_id=item.rep_id,
                team=item.team,
                created_at=now,
                accept_due_at=due[item.team.pk],
                definition_id=definition_id,
                grade=item.grade,
                bucket=item.bucket,
            )
            for item in routed
        ]
    )
    groups: dict[tuple[int, int], list[int]] = {}
    for item in routed:
        groups.setdefault((item.rep_id, item.team.pk), []).append(item.lead_id)
    movable = stages_into(Stage.HANDED_OFF)
    stages = dict(Lead.objects.filter(pk__in=[item.lead_id for item in routed]).values_list("pk", "stage"))
    for (rep_id, team_id), ids in groups.items():
        Lead.objects.filter(pk__in=ids, stage__in=movable).update(
            owner_id=rep_id, team_id=team_id, stage=Stage.HANDED_OFF, stage_changed_at=now, updated_at=now
        )
    people = get_user_model().objects.in_bulk({item.rep_id for item in routed})
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=item.lead_id,
                kind=LeadEvent.Kind.HANDED_OFF,
                created_at=now,
                from_stage=stages[item.lead_id],
                to_stage=Stage.HANDED_OFF,
                details={
                    "handoff": handoff.pk,
                    "assigned_to": people[item.rep_id].username,
                    "assigned_to_name": actor_name(people[item.rep_id]),
                    "team": item.team.name,
                    "note": "",
                    "rule": item.rule,
                },
            )
            for item, handoff in zip(routed, handoffs, strict=True)
        ],
        batch_size=1000,
    )
    Membership.objects.filter(pk__in={item.membership_id for item in routed}).update(last_assigned_at=now)
    by_rep: dict[int, list[RoutedLead]] = {}
    for item in routed:
        by_rep.setdefault(item.rep_id, []).append(item)
    drafts = []
    for rep_id, items in by_rep.items():
        by_time = f"{timezone.localtime(due[items[0].team.pk]):%b %d, %H:%M}"
        if len(items) == 1:
            message = (
                f"New lead for you: {items[0].name} (routing rule “{items[0].rule}”). Accept or reject it by {by_time}."
            )
            subject = f"New lead for you: {items[0].name}"
        else:
            message = (
                f"{len(items)} new leads for you: {names_preview([item.name for item in items])}."
                f" Accept or reject each by {by_time}."
            )
            subject = f"{len(items)} new leads for you"
        drafts.append(
            Draft(
                recipient=people[rep_id],
                kind=Notification.Kind.HANDOFF,
                message=message,
                link=reverse("inbox"),
                subject=subject,
            )
        )
    notify(drafts)
    for team_id in {item.team.pk for item in routed if item.team.slack_webhook_url}:
        ids = sorted(handoff.pk for item, handoff in zip(routed, handoffs, strict=True) if item.team.pk == team_id)
        enqueue_task(task="leads.tasks.post_routed_to_slack", args=[ids], key=f"slack:handoffs:{ids[0]}", now=now)
    return handoffs


def leads_record_routed(*, decisions: list[tuple[int, dict[str, Any]]], at: datetime) -> None:
    """One ROUTED event per routing decision, (lead id, details): the rule that matched, its
    team and whether it hands off by itself, and the rep, or ``rule`` None when none matched."""
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead_id=lead_id, kind=LeadEvent.Kind.ROUTED, details=details, created_at=at)
            for lead_id, details in decisions
        ],
        batch_size=1000,
    )


def _handoff_draft(*, handoff: Handoff, lead: Lead, rep, by) -> Draft:
    """The rep's notice of a lead handed to them by a person; emailed with the details marketing
    gave, when the rep hears of hand-offs by email."""
    due = timezone.localtime(handoff.accept_due_at)
    return Draft(
        recipient=rep,
        kind=Notification.Kind.HANDOFF,
        message=f"New lead for you: {lead}. Accept or reject it by {due:%b %d, %H:%M}.",
        link=reverse("inbox"),
        subject=f"New lead for you: {lead}",
        body=(
            f"{_person_name(by)} handed you {lead} ({lead.source}).\n"
            f"Please accept or reject it by {due:%Y-%m-%d %H:%M %Z}.\n"
            + (f"\nNote from marketing: {handoff.note}\n" if handoff.note else "")
        ),
    )


def _require_assignee(handoff: Handoff, by) -> None:
    if handoff.assigned_to_id != by.pk:
        raise NotAllowed("Only the rep this lead was handed to can decide on it.")


def _claim_decision(*, handoff: Handoff, expected: str, **changes: Any) -> Handoff:
    """Conditional update: exactly one of two simultaneous decisions succeeds."""
    claimed = Handoff.objects.filter(pk=handoff.pk, status=expected).update(**changes)
    if claimed != 1:
        raise HandoffConflict("This hand-off has already been decided; nothing was changed.")
    handoff.refresh_from_db()
    return handoff


def handoff_accept(*, handoff: Handoff, by, now: datetime | None = None) -> Handoff:
    _require_assignee(handoff, by)
    now = now or timezone.now()
    with transaction.atomic():
        handoff = _claim_decision(
            handoff=handoff,
            expected=Handoff.Status.PENDING,
            status=Handoff.Status.ACCEPTED,
            decided_at=now,
            decided_by=by,
            first_touch_due_at=sla.first_touch_due(start=now, team=handoff.team),
        )
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        lead_transition(
            lead=lead,
            to_stage=Stage.ACCEPTED,
            by=by,
            kind=LeadEvent.Kind.ACCEPTED,
            details={"handoff": handoff.pk},
            at=now,
        )
        _tell_who_handed_off(
            handoff=handoff, by=by, kind=Notification.Kind.HANDOFF_ACCEPTED, told=f"accepted {lead}.", lead=lead
        )
    return handoff


# What becomes of a lead given back with a reason, as marketing is told.
_NEXT_FOR_DISPOSITION = {
    RejectionReason.Disposition.RECYCLE: "It is back in nurture with marketing.",
    RejectionReason.Disposition.DISQUALIFY: "It is disqualified.",
    RejectionReason.Disposition.DUPLICATE: "It is disqualified as a suspected duplicate; merge it with the original.",
}


def _tell_who_handed_off(*, handoff: Handoff | None, by, kind: str, told: str, lead: Lead) -> None:
    """Tell the marketer who handed the lead off what sales did with it ("Ravi Shah accepted …").
    A hand-off Accord routed by itself (no one handed it off) tells nobody: marketing follows
    those on the dashboard and through the webhooks."""
    marketer = handoff.handed_off_by if handoff is not None else None
    if marketer is None or marketer == by or not marketer.is_active:
        return
    who = _person_name(by) if by is not None else "Accord"
    notify(
        [
            Draft(
                recipient=marketer,
                kind=kind,
                message=f"{who} {told}",
                link=reverse("lead_detail", args=[lead.pk]),
                subject=f"{who} {told}"[:150],
            )
        ]
    )


def handoffs_accept(
    *, handoffs, by, now: datetime | None = None, batch_size: int = 50
) -> tuple[list[Handoff], dict[Lead, str]]:
    """Accept several hand-offs at once (the work queue's "Accept selected"): the same guarded
    transition as :func:`handoff_accept` on each, one transaction per batch, each hand-off in its
    own savepoint so that a refusal (decided meanwhile, not the rep's) leaves the others
    accepted. Returns the hand-offs accepted and, per refused lead, why."""
    now = now or timezone.now()
    handoffs = list(handoffs)
    accepted: list[Handoff] = []
    refused: dict[Lead, str] = {}
    for start in range(0, len(handoffs), batch_size):
        with transaction.atomic():
            for handoff in handoffs[start : start + batch_size]:
                try:
                    accepted.append(handoff_accept(handoff=handoff, by=by, now=now))
                except (LeadError, NotAllowed) as error:
                    refused[handoff.lead] = str(error)
    return accepted, refused


# The catalogue's "unresponsive after the agreed touches" reason.
UNRESPONSIVE = "unresponsive"

_STAGE_FOR_DISPOSITION = {
    RejectionReason.Disposition.RECYCLE: Stage.NURTURING,
    RejectionReason.Disposition.DISQUALIFY: Stage.DISQUALIFIED,
    # A suspected duplicate leaves the sales queue; marketing merges it with the original.
    RejectionReason.Disposition.DUPLICATE: Stage.DISQUALIFIED,
}


def reason_refusal(reason: RejectionReason | None, *, phase: str) -> str | None:
    """Why ``reason`` may not be used in ``phase`` (before or after working), or None."""
    if reason is None:
        return "Choose a reason for rejecting the lead."
    if not selectors.rejection_reasons_in_force().filter(pk=reason.pk).exists():
        return f"“{reason.label}” is not an agreed rejection reason."
    if reason.phase != phase:
        return (
            f"“{reason.label}” is one of the {reason.get_phase_display().lower()} reasons; "
            f"choose one of the {RejectionReason.Phase(phase).label.lower()} reasons."
        )
    return None


def _check_reason(reason: RejectionReason | None, *, phase: str) -> RejectionReason:
    if refusal := reason_refusal(reason, phase=phase):
        raise LeadError(refusal)
    return reason


def _return_to_marketing(*, lead: Lead, by, reason: RejectionReason, kind: str, details: dict, at: datetime) -> Lead:
    """Apply a reason's disposition: the lead leaves sales (recycled to nurture, or disqualified)."""
    extra = ["owner", "team"]
    lead.owner = None
    lead.team = None
    if reason.disposition == RejectionReason.Disposition.RECYCLE:
        lead.cycle_count += 1
        extra.append("cycle_count")
    return lead_transition(
        lead=lead,
        to_stage=_STAGE_FOR_DISPOSITION[reason.disposition],
        by=by,
        kind=kind,
        details={"reason": reason.code, "reason_label": reason.label, "disposition": reason.disposition, **details},
        extra_fields=tuple(extra),
        at=at,
    )


def handoff_reject(
    *,
    handoff: Handoff,
    by,
    reason: RejectionReason | None,
    note: str = "",
    now: datetime | None = None,
) -> Handoff:
    """Reject a pending hand-off with a before-working reason, or give up an accepted one with an
    after-working reason (see lead_give_up); the reason's disposition decides where the lead goes."""
    _require_assignee(handoff, by)
    if handoff.status == Handoff.Status.ACCEPTED and handoff.closed_at is None:
        lead_give_up(lead=handoff.lead, by=by, reason=reason, note=note, now=now)
        handoff.refresh_from_db()
        return handoff
    if handoff.status != Handoff.Status.PENDING:
        raise HandoffConflict("This hand-off has already been decided; nothing was changed.")
    reason = _check_reason(reason, phase=RejectionReason.Phase.BEFORE_WORKING)
    now = now or timezone.now()
    note = note.strip()
    with transaction.atomic():
        handoff = _claim_decision(
            handoff=handoff,
            expected=Handoff.Status.PENDING,
            status=Handoff.Status.REJECTED,
            decided_at=now,
            decided_by=by,
            reason=reason,
            decision_note=note,
        )
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        _return_to_marketing(
            lead=lead,
            by=by,
            reason=reason,
            kind=LeadEvent.Kind.REJECTED,
            details={"handoff": handoff.pk, "note": note},
            at=now,
        )
        _tell_who_handed_off(
            handoff=handoff,
            by=by,
            kind=Notification.Kind.HANDOFF_REJECTED,
            told=f"rejected {lead}: {reason.label}{f' (“{note}”)' if note else ''}. "
            + _NEXT_FOR_DISPOSITION[reason.disposition],
            lead=lead,
        )
    return handoff


def may_work_on(*, lead: Lead, user) -> bool:
    """The owner works a lead; their team's manager and sales leaders may act for them."""
    if user.is_superuser or lead.owner_id == user.pk or has_role(user, Role.SALES_LEADER):
        return True
    return lead.team_id is not None and lead.team.manager_id == user.pk


def _lock_worked_lead(lead: Lead, by) -> Lead:
    lead = Lead.objects.select_for_update(of=("self",)).select_related("team").get(pk=lead.pk)
    if by is not None and not may_work_on(lead=lead, user=by):
        raise NotAllowed("Only the lead's owner, their manager or a sales leader can do this.")
    return lead


def _close_accepted_handoff(*, lead: Lead, at: datetime, **changes: Any) -> None:
    Handoff.objects.filter(lead=lead, status=Handoff.Status.ACCEPTED, closed_at__isnull=True).update(
        closed_at=at, **changes
    )


def lead_advance(*, lead: Lead, by, to_stage: str, note: str = "", now: datetime | None = None) -> Lead:
    """Move an accepted lead along: qualified, opportunity, won or lost. Won and lost end sales'
    work on it."""
    if to_stage not in ADVANCE_TO:
        raise LeadError("A worked lead moves to qualified, opportunity, won or lost.")
    now = now or timezone.now()
    with transaction.atomic():
        lead = _lock_worked_lead(lead, by)
        if refusal := advance_refusal(stage=lead.stage, to_stage=to_stage):
            raise InvalidTransition(refusal)
        lead_transition(lead=lead, to_stage=to_stage, by=by, details={"note": note.strip()}, at=now)
        if to_stage in (Stage.WON, Stage.LOST):
            handoff = _accepted_handoff(lead)
            _close_accepted_handoff(lead=lead, at=now)
            won = to_stage == Stage.WON
            _tell_who_handed_off(
                handoff=handoff,
                by=by,
                kind=Notification.Kind.LEAD_WON if won else Notification.Kind.LEAD_LOST,
                told=f"{'won' if won else 'lost'} {lead}.",
                lead=lead,
            )
    return lead


def _accepted_handoff(lead: Lead) -> Handoff | None:
    """The accepted hand-off sales is working the lead under, with who handed it off."""
    return (
        Handoff.objects.filter(lead=lead, status=Handoff.Status.ACCEPTED, closed_at__isnull=True)
        .select_related("handed_off_by")
        .first()
    )


def unresponsive_refusal(lead: Lead) -> str | None:
    """Why the lead may not yet be given up as unresponsive, or None when it may: the agreement
    asks for a number of touches first. The one home of this rule; the review meeting asks it
    when the outcome is recorded, and lead_give_up when the lead is given up."""
    needed = sla.terms().touches_before_unresponsive
    # Only attempts that reached nobody count: a lead that answered or replied is not unresponsive.
    # Touches logged before results were recorded ("not recorded") count, as they did then.
    attempts = lead.touches.filter(result__in=Touch.UNANSWERED).count()
    if attempts >= needed:
        return None
    return (
        f"The agreement asks for {needed} attempts that reached nobody (no answer or voicemail) before a lead"
        f" counts as unresponsive; {attempts} so far."
    )


def lead_give_up(
    *, lead: Lead, by, reason: RejectionReason | None, note: str = "", now: datetime | None = None
) -> Lead:
    """End the work on an accepted lead with an after-working reason (no budget, not now,
    unresponsive...). The hand-off stays accepted and records the reason; the lead goes back to
    marketing or is disqualified, as the reason says."""
    reason = _check_reason(reason, phase=RejectionReason.Phase.AFTER_WORKING)
    now = now or timezone.now()
    note = note.strip()
    with transaction.atomic():
        lead = _lock_worked_lead(lead, by)
        if refusal := give_up_refusal(stage=lead.stage, disposition=reason.disposition):
            raise InvalidTransition(refusal)
        if reason.code == UNRESPONSIVE and (refusal := unresponsive_refusal(lead)):
            raise LeadError(refusal)
        handoff = _accepted_handoff(lead)
        _close_accepted_handoff(lead=lead, at=now, reason=reason, decision_note=note)
        _return_to_marketing(
            lead=lead, by=by, reason=reason, kind=LeadEvent.Kind.GIVEN_UP, details={"note": note}, at=now
        )
        _tell_who_handed_off(
            handoff=handoff,
            by=by,
            kind=Notification.Kind.LEAD_RECYCLED,
            told=f"gave up {lead} after working it: {reason.label}{f' (“{note}”)' if note else ''}. "
            + _NEXT_FOR_DISPOSITION[reason.disposition],
            lead=lead,
        )
    return lead


def lead_reassign(*, lead: Lead, to, by, reason: str, now: datetime | None = None) -> Lead:
    """Give a lead sales is working, and its open hand-off, to another person. `by` is None when
    Accord does it (e.g. for people who left). A pending hand-off gets a fresh accept time."""
    if not to.is_active:
        raise LeadError(f"{to.get_full_name() or to.username} is deactivated and cannot receive leads.")
    now = now or timezone.now()
    with transaction.atomic():
        lead = _lock_worked_lead(lead, by)
        if refusal := reassign_refusal(stage=lead.stage):
            raise InvalidTransition(refusal)
        if lead.owner_id != to.pk:
            leads_reassign(moves=[(lead, to.pk)], by=by, reason=reason, now=now)
            lead.owner = to
    return lead


def _person_name(user) -> str:
    return user.get_full_name() or user.username


def leads_reassign(*, moves: list[tuple[Lead, int]], by=None, reason: str | None = None, now: datetime) -> int:
    """Every change of a worked lead's owner goes through here (lead_reassign, the sweeps' bulk
    moves): each lead, locked by the caller and with `team_id` the team it is now worked in, goes
    to the user id beside it with its open hand-offs; a pending one gets the full agreed time
    from `now`. Each lead gets an event: REASSIGNED with `reason`, or, without one, INHERITED from
    a person who departed. Each new owner gets one notification. One UPDATE per (owner, team),
    so a batch costs what its teams' sizes cost, not its leads'. Accord's moves (`by` None) are
    their own kind, emailed by default, since nobody told the new owner; a person's are in the
    app by default. Returns how many moved."""
    if not moves:
        return 0
    previous = {lead.pk: lead.owner_id for lead, _ in moves}
    people = get_user_model().objects.in_bulk({owner for _, owner in moves} | set(previous.values()) - {None})
    groups: dict[tuple[int, int | None], list[Lead]] = {}
    for lead, owner in moves:
        lead.owner_id = owner
        lead.updated_at = now
        groups.setdefault((owner, lead.team_id), []).append(lead)
    teams = Team.objects.in_bulk({team_id for _, team_id in groups} - {None})
    within = sla.terms().accept_within_hours
    for (owner_id, team_id), group in groups.items():
        ids = [lead.pk for lead in group]
        Lead.objects.filter(pk__in=ids).update(owner_id=owner_id, team_id=team_id, updated_at=now)
        pending = Q(status=Handoff.Status.PENDING)
        Handoff.objects.filter(lead_id__in=ids).open().update(
            assigned_to_id=owner_id,
            accept_due_at=Case(
                When(pending, then=Value(sla.accept_due(start=now, team=teams.get(team_id), within=within))),
                default=F("accept_due_at"),
            ),
        )

    def why(lead: Lead) -> str:
        if reason:
            return reason
        old = people[previous[lead.pk]]
        return f"departed: {old.username} {'was deactivated' if not old.is_active else 'left the team'}"

    def username(user_id: int | None) -> str:
        return people[user_id].username if user_id in people else ""

    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.REASSIGNED if reason else LeadEvent.Kind.INHERITED,
                actor=by,
                actor_name=actor_name(by),
                created_at=now,
                details={"from": username(previous[lead.pk]), "to": username(owner), "reason": why(lead)},
            )
            for lead, owner in moves
        ],
        batch_size=1000,
    )
    by_owner: dict[int, list[Lead]] = {}
    for lead, owner in moves:
        by_owner.setdefault(owner, []).append(lead)
    drafts = []
    for owner_id, group in by_owner.items():
        # The reason's first words: "departed: ann was deactivated" is told as "departed".
        told = why(group[0]).split(":")[0]
        if len(group) == 1:
            message, link = f"{group[0]} is now yours ({told}).", reverse("lead_detail", args=[group[0].pk])
        else:
            sources = sorted({_person_name(people[previous[lead.pk]]) for lead in group if previous[lead.pk]})
            came_from = f" from {names_preview(sources)}" if sources else ""
            message = (
                f"{len(group)} leads{came_from} are now yours ({told}): "
                f"{names_preview([lead.full_name for lead in group])}."
            )
            link = reverse("inbox")
        drafts.append(
            Draft(
                recipient=people[owner_id],
                # Nobody told the new owner of Accord's moves: a kind of its own, emailed by default.
                kind=Notification.Kind.REASSIGNED if by else Notification.Kind.MOVED_BY_ACCORD,
                message=message,
                link=link,
                subject=f"{len(group)} lead(s) reassigned to you",
            )
        )
    notify(drafts)
    leads_reassigned.send(sender=Lead, moves=[(lead.pk, previous[lead.pk], owner) for lead, owner in moves])
    return len(moves)


def touch_log(
    *,
    lead: Lead,
    by,
    kind: str,
    result: str = Touch.Result.NOT_RECORDED,
    note: str = "",
    happened_at: datetime | None = None,
) -> Touch:
    """A rep records a call, email or meeting on a lead they accepted, and what came of it
    (connected, no answer, voicemail, replied). The first touch of a hand-off is kept on it, for
    the first-touch service level."""
    now = timezone.now()
    happened_at = happened_at or now
    if happened_at > now + timedelta(minutes=5):
        raise LeadError("A touch cannot be logged in the future.")
    if kind not in Touch.Kind.values:
        raise LeadError("Choose call, email or meeting.")
    if result not in Touch.Result.values:
        raise LeadError("Choose what came of the touch: connected, no answer, voicemail or replied.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.owner_id != by.pk:
            raise NotAllowed("Only the rep who owns this lead can log touches on it.")
        handoff = lead.handoffs.filter(status=Handoff.Status.ACCEPTED).order_by("-decided_at").first()
        if handoff is None:
            raise LeadError("Accept the lead before logging touches on it.")
        touch = Touch(
            lead=lead, handoff=handoff, by=by, kind=kind, result=result, note=note.strip(), happened_at=happened_at
        )
        touch.full_clean()
        touch.save()
        Handoff.objects.filter(pk=handoff.pk, first_touch_at__isnull=True).update(first_touch_at=happened_at)
        lead_event_record(
            lead=lead,
            kind=LeadEvent.Kind.TOUCHED,
            actor=by,
            details={"touch": touch.pk, "kind": kind, "result": result, "note": touch.note},
            at=happened_at,
        )
    return touch


def activity_log(*, lead: Lead, by, kind: str, occurred_at: datetime | None = None, note: str = "") -> Activity:
    """Record something the lead did (a demo request, a content download, ...) and grade the lead
    anew. ``by`` is None when Accord records it (an import, an integration)."""
    now = timezone.now()
    occurred_at = occurred_at or now
    kinds = dict(ACTIVITY_KINDS)
    if kind not in kinds:
        raise LeadError(f"“{kind}” is not a kind of activity; choose one of: {', '.join(kinds.values())}.")
    if occurred_at > now + timedelta(minutes=5):
        raise LeadError("An activity cannot be logged in the future.")
    if by is not None and not selectors.leads_visible_to(user=by).filter(pk=lead.pk).exists():
        raise NotAllowed("You can log activity only on leads you can see.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).select_related("source").get(pk=lead.pk)
        activity = Activity(lead=lead, kind=kind, occurred_at=occurred_at, note=note.strip(), created_by=by)
        activity.full_clean()
        activity.save()
        lead_event_record(
            lead=lead,
            kind=LeadEvent.Kind.ACTIVITY,
            actor=by,
            details={"activity": activity.pk, "kind": kind, "note": activity.note},
            at=occurred_at,
        )
        lead_evaluate(lead=lead)
    return activity


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all of them, or those listed). Returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def notification_preferences_save(*, user, choices: dict[str, str]) -> int:
    """Keep the person's channel per kind (``{kind: channel}``); a choice equal to the kind's
    default is kept too, so a later change of defaults does not undo a choice someone made.
    Unknown kinds or channels raise ValueError and change nothing. Returns how many were saved."""
    for kind, channel in choices.items():
        if kind not in Notification.Kind.values or channel not in Notification.Channel.values:
            raise ValueError(f"“{kind}” cannot be told by “{channel}”.")
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user, kind__in=list(choices)).delete()
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, kind=kind, channel=channel) for kind, channel in choices.items()]
        )
    return len(choices)


# --- Sources and campaigns ------------------------------------------------------------------------
# Marketing's reference data, written by the admin's forms and by its imports (leads.resources)
# alike. Each validates in full and raises ValidationError, which a form shows on its fields and
# an import on its row.


def source_save(*, source: Source) -> Source:
    """Create or change a source and its interest (active or passive)."""
    source.full_clean()
    source.save()
    return source


def campaign_check(*, campaign: Campaign) -> None:
    """What a campaign must satisfy beyond its fields: its cost (what it has cost so far, which
    cost per accepted lead divides) is not negative, and it does not end before it starts."""
    errors = {}
    # Fields their own validation refused are still raw input: compare only what is typed.
    if isinstance(campaign.cost, int | float | Decimal) and campaign.cost < 0:
        errors["cost"] = f"A campaign's cost cannot be negative ({campaign.cost})."
    starts, ends = campaign.starts_on, campaign.ends_on
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        errors["ends_on"] = f"The campaign cannot end before it starts ({starts:%Y-%m-%d})."
    if errors:
        raise ValidationError(errors)


def campaign_save(*, campaign: Campaign) -> Campaign:
    """Create or change a campaign; its monthly cost import replaces the cost to date."""
    errors: dict = {}
    for check in (campaign.full_clean, lambda: campaign_check(campaign=campaign)):
        try:
            check()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    campaign.save()
    return campaign
