"""Reads about the agreement: definitions and their rules, as the scoring engine takes them."""

from collections import Counter
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from alignment import routing, scoring
from alignment.models import (
    DefinitionApproval,
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


def compare(a: QualificationDefinition, b: QualificationDefinition) -> list[dict]:
    """Two versions side by side, rule by rule: [{"rule", "a", "b", "changed"}]."""
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

    terms = {d.pk: definition_terms(d) for d in (a, b)}
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
        ("Sales-ready grades", "ready_grades"),
        ("Sales-ready buckets", "ready_buckets"),
        ("Sales-ready on activity", "ready_activities"),
        ("Accept within (business hours)", "accept_within_hours"),
        ("First touch within (business hours)", "first_touch_within_hours"),
        ("Touches before 'unresponsive'", "touches_before_unresponsive"),
        ("When the accept time runs out", "expiry_action"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    labels = terms[a.pk].labels
    routes = {d.pk: [routing.describe(route, labels) for route in definition_routes(d)] for d in (a, b)}
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


def definitions_awaiting_signature(*, user) -> QuerySet[QualificationDefinition]:
    """Proposed versions that wait for ``user``'s side to sign this round (none for a person who
    signs for no side)."""
    from alignment.services import sides_of

    sides = sides_of(user)
    if not sides:
        return QualificationDefinition.objects.none()
    signed = DefinitionApproval.objects.filter(
        definition=OuterRef("pk"),
        round=OuterRef("round"),
        side__in=sides,
        decision=DefinitionApproval.Decision.APPROVED,
    )
    return QualificationDefinition.objects.filter(status=QualificationDefinition.Status.PROPOSED).exclude(
        Exists(signed)
    )
