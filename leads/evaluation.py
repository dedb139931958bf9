"""How each lead measures up against the active qualified-lead definition: its grade, fit points,
score, bucket and sales-ready flag, kept on the Lead and recomputed

- for one lead when it is created or changed and when activity is logged on it (the services
  call :func:`lead_evaluate` inside their transaction), and
- for every lead when a new version becomes active (:func:`leads_evaluate_all`, run by the
  ``reevaluate_leads`` task through an :class:`EvaluationRun` that shows its progress, and by
  ``manage.py evaluate_leads``).

This module is the one place that knows how a Lead becomes :class:`scoring.LeadFacts`; the
scoring itself is the pure engine in alignment.scoring.

The moment of evaluation
------------------------
Scores fade with time, so they depend on the moment of evaluation (``as_of``). Unless told
otherwise, every evaluation here uses :func:`evaluation_moment`: the *end of the current UTC
day* (the coming midnight, UTC). All evaluations made on the same UTC day therefore agree with
each other — two runs of ``evaluate_leads`` in a row give the same figures, and a lead
evaluated on its own matches the batch run — and every activity logged today counts already
(with the start of the day instead, a demo request logged this morning would not make the lead
sales-ready until tomorrow). The price is that points fade by whole days: a score is at most one
day's decay lower than at this very second.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from alignment import scoring
from alignment.models import QualificationDefinition
from alignment.selectors import active_definition, active_definition_terms, definition_terms
from leads.exceptions import LeadError
from leads.models import Activity, EvaluationRun, Lead, LeadEvent, Notification
from leads.notifications import Draft, notify
from leads.signals import leads_became_sales_ready

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A running re-evaluation without progress for this long has lost its worker, or its task never
# arrived (the broker was down): :func:`evaluation_runs_resume` runs it.
STALLED_AFTER = timedelta(minutes=10)
# The Lead fields an evaluation writes, besides evaluated_with and evaluated_at.
RESULT_FIELDS = ("grade", "fit_points", "score", "bucket", "sales_ready", "priority")
# The result fields written together: the grade follows from the fit points and the bucket from
# the score, so a batch has about as many distinct values of each pair as the definition gives
# fit-point sums and scores (a dozen, a hundred), far fewer than of all five fields together.
_GROUPS = (("grade", "fit_points"), ("score", "bucket"), ("priority",))
# Lead columns that scoring reads, as values() names (the source's interest through the join).
FACT_COLUMNS = (
    "title",
    "industry",
    "employees",
    "country",
    "is_customer",
    "source__interest",
    "source__name",
    "campaign__name",
    "properties",
    "created_at",
)


def evaluation_moment(now: datetime | None = None) -> datetime:
    """The end of the current UTC day: the ``as_of`` of every evaluation made today (see above)."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)


def empty_summary() -> dict:
    return {
        "evaluated": 0,
        "grades": dict.fromkeys(scoring.GRADES, 0),
        "buckets": dict.fromkeys(scoring.BUCKETS, 0),
        "sales_ready": 0,
    }


# --- Reads ---------------------------------------------------------------------------------


def facts_of(lead: Lead) -> scoring.LeadFacts:
    """What the scoring engine needs to know about ``lead``."""
    return scoring.LeadFacts(
        title=lead.title,
        industry=lead.industry,
        employees=lead.employees,
        country=lead.country,
        is_customer=lead.is_customer,
        source_interest=lead.source.interest,
        created_at=lead.created_at,
        source=lead.source.name,
        campaign=lead.campaign.name if lead.campaign_id else "",
        properties=lead.properties or {},
    )


def facts_of_row(row: dict) -> scoring.LeadFacts:
    """The facts of a lead read as ``values(*FACT_COLUMNS)``."""
    return scoring.LeadFacts(
        title=row["title"],
        industry=row["industry"],
        employees=row["employees"],
        country=row["country"],
        is_customer=row["is_customer"],
        source_interest=row["source__interest"],
        created_at=row["created_at"],
        source=row["source__name"] or "",
        campaign=row["campaign__name"] or "",
        properties=row["properties"] or {},
    )


def activities_of(lead: Lead) -> list[scoring.Activity]:
    return [
        scoring.Activity(kind=kind, at=at)
        for kind, at in Activity.objects.filter(lead=lead).values_list("kind", "occurred_at")
    ]


def explain(
    *, lead: Lead, definition: QualificationDefinition | None = None, as_of: datetime | None = None
) -> scoring.Evaluation | None:
    """``lead`` measured against ``definition`` (by default the active one), rule by rule, for
    the hand-off form; None when no definition is active."""
    definition = definition or active_definition()
    if definition is None:
        return None
    return scoring.evaluate(
        definition_terms(definition), facts_of(lead), activities_of(lead), as_of=as_of or evaluation_moment()
    )


