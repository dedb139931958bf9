"""Reads about the agreement: definitions and their rules, as the scoring engine takes them."""

import json
from collections import Counter
from datetime import datetime

from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery

from alignment import routing, scoring
from alignment.models import (
    ACTIVITY_KINDS,
    BUCKETS,
    DefinitionApproval,
    DefinitionEvent,
    LeadProperty,
    Membership,
    QualificationDefinition,
    RoutingRule,
    Team,
)
from alignment.roles import GROUP_NAMES, Role


def working_reps(*, available_at: datetime | None = None) -> QuerySet[Membership]:
    """The memberships of the people who work a team's leads: current ones, of active accounts
    in the sales rep group. With ``available_at``, only those who may receive new leads then:
    not away (``away_until`` unset or past). Someone away still owns and reviews their leads."""
    reps = Membership.objects.filter(
        ended_at__isnull=True, user__is_active=True, user__groups__name=GROUP_NAMES[Role.SALES_REP]
    )
    if available_at is not None:
        reps = reps.filter(Q(away_until__isnull=True) | Q(away_until__lte=available_at))
    return reps


def _split(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def definitions() -> QuerySet[QualificationDefinition]:
    return QualificationDefinition.objects.select_related("created_by", "based_on")


def active_definition() -> QualificationDefinition | None:
    return (
        QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
        .prefetch_related("field_rules", "engagement_rules")
        .first()
    )


# Active version id → (the version, its terms). Only drafts are edited, so an active version's
# rules never change and its terms are built once per process; any save to a version, its rules
# or the properties empties this (alignment.apps), which also keeps tests, whose rolled-back
# rows reuse ids, honest.
_ACTIVE_TERMS: dict[int, tuple[QualificationDefinition, "scoring.Terms"]] = {}


def active_definition_terms() -> tuple[QualificationDefinition | None, "scoring.Terms | None"]:
    """The active version and its terms, for work that grades many leads one request at a time
    (the API, web forms): which version is active is read every time (one query), its terms once."""
    pk = (
        QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return None, None
    if pk not in _ACTIVE_TERMS:
        definition = active_definition()
        if definition is None or definition.pk != pk:  # changed in between: read it next time
            return definition, definition_terms(definition) if definition else None
        _ACTIVE_TERMS[pk] = (definition, definition_terms(definition))
    return _ACTIVE_TERMS[pk]


def forget_active_terms(**kwargs) -> None:
    _ACTIVE_TERMS.clear()


def property_kinds() -> dict[str, str]:
    """Every declared lead property's key → kind of value, as rules are checked against."""
    return dict(LeadProperty.objects.values_list("key", "kind"))


def property_labels() -> dict[str, str]:
    return dict(LeadProperty.objects.values_list("key", "label"))


def field_rule_terms(rule) -> scoring.FieldRule:
    """A FieldRule row as the pure scoring engine takes it."""
    return scoring.FieldRule(
        field=rule.field,
        test=rule.test,
        points=rule.points,
        values=tuple(str(value) for value in rule.values or ()),
        minimum=rule.minimum,
        maximum=rule.maximum,
        expected=rule.expected,
        table=tuple((str(value), int(points)) for value, points in rule.table or ()),
        other_points=rule.other_points,
        part=rule.part,
    )


def definition_terms(definition: QualificationDefinition, labels: dict[str, str] | None = None) -> scoring.Terms:
    """The version's rules as the pure scoring engine takes them; ``labels`` (property key →
    label, read when not given) name the properties in the rules' descriptions."""
    return scoring.Terms(
        field_rules=tuple(field_rule_terms(rule) for rule in definition.field_rules.all()),
        grade_a=definition.grade_a_min,
        grade_b=definition.grade_b_min,
        grade_c=definition.grade_c_min,
        engagement_rules=tuple(
            scoring.EngagementRule(activity=rule.activity, points=rule.points)
            for rule in definition.engagement_rules.all()
        ),
        half_life_days=definition.half_life_days,
        hot=definition.hot_min,
        warm=definition.warm_min,
        cold=definition.cold_min,
        ready_grades=frozenset(definition.ready_grades.upper().replace(",", "").replace(" ", "")),
        ready_buckets=_split(definition.ready_buckets),
        ready_activities=_split(definition.ready_activities),
        priority_low=definition.priority_low,
        priority_high=definition.priority_high,
        labels=property_labels() if labels is None else labels,
    )


def engagement_rules_of(terms: scoring.Terms) -> list:
    """The activity rules, then the engagement field rules: everything that adds to the score."""
    return [*terms.engagement_rules, *terms.engagement_field_rules]


def route_of(rule: RoutingRule) -> routing.Route:
    """A RoutingRule row (with its team) as the pure matcher takes it."""
    team = rule.team if rule.team_id else None
    return routing.Route(
        name=rule.name,
        position=rule.position,
        rule_id=rule.pk,
        team_id=rule.team_id,
        team=team.name if team else "",
        team_is_sales=team is None or team.kind == Team.Kind.SALES,
        automatic=rule.automatic,
        countries=tuple(str(code).upper() for code in rule.countries or ()),
        regions=tuple(str(code) for code in rule.regions or ()),
        employees_min=rule.employees_min,
        employees_max=rule.employees_max,
        industries=tuple(str(value) for value in rule.industries or ()),
        sources=tuple(str(value) for value in rule.sources or ()),
        campaigns=tuple(str(value) for value in rule.campaigns or ()),
        property_key=rule.property_key,
        property_values=tuple(str(value) for value in rule.property_values or ()),
    )


def definition_routes(definition: QualificationDefinition) -> list[routing.Route]:
    """The version's routing rules in order (one query)."""
    return [route_of(rule) for rule in definition.routing_rules.select_related("team").order_by("position", "id")]


def active_routes() -> list[routing.Route]:
    """The active version's routing rules in order; [] when none is active (one query)."""
    rules = RoutingRule.objects.filter(definition__status=QualificationDefinition.Status.ACTIVE).select_related("team")
    return [route_of(rule) for rule in rules.order_by("position", "id")]


def definition_problems(definition: QualificationDefinition) -> list[str]:
    kinds = property_kinds()
    return scoring.validate_terms(definition_terms(definition), kinds) + routing.routing_problems(
        definition_routes(definition), kinds
    )


def approvals_in_round(definition: QualificationDefinition) -> dict[str, DefinitionApproval]:
    """This round's approvals, by side."""
    return {
        approval.side: approval
        for approval in definition.approvals.filter(
            round=definition.round, decision=DefinitionApproval.Decision.APPROVED
        ).select_related("by")
    }


def compare(a: QualificationDefinition, b: QualificationDefinition, labels: dict[str, str] | None = None) -> list[dict]:
    """Two versions side by side, rule by rule, in the words of the detail page:
    [{"rule", "a", "b", "changed"}]. ``labels`` (property key → label) are read when not given."""
    rows = []

    def add(rule: str, left, right):
        rows.append({"rule": rule, "a": left, "b": right, "changed": left != right})

    def add_rules(rule: str, left: list[str], right: list[str]):
        # Rules are matched by what they say; a rule listed twice counts twice.
        left_count, right_count = Counter(left), Counter(right)
        for described in sorted(left_count | right_count):
            for i in range(max(left_count[described], right_count[described])):
                add(
                    rule,
                    described if i < left_count[described] else "—",
                    described if i < right_count[described] else "—",
                )

    labels = property_labels() if labels is None else labels
    terms = {d.pk: definition_terms(d, labels) for d in (a, b)}
    add_rules(
        "Fit rule",
        [rule.describe(terms[a.pk].labels) for rule in terms[a.pk].fit_rules],
        [rule.describe(terms[b.pk].labels) for rule in terms[b.pk].fit_rules],
    )
    for label, attribute in (
        ("Grade A from", "grade_a_min"),
        ("Grade B from", "grade_b_min"),
        ("Grade C from", "grade_c_min"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    add_rules(
        "Engagement rule",
        [rule.describe(terms[a.pk].labels) for rule in engagement_rules_of(terms[a.pk])],
        [rule.describe(terms[b.pk].labels) for rule in engagement_rules_of(terms[b.pk])],
    )
    for label, attribute in (
        ("Points halve every (days)", "half_life_days"),
        ("Hot from", "hot_min"),
        ("Warm from", "warm_min"),
        ("Cold from", "cold_min"),
        ("Priority 0 at (points)", "priority_low"),
        ("Priority 100 at (points)", "priority_high"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    add("Sales-ready", sales_ready_in_words(terms[a.pk]), sales_ready_in_words(terms[b.pk]))
    for label, attribute in (
        ("Accept within (business hours)", "accept_within_hours"),
        ("First touch within (business hours)", "first_touch_within_hours"),
        ("Touches before 'unresponsive'", "touches_before_unresponsive"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    add("When the accept time runs out", a.get_expiry_action_display(), b.get_expiry_action_display())
    routes = {d.pk: [routing.describe(route_of(rule), labels) for rule in d.routing_rules.all()] for d in (a, b)}
    # Routing rules in order: the first that matches wins, so their order is part of the agreement.
    for index in range(max(len(routes[a.pk]), len(routes[b.pk]))):
        add(
            f"Routing rule {index + 1}",
            routes[a.pk][index] if index < len(routes[a.pk]) else "—",
            routes[b.pk][index] if index < len(routes[b.pk]) else "—",
        )
    add_rules(
        "Rejection reason", [str(r) for r in a.rejection_reasons.all()], [str(r) for r in b.rejection_reasons.all()]
    )
    return rows


def definitions_awaiting_signature(*, user) -> list[QualificationDefinition]:
    """Proposed versions, newest first, that ``user`` may still sign for, by the rule the
    services enforce (alignment.services.open_sides). Rarely more than one is proposed."""
    from alignment.services import open_sides  # services read selectors; the rule lives there

    proposed = QualificationDefinition.objects.filter(status=QualificationDefinition.Status.PROPOSED)
    return [definition for definition in proposed.order_by("-version") if open_sides(definition, user)]


# --- The editor and the pages that read a version -------------------------------------------------


def properties_declared() -> list[LeadProperty]:
    """Every declared lead property (one query): the editor's choices, labels and kinds."""
    return list(LeadProperty.objects.all())


def actions_available(definition: QualificationDefinition, user, signed: dict | None = None) -> dict:
    """What ``user`` may do with ``definition`` now, as the services decide it: the pages show
    exactly these buttons. ``approve`` lists the sides they may still sign for."""
    from alignment import services  # services read selectors; the rule lives there

    drafting = services.may_draft(user)
    sides = services.open_sides(definition, user, signed)
    return {
        "edit": drafting and definition.is_editable,
        "propose": drafting and definition.is_editable,
        "approve": sides,
        "request_changes": bool(sides),
        "new_draft": drafting,
        "backtest": drafting,
    }


# Events after which a recorded backtest no longer describes the version's rules.
_RULES_CHANGED = ("drafted", "edited", "suggested")


def with_evidence(queryset: QuerySet[QualificationDefinition]) -> QuerySet[QualificationDefinition]:
    """Each version with its latest event that changed its rules or backtested them, read in the
    same query (see :func:`latest_evidence`)."""
    latest = DefinitionEvent.objects.filter(
        definition=OuterRef("pk"), kind__in=(*_RULES_CHANGED, "backtested")
    ).order_by("-created_at", "-id")
    return queryset.annotate(
        evidence_kind=Subquery(latest.values("kind")[:1]),
        evidence_details=Subquery(latest.values("details")[:1], output_field=JSONField()),
        evidence_at=Subquery(latest.values("created_at")[:1]),
    )


def latest_evidence(definition: QualificationDefinition) -> dict | None:
    """The backtest recorded for the version's rules as they stand ({"result", "at"}), or None
    when there is none or the rules changed after it. Read from :func:`with_evidence`'s
    annotations when the version carries them, else in one query."""
    if hasattr(definition, "evidence_kind"):
        kind, details, at = definition.evidence_kind, definition.evidence_details, definition.evidence_at
    else:
        event = (
            definition.events.filter(kind__in=(*_RULES_CHANGED, "backtested"))
            .order_by("-created_at", "-id")
            .only("kind", "details", "created_at")
            .first()
        )
        kind, details, at = (event.kind, event.details, event.created_at) if event else (None, None, None)
    if isinstance(details, str):  # some backends hand a subquery's JSON back as text
        details = json.loads(details)
    if kind != "backtested" or not isinstance(details, dict) or not isinstance(details.get("backtest"), dict):
        return None
    return {"result": details["backtest"], "at": at}


def rule_figures(result: dict | None) -> dict[tuple[str, int], list[dict]]:
    """The backtest's rows by the rule they report on: ("field", i) → rows (a points table has a
    row per value), ("engagement", j) → its row."""
    figures: dict[tuple[str, int], list[dict]] = {}
    for row in (result or {}).get("rules", []):
        of = row.get("of")
        if isinstance(of, list) and len(of) == 2:
            figures.setdefault((of[0], int(of[1])), []).append(row)
    return figures


def rules_in_words(terms: scoring.Terms, result: dict | None = None) -> dict[str, list[dict]]:
    """The version's rules as people read them, each with the leads it matches and their lift in
    ``result`` (a backtest of these very rules): {"fit": [...], "engagement": [...]}, each item
    {"text", "figures"}. The detail, editor and compare pages all show rules through this."""
    figures = rule_figures(result)
    labels = terms.labels
    fit, engagement = [], []
    for index, rule in enumerate(terms.field_rules):
        item = {"text": rule.describe(labels), "figures": figures.get(("field", index), [])}
        (fit if rule.part == "fit" else engagement).append(item)
    activity = [
        {"text": rule.describe(labels), "figures": figures.get(("engagement", index), [])}
        for index, rule in enumerate(terms.engagement_rules)
    ]
    return {"fit": fit, "engagement": [*activity, *engagement]}


def sales_ready_in_words(terms: scoring.Terms) -> str:
    """The sales-ready rule as a sentence: "Grade A or B and bucket hot, or any lead with a demo
    request"."""
    parts = []
    if terms.ready_grades and terms.ready_buckets:
        grades = scoring._or_list([g for g in scoring.GRADES if g in terms.ready_grades])
        buckets = scoring._or_list([label.lower() for b, label in BUCKETS if b in terms.ready_buckets])
        parts.append(f"Grade {grades} and bucket {buckets}")
    if terms.ready_activities:
        kinds = [label.lower() for kind, label in ACTIVITY_KINDS if kind in terms.ready_activities]
        parts.append(f"any lead with a {scoring._or_list(kinds)}")
    if not parts:
        return "No lead is ever sales-ready."
    text = ", or ".join(parts)
    return text[:1].upper() + text[1:] + "."


EVENT_WORDS = {
    "drafted": "Drafted",
    "edited": "Edited",
    "suggested": "Suggested from known outcomes",
    "backtested": "Backtested",
    "proposed": "Proposed to both leaders",
    "approved": "Approved",
    "changes_requested": "Changes asked for",
    "activated": "Became the active version",
    "retired": "Retired",
}
