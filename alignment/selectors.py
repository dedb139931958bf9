"""Reads about the agreement: definitions and their rules, as the scoring engine takes them."""

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

    terms = {d.pk: definition_terms(d) for d in (a, b)}
    fit = {d.pk: {rule.describe() for rule in terms[d.pk].fit_rules} for d in (a, b)}
    for described in sorted(fit[a.pk] | fit[b.pk]):
        add("Fit rule", described if described in fit[a.pk] else "—", described if described in fit[b.pk] else "—")
    for label, attribute in (
        ("Grade A from", "grade_a_min"),
        ("Grade B from", "grade_b_min"),
        ("Grade C from", "grade_c_min"),
    ):
        add(label, getattr(a, attribute), getattr(b, attribute))
    engagement = {d.pk: {rule.describe() for rule in terms[d.pk].engagement_rules} for d in (a, b)}
    for described in sorted(engagement[a.pk] | engagement[b.pk]):
        add(
            "Engagement rule",
            described if described in engagement[a.pk] else "—",
            described if described in engagement[b.pk] else "—",
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
    reasons = {d.pk: {str(r) for r in d.rejection_reasons.all()} for d in (a, b)}
    for reason in sorted(reasons[a.pk] | reasons[b.pk]):
        add("Rejection reason", reason if reason in reasons[a.pk] else "—", reason if reason in reasons[b.pk] else "—")
    return rows
