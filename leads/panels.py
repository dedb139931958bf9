"""The leads app's panel on a definition's page: where leads sit under the active version, and
how the hand-offs made under each version fared (see alignment.panels)."""

from collections import Counter

from django.db.models import Count, Q

from alignment.models import BUCKETS, GRADES, QualificationDefinition
from alignment.panels import Panel
from leads.evaluation import evaluation_runs_for
from leads.models import Handoff, Lead


def definition_figures(definition: QualificationDefinition, user) -> Panel:
    context: dict = {"definition": definition, "runs": list(evaluation_runs_for(definition)[:3])}
    if definition.status == QualificationDefinition.Status.ACTIVE:
        # One pass over the leads graded by it: counts per (grade, bucket, sales-ready).
        cells = (
            Lead.objects.filter(evaluated_with=definition)
            .order_by()
            .values_list("grade", "bucket", "sales_ready")
            .annotate(n=Count("id"))
        )
        by_grade, by_bucket, ready = Counter(), Counter(), 0
        for grade, bucket, sales_ready, n in cells:
            by_grade[grade] += n
            by_bucket[bucket] += n
            ready += n if sales_ready else 0
        context["grades"] = [(grade, by_grade[grade]) for grade in GRADES]
        context["buckets"] = [(label, by_bucket[bucket]) for bucket, label in BUCKETS]
        context["sales_ready"] = ready
    decided = ~Q(status=Handoff.Status.PENDING)
    rows = (
        Handoff.objects.filter(definition__isnull=False)
        .order_by()
        .values("definition__version", "definition__name", "definition__status")
        .annotate(
            made=Count("id"),
            decided=Count("id", filter=decided),
            accepted=Count("id", filter=Q(status=Handoff.Status.ACCEPTED)),
            overridden=Count("id", filter=Q(override=True)),
        )
        .order_by("-definition__version")
    )
    context["versions"] = [
        {**row, "acceptance": round(100 * row["accepted"] / row["decided"]) if row["decided"] else None} for row in rows
    ]
    return Panel(template="leads/_definition_panel.html", context=context)