def readiness_of(leads: list[Lead]) -> dict[int, str]:
    """Why each lead is sales-ready (or not) under the active definition, as one sentence by lead
    id (the reasons of :meth:`scoring.Evaluation.why`), for pages that list leads: two queries
    whatever their number (which version is active, and their activities), the terms read once
    per process. Empty when no definition is active. The leads need their source and campaign."""
    definition, terms = active_definition_terms()
    if definition is None or not leads:
        return {}
    as_of = evaluation_moment()
    ids = sorted({lead.pk for lead in leads})
    activities = activities_of_rows(ids, kinds=counted_kinds(terms), as_of=as_of)
    return {
        lead.pk: scoring.evaluate(terms, facts_of(lead), activities.get(lead.pk, ()), as_of=as_of).why()
        for lead in leads
    }


def evaluation_runs_for(definition: QualificationDefinition) -> QuerySet[EvaluationRun]:
    """The re-evaluations started for ``definition``, newest first, with their progress
    (``done`` of ``total``, ``percent``, ``status``)."""
    return (
        EvaluationRun.objects.filter(definition=definition).select_related("started_by").order_by("-started_at", "-id")
    )


def counted_kinds(*terms: scoring.Terms | None) -> set[str]:
    """The activity kinds some rule of these terms counts: only those need to be read."""
    kinds: set[str] = set()
    for one in terms:
        if one is not None:
            kinds |= {rule.activity for rule in one.engagement_rules} | set(one.ready_activities)
    return kinds & set(scoring.ACTIVITY_KINDS)


def activities_of_rows(ids: list[int], *, kinds: set[str], as_of: datetime) -> dict[int, list[scoring.Activity]]:
    """The activities of kinds ``kinds`` of the leads ``ids`` (id-ordered), up to ``as_of``, by
    lead, in one query (none when no kind is asked for)."""
    activities: dict[int, list[scoring.Activity]] = defaultdict(list)
    if kinds and ids:
        # A range reads an id-ordered batch of every lead faster than a list of its ids.
        of_rows = (
            Q(lead_id__gte=ids[0], lead_id__lte=ids[-1]) if len(ids) == ids[-1] - ids[0] + 1 else Q(lead_id__in=ids)
        )
        for lead_id, kind, at in Activity.objects.filter(of_rows, kind__in=kinds, occurred_at__lte=as_of).values_list(
            "lead_id", "kind", "occurred_at"
        ):
            activities[lead_id].append(scoring.Activity(kind=kind, at=at))
    return activities


# --- One lead ------------------------------------------------------------------------------


def lead_evaluate(*, lead: Lead, as_of: datetime | None = None) -> Lead:
    """Evaluate ``lead`` against the active definition and save the result on it (one UPDATE).
    Without an active definition the lead is left as it is. Call it inside the transaction that
    changed the lead or its activities."""
    definition = active_definition()
    if definition is None:
        return lead
    evaluation = scoring.evaluate(
        definition_terms(definition), facts_of(lead), activities_of(lead), as_of=as_of or evaluation_moment()
    )
    changes = {
        **{name: getattr(evaluation, name) for name in RESULT_FIELDS},
        "evaluated_with": definition,
        "evaluated_at": timezone.now(),
    }
    became_ready = evaluation.sales_ready and not lead.sales_ready
    Lead.objects.filter(pk=lead.pk).update(**changes)
    for name, value in changes.items():
        setattr(lead, name, value)
    if became_ready:
        leads_record_sales_ready(lead_ids=[lead.pk], definition=definition, at=changes["evaluated_at"])
    return lead


def leads_record_sales_ready(*, lead_ids: list[int], definition: QualificationDefinition, at: datetime) -> None:
    """Leads that were not sales-ready and now are: an event on each (their history says when and
    under which version), then the signal routing listens to. Every path that makes leads
    sales-ready (evaluation, re-scoring, imports, the API) ends here, inside its transaction."""
    if not lead_ids:
        return
    version = definition.version
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead_id=pk, kind=LeadEvent.Kind.SALES_READY, details={"version": version}, created_at=at)
            for pk in lead_ids
        ],
        batch_size=1000,
    )
    leads_became_sales_ready.send(sender=Lead, lead_ids=list(lead_ids), at=at)


# --- Every lead ----------------------------------------------------------------------------


