"""Every write to the agreement: qualified-lead definitions and their approval workflow, and
the reference data the admin edits and imports (teams, memberships, rejection reasons).

draft → proposed → active → retired. A marketer or a leader drafts and proposes; a marketing
leader and a sales leader each approve their side, or ask for changes (back to draft). The
version becomes active when both sides approved the same proposal round, and retires the one
before it. Only drafts change; active and retired versions are kept as agreed."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alignment import fitting, panels, selectors
from alignment.actors import actor_name
from alignment.exceptions import AlignmentError, InvalidDefinition, NotAllowed
from alignment.models import (
    DefinitionApproval,
    DefinitionEvent,
    EngagementRule,
    FieldRule,
    Membership,
    QualificationDefinition,
    RejectionReason,
    RoutingRule,
    Team,
)
from alignment.roles import Role, has_role
from alignment.signals import definition_activated, definition_proposed

Status = QualificationDefinition.Status
Side = DefinitionApproval.Side

# Fields copied into a new draft and editable while it is a draft.
DEFINITION_FIELDS = (
    "name",
    "notes",
    "grade_a_min",
    "grade_b_min",
    "grade_c_min",
    "half_life_days",
    "hot_min",
    "warm_min",
    "cold_min",
    "priority_low",
    "priority_high",
    "ready_grades",
    "ready_buckets",
    "ready_activities",
    "accept_within_hours",
    "first_touch_within_hours",
    "touches_before_unresponsive",
    "expiry_action",
)
# What a field rule says, copied into a new draft.
FIELD_RULE_FIELDS = (
    "part",
    "field",
    "test",
    "values",
    "minimum",
    "maximum",
    "expected",
    "table",
    "other_points",
    "points",
    "position",
)
# What a routing rule says, copied into a new draft.
ROUTING_RULE_FIELDS = (
    "position",
    "name",
    "countries",
    "regions",
    "employees_min",
    "employees_max",
    "industries",
    "sources",
    "campaigns",
    "property_key",
    "property_values",
    "team",
    "automatic",
)
_LEADER_OF_SIDE = {Side.MARKETING: Role.MARKETING_LEADER, Side.SALES: Role.SALES_LEADER}


def may_draft(user) -> bool:
    return user.is_superuser or has_role(user, Role.MARKETER, Role.MARKETING_LEADER, Role.SALES_LEADER)


def sides_of(user) -> list[str]:
    """The sides a person may sign for."""
    return [side for side, role in _LEADER_OF_SIDE.items() if has_role(user, role)]


def open_sides(definition: QualificationDefinition, user, signed: dict | None = None) -> list[str]:
    """The sides ``user`` may still sign (or answer) for on ``definition``: while it is proposed,
    the sides they lead that have not approved this round, unless they already signed the other
    one (one person never signs for both). ``signed``: this round's approvals, when known."""
    if definition.status != Status.PROPOSED:
        return []
    sides = sides_of(user)
    if not sides:
        return []
    signed = selectors.approvals_in_round(definition) if signed is None else signed
    if any(approval.by_id == user.pk for approval in signed.values()):
        return []
    return [side for side in sides if side not in signed]


def _record(definition: QualificationDefinition, kind: str, by, details: dict | None = None, at=None) -> None:
    DefinitionEvent.objects.create(
        definition=definition,
        kind=kind,
        actor=by,
        actor_name=actor_name(by),
        details=details or {},
        created_at=at or timezone.now(),
    )


def _lock(definition: QualificationDefinition) -> QualificationDefinition:
    return QualificationDefinition.objects.select_for_update().get(pk=definition.pk)


def _require_draft(definition: QualificationDefinition) -> None:
    if definition.status != Status.DRAFT:
        raise AlignmentError(
            f"Version {definition.version} is {definition.get_status_display().lower()} and cannot change; "
            "start a new draft from it instead."
        )


