"""Reads about the agreement: definitions and their rules, as the scoring engine takes them."""

from collections import Counter

from django.db.models import QuerySet

from alignment import scoring
from alignment.models import DefinitionApproval, QualificationDefinition


def _split(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def definitions() -> QuerySet[QualificationDefinition]:
    return QualificationDefinition.objects.select_related("created_by", "based_on")


def active_definition() -> QualificationDefinition | None:
    return (
        QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
        .prefetch_related("fit_rules", "engagement_rules")
        .first()
    )


def definition_terms(definition: QualificationDefinition) -> scoring.Terms:
    """The version's rules as the pure scoring engine takes them."""
    return scoring.Terms(
        fit_rules=tuple(
            scoring.FitRule(
                field=rule.field,
                points=rule.points,
                values=rule.value_list,
                minimum=rule.minimum,
                maximum=rule.maximum,
                expected=rule.expected,
            )
            for rule in definition.fit_rules.all()
        ),
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
    )


def definition_problems(definition: QualificationDefinition) -> list[str]:
    return scoring.validate_terms(definition_terms(definition))


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
        [rule.describe() for rule in terms[a.pk].fit_rules],
        [rule.describe() for rule in terms[b.pk].fit_rules],
    )
    for label, attribute in (
        ("Grade A from", "grade_a_min"),
        ("Grade B from", "grade_b_min"),
        ("Grade C from", "grade_c_min"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    add_rules(
        "Engagement rule",
        [rule.describe() for rule in terms[a.pk].engagement_rules],
        [rule.describe() for rule in terms[b.pk].engagement_rules],
    )
    for label, attribute in (
        ("Points halve every (days)", "half_life_days"),
        ("Hot from", "hot_min"),
        ("Warm from", "warm_min"),
        ("Cold from", "cold_min"),
        ("Sales-ready grades", "ready_grades"),
        ("Sales-ready buckets", "ready_buckets"),
        ("Sales-ready on activity", "ready_activities"),
        ("Accept within (business hours)", "accept_within_hours"),
        ("First touch within (business hours)", "first_touch_within_hours"),
        ("Touches before 'unresponsive'", "touches_before_unresponsive"),
        ("When the accept time runs out", "expiry_action"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    add_rules(
        "Rejection reason", [str(r) for r in a.rejection_reasons.all()], [str(r) for r in b.rejection_reasons.all()]
    )
    return rows