def leads_evaluate_all(
    *,
    definition: QualificationDefinition | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    as_of: datetime | None = None,
) -> dict:
    """Re-evaluate every lead against ``definition`` (by default the active one) and return
    ``{"evaluated", "grades": {A..D}, "buckets": {hot..unqualified}, "sales_ready"}``.

    Leads are read in id-ordered keyset batches, each with a bounded number of queries: one for
    the leads (with their source's interest), one for their activities, two UPDATEs setting
    sales-ready (true / false) with the definition and the time, then grouped UPDATEs, only for
    leads whose values changed: one per distinct (grade, fit points) and one per distinct
    (score, bucket). Their number is bounded by the fit-point sums and scores the definition
    can give (on the benchmark's data about 10 and 100 per batch of 2,000), not by the batch
    size, and is zero when nothing changed (a second run on the same day). ``bulk_update`` would
    write a batch in one statement, but its per-row CASE is far slower.
    Each batch commits on its own; ``progress(done, total)`` is called after each one. ``as_of``
    defaults to :func:`evaluation_moment`, so two runs on the same day give the same figures.
    Raises LeadError when no definition is active."""
    definition, terms = _grading_terms(definition)
    as_of = as_of or evaluation_moment()
    total = Lead.objects.count()
    summary = empty_summary()
    grades, buckets = Counter(), Counter()
    last_id = 0
    while True:
        rows = list(
            Lead.objects.filter(id__gt=last_id).order_by("id").values("id", *FACT_COLUMNS, *RESULT_FIELDS)[:batch_size]
        )
        if not rows:
            break
        last_id = rows[-1]["id"]
        sales_ready = _evaluate_rows(
            rows, definition=definition, terms=terms, as_of=as_of, grades=grades, buckets=buckets
        )
        summary["sales_ready"] += sales_ready
        summary["evaluated"] += len(rows)
        if progress is not None:
            progress(summary["evaluated"], max(total, summary["evaluated"]))
    summary["grades"].update(grades)
    summary["buckets"].update(buckets)
    return summary


def leads_evaluate(*, ids: list[int], as_of: datetime | None = None) -> None:
    """Evaluate the leads ``ids`` (a batch, say of one import) against the active definition, with
    the same bounded queries as one batch of :func:`leads_evaluate_all`. Without an active
    definition they are left as they are. Call it inside the transaction that changed them."""
    if not ids or active_definition() is None:
        return
    definition, terms = _grading_terms(None)
    rows = list(Lead.objects.filter(id__in=ids).order_by("id").values("id", *FACT_COLUMNS, *RESULT_FIELDS))
    _evaluate_rows(rows, definition=definition, terms=terms, as_of=as_of or evaluation_moment())


def _grading_terms(definition: QualificationDefinition | None) -> tuple[QualificationDefinition, scoring.Terms]:
    definition = definition or active_definition()
    if definition is None:
        raise LeadError("No qualified-lead definition is active: there is nothing to evaluate the leads against.")
    terms = definition_terms(definition)
    problems = scoring.validate_terms(terms)
    if problems:
        raise LeadError(f"Version {definition.version} cannot grade leads: {' '.join(problems)}")
    return definition, terms


def _evaluate_rows(
    rows: list[dict],
    *,
    definition: QualificationDefinition,
    terms: scoring.Terms,
    as_of: datetime,
    grades: Counter | None = None,
    buckets: Counter | None = None,
) -> int:
    """Evaluate ``rows`` (values of ``FACT_COLUMNS`` and ``RESULT_FIELDS``, with "id") and write
    what changed: one query for their activities, two UPDATEs for sales-ready with the definition
    and time, and one grouped UPDATE per distinct changed (grade, fit points) and (score, bucket).
    Returns how many are sales-ready; counts grades and buckets into the given counters."""
    activities = activities_of_rows([row["id"] for row in rows], kinds=counted_kinds(terms), as_of=as_of)
    # Leads by the value of each group of result fields they get, when that group changed.
    changed: dict[tuple[str, ...], dict[tuple, list[int]]] = {fields: defaultdict(list) for fields in _GROUPS}
    ready: dict[bool, list[int]] = {True: [], False: []}
    became_ready: list[int] = []
    for row in rows:
        evaluation = scoring.figures(terms, facts_of_row(row), activities.get(row["id"], ()), as_of=as_of)
        for fields, leads in changed.items():
            result = tuple(getattr(evaluation, name) for name in fields)
            if result != tuple(row[name] for name in fields):
                leads[result].append(row["id"])
        ready[evaluation.sales_ready].append(row["id"])
        if evaluation.sales_ready and not row["sales_ready"]:
            became_ready.append(row["id"])
        if grades is not None:
            grades[evaluation.grade] += 1
        if buckets is not None:
            buckets[evaluation.bucket] += 1
    now = timezone.now()
    with transaction.atomic():
        for sales_ready, ready_ids in ready.items():
            if ready_ids:
                Lead.objects.filter(pk__in=ready_ids).update(
                    sales_ready=sales_ready, evaluated_with=definition, evaluated_at=now
                )
        for fields, leads in changed.items():
            for result, lead_ids in leads.items():
                Lead.objects.filter(pk__in=lead_ids).update(**dict(zip(fields, result, strict=True)))
        leads_record_sales_ready(lead_ids=became_ready, definition=definition, at=now)
    return len(ready[True])