def definition_create(
    *, by, name: str, based_on: QualificationDefinition | None = None, now: datetime | None = None
) -> QualificationDefinition:
    """A new draft, empty or copied (rules, thresholds, SLA terms, routing, reasons) from another version.
    ``by`` None is an operator at the command line."""
    if by is not None and not may_draft(by):
        raise NotAllowed("Only marketing and the leaders draft qualified-lead definitions.")
    now = now or timezone.now()
    with transaction.atomic():
        # Version numbers are handed out under a lock on the newest version.
        latest = QualificationDefinition.objects.select_for_update().order_by("-version").first()
        if based_on is not None:
            based_on = QualificationDefinition.objects.get(pk=based_on.pk)  # as saved, not as passed
        fields: dict[str, Any] = {f: getattr(based_on, f) for f in DEFINITION_FIELDS} if based_on else {}
        fields["name"] = name
        definition = QualificationDefinition(
            **fields,
            version=(latest.version if latest else 0) + 1,
            based_on=based_on,
            created_by=by,
            created_at=now,
        )
        definition.full_clean()
        definition.save()
        if based_on is not None:
            FieldRule.objects.bulk_create(
                [
                    FieldRule(definition=definition, **{name: getattr(r, name) for name in FIELD_RULE_FIELDS})
                    for r in based_on.field_rules.all()
                ]
            )
            EngagementRule.objects.bulk_create(
                [
                    EngagementRule(definition=definition, activity=r.activity, points=r.points, position=r.position)
                    for r in based_on.engagement_rules.all()
                ]
            )
            RoutingRule.objects.bulk_create(
                [
                    RoutingRule(definition=definition, **{name: getattr(r, name) for name in ROUTING_RULE_FIELDS})
                    for r in based_on.routing_rules.all()
                ]
            )
            definition.rejection_reasons.set(based_on.rejection_reasons.all())
        else:
            definition.rejection_reasons.set(RejectionReason.objects.filter(is_active=True))
        _record(definition, "drafted", by, {"based_on": based_on.version if based_on else None}, at=now)
    return definition


def definition_create_from_scorecard(
    *,
    by,
    name: str,
    scorecard: fitting.Scorecard,
    notes: str = "",
    request_key: str = "",
    now: datetime | None = None,
) -> QualificationDefinition:
    """A new draft written from a fitted scorecard (alignment.fitting): its field rules, grade
    cut-offs, bucket thresholds, priority range and sales-ready rule. It is a draft like any
    other: people edit it, and it takes effect only when both leaders approve it."""
    with transaction.atomic():
        definition = definition_create(by=by, name=name, now=now)
        fields = {
            "notes": notes,
            "grade_a_min": scorecard.grade_a,
            "grade_b_min": scorecard.grade_b,
            "grade_c_min": scorecard.grade_c,
            "hot_min": scorecard.hot,
            "warm_min": scorecard.warm,
            "cold_min": scorecard.cold,
            "priority_low": scorecard.priority_low,
            "priority_high": scorecard.priority_high,
            "ready_grades": "".join(grade for grade in "ABCD" if grade in scorecard.ready_grades),
            "ready_buckets": ",".join(
                b for b in ("hot", "warm", "cold", "unqualified") if b in scorecard.ready_buckets
            ),
            "ready_activities": "",
        }
        for name_, value in fields.items():
            setattr(definition, name_, value)
        definition.full_clean()
        definition.save()
        FieldRule.objects.bulk_create(
            FieldRule(
                definition=definition,
                position=position,
                part=rule.part,
                field=rule.field,
                test=rule.test,
                values=list(rule.values),
                minimum=rule.minimum,
                maximum=rule.maximum,
                expected=rule.expected,
                table=[[value, points] for value, points in rule.table],
                other_points=rule.other_points,
                points=rule.points,
            )
            for position, rule in enumerate(scorecard.rules)
        )
        _record(
            definition,
            "suggested",
            by,
            {
                "leads": scorecard.leads,
                "successes": scorecard.successes,
                "train_auc": scorecard.train_auc,
                "features": list(scorecard.features_used),
                # Which request drafted it, so a request delivered twice drafts once.
                "request": request_key,
            },
        )
    return definition


def definition_record_backtest(*, definition: QualificationDefinition, by, result: dict) -> None:
    """Keep a backtest's figures in the version's history, so the evidence travels with it."""
    _record(definition, "backtested", by, {"backtest": result})


def definition_update(*, definition: QualificationDefinition, by, fields: dict[str, Any]) -> QualificationDefinition:
    """Change a draft's thresholds, sales-ready rule or SLA terms."""
    if not may_draft(by):
        raise NotAllowed("Only marketing and the leaders edit qualified-lead definitions.")
    unknown = set(fields) - set(DEFINITION_FIELDS)
    if unknown:
        raise AlignmentError(f"These cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        definition = _lock(definition)
        _require_draft(definition)
        changes = {
            name: [str(getattr(definition, name)), str(value)]
            for name, value in fields.items()
            if getattr(definition, name) != value
        }
        for name, value in fields.items():
            setattr(definition, name, value)
        definition.full_clean()
        definition.save()
        if changes:
            _record(definition, "edited", by, {"changes": changes})
    return definition


def definition_save_draft(
    *,
    definition: QualificationDefinition,
    by,
    fields: dict[str, Any] | None = None,
    field_rules: list[dict] | None = None,
    engagement_rules: list[dict] | None = None,
    routing_rules: list[dict] | None = None,
) -> QualificationDefinition:
    """Save what the editor shows of a draft in one go: its terms (``fields``, as
    :func:`definition_update` takes them) and, for each list given, the rules in that order,
    which replace the draft's rules of that kind. Every rule is checked before any is written;
    a bad one raises ValidationError and nothing changes."""
    if not may_draft(by):
        raise NotAllowed("Only marketing and the leaders edit qualified-lead definitions.")
    with transaction.atomic():
        definition = _lock(definition)
        _require_draft(definition)
        if fields:
            definition = definition_update(definition=definition, by=by, fields=fields)
        replaced = []
        for kind, model, names, given in (
            ("field rules", FieldRule, FIELD_RULE_FIELDS, field_rules),
            ("engagement rules", EngagementRule, ("activity", "points", "position"), engagement_rules),
            ("routing rules", RoutingRule, ROUTING_RULE_FIELDS, routing_rules),
        ):
            if given is None:
                continue
            rows = []
            for position, data in enumerate(given, start=1):
                row = model(definition=definition, **{n: data[n] for n in names if n in data and n != "position"})
                if "team_id" in data:  # a routing rule's team, by id as a form picks it
                    row.team_id = data["team_id"]
                row.position = position
                try:
                    row.full_clean(exclude=["definition"])
                except ValidationError as error:
                    raise ValidationError(f"{kind.capitalize()[:-1]} {position}: {' '.join(error.messages)}") from error
                rows.append(row)
            model.objects.filter(definition=definition).delete()
            model.objects.bulk_create(rows)
            replaced.append(kind)
        # A rule that could never work is refused here (the transaction rolls back); what only
        # keeps the draft from being proposed (no sales-ready rule yet, say) may wait.
        checked = {"field rules": "Rule ", "engagement rules": "Engagement rule ", "routing rules": "Routing rule "}
        prefixes = tuple(checked[kind] for kind in replaced)
        broken = [problem for problem in selectors.definition_problems(definition) if problem.startswith(prefixes)]
        if broken:
            raise ValidationError(broken)
        if replaced:
            _record(definition, "edited", by, {"rules": replaced})
    return definition


def definition_refresh_evidence(*, definition: QualificationDefinition, by) -> tuple[dict | None, str]:
    """Backtest the version on the leads whose outcome is known, with whichever app supplies the
    evidence (alignment.panels), and keep the figures in its history. Returns (figures, "") or
    (None, why there are none)."""
    result, problem = panels.definition_evidence(definition)
    if result is not None:
        definition_record_backtest(definition=definition, by=by, result=result)
    return result, problem


def definition_check_editable(*, definition: QualificationDefinition) -> None:
    """Raise unless the version may still change (for rule edits made through the admin)."""
    _require_draft(QualificationDefinition.objects.get(pk=definition.pk))


def definition_propose(
    *, definition: QualificationDefinition, by, now: datetime | None = None
) -> QualificationDefinition:
    """Put a draft to both leaders. Its rules must hold together first."""
    if not may_draft(by):
        raise NotAllowed("Only marketing and the leaders propose qualified-lead definitions.")
    now = now or timezone.now()
    with transaction.atomic():
        definition = _lock(definition)
        _require_draft(definition)
        problems = selectors.definition_problems(definition)
        if problems:
            raise InvalidDefinition(problems)
        definition.status = Status.PROPOSED
        definition.round += 1
        definition.proposed_at = now
        definition.save(update_fields=["status", "round", "proposed_at"])
        _record(definition, "proposed", by, {"round": definition.round}, at=now)
        # In the transaction: what the receivers write (notifications, their emails in the outbox)
        # commits with the proposal or not at all.
        definition_proposed.send(sender=QualificationDefinition, definition=definition)
    return definition


def definition_approve(
    *, definition: QualificationDefinition, by, side: str, comment: str = "", now: datetime | None = None
) -> QualificationDefinition:
    """A leader signs for their side. With both sides signed, the version becomes active."""
    if side not in _LEADER_OF_SIDE:
        raise AlignmentError("Approve for marketing or for sales.")
    if side not in sides_of(by):
        raise NotAllowed(f"Only a {_LEADER_OF_SIDE[side].label.lower()} approves for {Side(side).label.lower()}.")
    now = now or timezone.now()
    with transaction.atomic():
        definition = _lock(definition)
        if definition.status != Status.PROPOSED:
            raise AlignmentError(f"Version {definition.version} is not waiting for approval.")
        signed = selectors.approvals_in_round(definition)
        if side in signed:
            raise AlignmentError(f"{Side(side).label} has already approved this proposal.")
        if side not in open_sides(definition, by, signed):
            raise NotAllowed("One person cannot sign for both marketing and sales.")
        DefinitionApproval.objects.create(
            definition=definition,
            round=definition.round,
            side=side,
            decision=DefinitionApproval.Decision.APPROVED,
            by=by,
            comment=comment.strip(),
            created_at=now,
        )
        _record(definition, "approved", by, {"side": side, "comment": comment.strip()}, at=now)
        if len(signed) + 1 == len(_LEADER_OF_SIDE):
            _activate(definition, by=by, now=now)
    return definition


def _activate(definition: QualificationDefinition, *, by, now: datetime) -> None:
    previous = QualificationDefinition.objects.select_for_update().filter(status=Status.ACTIVE).first()
    if previous is not None:
        previous.status = Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
        _record(previous, "retired", by, {"replaced_by": definition.version}, at=now)
    definition.status = Status.ACTIVE
    definition.activated_at = now
    definition.save(update_fields=["status", "activated_at"])
    _record(definition, "activated", by, {"replaces": previous.version if previous else None}, at=now)
    # In the transaction: the re-evaluation run and its task (in the outbox) commit with the
    # activation or not at all.
    definition_activated.send(sender=QualificationDefinition, definition=definition, by=by)


def definition_request_changes(
    *, definition: QualificationDefinition, by, comment: str, now: datetime | None = None
) -> QualificationDefinition:
    """A leader sends a proposal back to draft with what should change."""
    if not sides_of(by):
        raise NotAllowed("Only the marketing and sales leaders answer proposals.")
    if not comment.strip():
        raise AlignmentError("Say what should change.")
    now = now or timezone.now()
    with transaction.atomic():
        definition = _lock(definition)
        if definition.status != Status.PROPOSED:
            raise AlignmentError(f"Version {definition.version} is not waiting for approval.")
        sides = open_sides(definition, by)
        if not sides:
            raise AlignmentError(
                f"You have already answered v{definition.version} for your side; the other leader answers now."
            )
        DefinitionApproval.objects.create(
            definition=definition,
            round=definition.round,
            side=sides[0],
            decision=DefinitionApproval.Decision.CHANGES_REQUESTED,
            by=by,
            comment=comment.strip(),
            created_at=now,
        )
        definition.status = Status.DRAFT
        definition.save(update_fields=["status"])
        _record(definition, "changes_requested", by, {"comment": comment.strip()}, at=now)
    return definition


# --- Reference data -----------------------------------------------------------------------------
# Written by the admin's forms and by its imports (alignment.resources) alike. Each validates in
# full and raises ValidationError, which a form shows on its fields and an import on its row.


def team_save(*, team: Team) -> Team:
    """Create or change a team and its business calendar."""
    team.full_clean()
    team.save()
    return team


def membership_check(*, membership: Membership) -> None:
    """What a membership must satisfy beyond its fields: a deactivated person does not join a
    team, and a membership does not end before it began."""
    errors = {}
    user = membership.user if membership.user_id else None
    if user is not None and not user.is_active and membership.ended_at is None:
        errors["user"] = f"{user.get_username()} is deactivated and cannot be a current member of a team."
    began, ended = membership.joined_at, membership.ended_at
    if isinstance(began, datetime) and isinstance(ended, datetime) and ended < began:
        errors["ended_at"] = f"A membership cannot end before it began ({began:%Y-%m-%d %H:%M})."
    if errors:
        raise ValidationError(errors)


def membership_save(*, membership: Membership) -> Membership:
    """Put a person in a team, or end their membership (ended_at), which is kept rather than
    deleted. Ending one hands the person's open leads on (leads.receivers)."""
    errors: dict = {}
    try:
        membership.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        membership_check(membership=membership)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    membership.save()
    return membership


def rejection_reason_save(*, reason: RejectionReason) -> RejectionReason:
    """Add a reason to the catalogue or change one."""
    reason.full_clean()
    reason.save()
    return reason