# --- Re-evaluation when a version becomes active ---------------------------------------------


def evaluation_run_start(*, definition: QualificationDefinition, by=None) -> EvaluationRun:
    """Record a re-evaluation of every lead against ``definition`` (the task does the work)."""
    return EvaluationRun.objects.create(
        definition=definition, started_by=by, total=Lead.objects.count(), started_at=timezone.now()
    )


def evaluation_run_execute(*, run_id: int, batch_size: int = BATCH_SIZE) -> dict:
    """Do the run's re-evaluation, keep its progress up to date (one UPDATE per batch), mark it
    finished with the summary and tell whoever activated the version. A finished run does
    nothing (returns its summary), so a redelivered task is harmless; a failed one starts over.
    One worker at a time: the run is claimed by a conditional UPDATE, and a run another worker is
    making progress on (within ``STALLED_AFTER``) is left to it (returns {}).
    A run whose version is no longer active finishes without evaluating: the newer version's own
    run re-evaluates the leads."""
    run = EvaluationRun.objects.select_related("definition", "started_by").filter(pk=run_id).first()
    if run is None or run.status == EvaluationRun.Status.FINISHED:
        return run.summary if run else {}
    definition = run.definition
    if definition.status != QualificationDefinition.Status.ACTIVE:
        summary = {"skipped": f"Version {definition.version} is no longer active."}
        _finish(run, summary)
        return summary
    now = timezone.now()
    claimed = (
        EvaluationRun.objects.filter(pk=run.pk)
        .exclude(status=EvaluationRun.Status.FINISHED)
        .filter(Q(progressed_at__isnull=True) | Q(progressed_at__lt=now - STALLED_AFTER))
        .update(status=EvaluationRun.Status.RUNNING, done=0, progressed_at=now)
    )
    if claimed != 1:
        return {}  # finished meanwhile, or another worker is on it

    def progress(done: int, total: int) -> None:
        EvaluationRun.objects.filter(pk=run.pk).update(done=done, total=total, progressed_at=timezone.now())

    try:
        summary = leads_evaluate_all(definition=definition, batch_size=batch_size, progress=progress)
    except Exception:
        EvaluationRun.objects.filter(pk=run.pk).update(
            status=EvaluationRun.Status.FAILED, finished_at=timezone.now(), progressed_at=None
        )
        raise
    if _finish(run, summary) and run.started_by is not None:
        notify(
            [
                Draft(
                    recipient=run.started_by,
                    kind=Notification.Kind.EVALUATION,
                    message=f"Every lead was re-evaluated against {definition}: {describe(summary)}",
                    link=reverse("admin:leads_evaluationrun_changelist") + f"?definition__id__exact={definition.pk}",
                    subject=f"Leads re-evaluated against qualified-lead definition {definition}",
                )
            ]
        )
    return summary


def evaluation_runs_resume(*, now: datetime | None = None) -> list[int]:
    """Run every re-evaluation that is running without progress for ``STALLED_AFTER``: its task
    never arrived (the broker was down when the version became active) or its worker stopped.
    Safe to run twice and beside the task itself (each run is claimed). Returns the runs done."""
    stale = (now or timezone.now()) - STALLED_AFTER
    stalled = list(
        EvaluationRun.objects.filter(status=EvaluationRun.Status.RUNNING, started_at__lt=stale)
        .filter(Q(progressed_at__isnull=True) | Q(progressed_at__lt=stale))
        .order_by("id")
        .values_list("pk", flat=True)
    )
    resumed = []
    for run_id in stalled:
        if evaluation_run_execute(run_id=run_id):
            resumed.append(run_id)
    return resumed


def _finish(run: EvaluationRun, summary: dict) -> bool:
    """Mark the run finished; False when it already was (another worker got there first)."""
    finished = (
        EvaluationRun.objects.filter(pk=run.pk)
        .exclude(status=EvaluationRun.Status.FINISHED)
        .update(
            status=EvaluationRun.Status.FINISHED,
            summary=summary,
            finished_at=timezone.now(),
            **({"done": summary["evaluated"], "total": summary["evaluated"]} if "evaluated" in summary else {}),
        )
    )
    return finished == 1


def describe(summary: dict) -> str:
    """A summary in words: "1,234 leads: A 10, B 200, C 300, D 724; hot 5, ...; 42 sales-ready."."""
    grades = ", ".join(f"{grade} {count:,}" for grade, count in summary["grades"].items())
    buckets = ", ".join(f"{bucket} {count:,}" for bucket, count in summary["buckets"].items())
    return f"{summary['evaluated']:,} leads: {grades}; {buckets}; {summary['sales_ready']:,} sales-ready."
