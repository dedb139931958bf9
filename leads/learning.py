"""Learning from the outcomes Accord knows: which leads' outcomes are known, how a definition
would have ranked them (its backtest), and a draft definition fitted from them (a suggestion).

An outcome is chosen among :data:`OUTCOMES`; a lead's outcome is known when it succeeded or
failed by that measure, and open leads are left out:

- ``won``: won is a success; lost or disqualified a failure.
- ``qualified``: reaching qualified (SQL), an opportunity or won is a success; lost, disqualified
  or a rejected hand-off without reaching it a failure.
- ``accepted``: a hand-off accepted by sales is a success; one rejected (and none accepted) a
  failure.

Leads are read in id-ordered batches of a bounded number of queries each (the leads with their
outcome, their activities), so a backtest or a fit over 100,000 leads keeps its memory to the
facts it needs.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.fields import BooleanField
from django.urls import reverse
from django.utils import timezone

from alignment import backtest, fitting, scoring
from alignment import services as alignment_services
from alignment.models import DefinitionEvent, LeadProperty, QualificationDefinition
from alignment.selectors import active_definition, definition_terms, property_kinds
from leads.evaluation import FACT_COLUMNS, activities_of_rows, counted_kinds, evaluation_moment, facts_of_row
from leads.exceptions import LeadError
from leads.models import Handoff, Lead, LeadEvent, Notification, Stage
from leads.notifications import Draft, notify
from outbox.models import OutboxMessage
from outbox.services import enqueue_task

BATCH_SIZE = 5000
# Up to this many known outcomes a suggestion is fitted while the person waits (a few seconds);
# beyond, a worker fits it and tells them when the draft is ready.
SUGGEST_INLINE_OUTCOMES = 20_000
OUTCOMES = backtest.OUTCOMES
_REACHED_QUALIFIED = (Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON)
_FAILED = (Stage.LOST, Stage.DISQUALIFIED)
# The standard fields a suggestion may learn from, with the kind of value each holds.
LEARNABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("source", scoring.CHOICE),
    ("campaign", scoring.CHOICE),
    ("industry", scoring.CHOICE),
    ("country", scoring.CHOICE),
    ("seniority", scoring.CHOICE),
    ("employees", scoring.NUMBER),
    ("is_customer", scoring.YES_NO),
)


def _check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise LeadError(f"'{outcome}' is not an outcome Accord learns from; use one of {', '.join(OUTCOMES)}.")


def known_outcomes(*, outcome: str = "won", since: date | None = None, until: date | None = None) -> QuerySet[Lead]:
    """The leads created from ``since`` to ``until`` (both days included) whose ``outcome`` is
    known, each annotated with ``success``."""
    _check_outcome(outcome)
    leads = Lead.objects.exclude(stage=Stage.MERGED)
    if since is not None:
        leads = leads.filter(created_at__gte=_day_start(since))
    if until is not None:
        leads = leads.filter(created_at__lt=_day_start(until + timedelta(days=1)))
    if outcome == "won":
        success = Q(stage=Stage.WON)
        known = Q(stage__in=(Stage.WON, *_FAILED))
    elif outcome == "qualified":
        reached = Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), to_stage__in=_REACHED_QUALIFIED))
        success = Q(stage__in=_REACHED_QUALIFIED) | Q(reached)
        rejected = Exists(Handoff.objects.filter(lead=OuterRef("pk"), status=Handoff.Status.REJECTED))
        known = success | Q(stage__in=_FAILED) | Q(rejected)
    else:
        success = Q(Exists(Handoff.objects.filter(lead=OuterRef("pk"), status=Handoff.Status.ACCEPTED)))
        known = success | Q(Exists(Handoff.objects.filter(lead=OuterRef("pk"), status=Handoff.Status.REJECTED)))
    return leads.filter(known).annotate(success=ExpressionWrapper(success, output_field=BooleanField()))


def known_outcome_batches(
    *, outcome: str, since: date | None, until: date | None, batch_size: int = BATCH_SIZE
) -> Iterator[list[dict]]:
    """:func:`known_outcomes` as id-ordered batches of ``values("id", *FACT_COLUMNS, "success")``."""
    leads = known_outcomes(outcome=outcome, since=since, until=until)
    last_id = 0
    while True:
        rows = list(leads.filter(id__gt=last_id).order_by("id").values("id", *FACT_COLUMNS, "success")[:batch_size])
        if not rows:
            return
        last_id = rows[-1]["id"]
        yield rows


# --- Backtest -----------------------------------------------------------------------------


def definition_backtest(
    *,
    definition: QualificationDefinition,
    outcome: str = "won",
    since: date | None = None,
    until: date | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict:
    """How ``definition`` (any version, drafts included) would have ranked the leads whose
    ``outcome`` is known (see alignment.backtest), against the active version when it is
    another one. Raises LeadError when the version cannot grade leads."""
    _check_outcome(outcome)
    terms = _valid_terms(definition)
    active = active_definition()
    baseline = definition_terms(active) if active is not None and active.pk != definition.pk else None
    as_of = evaluation_moment()
    run = backtest.Backtest(terms, as_of=as_of, baseline=baseline)
    kinds = counted_kinds(terms, baseline)
    for rows in known_outcome_batches(outcome=outcome, since=since, until=until, batch_size=batch_size):
        activities = activities_of_rows([row["id"] for row in rows], kinds=kinds, as_of=as_of)
        run.add(backtest.Known(facts_of_row(row), activities.get(row["id"], ()), bool(row["success"])) for row in rows)
    return {
        "version": definition.version,
        "outcome": outcome,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "baseline_version": active.version if baseline is not None else None,
        **run.result(),
    }


def definition_evidence(definition: QualificationDefinition, outcome: str = "won") -> tuple[dict | None, str]:
    """The backtest a definition's editor shows beside it (alignment.panels): (figures, "") or
    (None, why the version cannot be backtested yet)."""
    try:
        return definition_backtest(definition=definition, outcome=outcome), ""
    except LeadError as error:
        return None, str(error)


def _valid_terms(definition: QualificationDefinition) -> scoring.Terms:
    terms = definition_terms(definition)
    problems = scoring.validate_terms(terms, property_kinds())
    if problems:
        raise LeadError(f"Version {definition.version} cannot grade leads: {' '.join(problems)}")
    return terms


# --- Suggestion ---------------------------------------------------------------------------


def learnable_features() -> list[fitting.Feature]:
    """The standard fields and the properties a suggestion may learn from (a property marked
    as recorded after contact is not one of them; nor are dates)."""
    features = [fitting.Feature(field=name, kind=kind, part="fit") for name, kind in LEARNABLE_FIELDS]
    for prop in LeadProperty.objects.filter(learn_from=True).exclude(kind=LeadProperty.Kind.DATE):
        features.append(
            fitting.Feature(
                field=f"{scoring.PROPERTY_PREFIX}{prop.key}", kind=prop.kind, part=prop.part, label=prop.label
            )
        )
    return features


def definition_suggest(
    *,
    by,
    outcome: str = "won",
    since: date | None = None,
    until: date | None = None,
    name: str = "",
    request_key: str = "",
) -> tuple[QualificationDefinition, fitting.Scorecard, dict]:
    """Fit a scorecard to the leads whose ``outcome`` is known and write it as a new draft, with
    its backtest recorded in the draft's history. Nothing takes effect until both leaders sign
    it. Raises LeadError when too few outcomes are known, or ``by`` may not draft."""
    _check_outcome(outcome)
    features = learnable_features()
    facts: list[scoring.LeadFacts] = []
    outcomes: list[bool] = []
    for rows in known_outcome_batches(outcome=outcome, since=since, until=until):
        facts.extend(facts_of_row(row) for row in rows)
        outcomes.extend(bool(row["success"]) for row in rows)
    try:
        card = fitting.fit_scorecard(facts, outcomes, features)
    except fitting.TooFewOutcomes as error:
        raise LeadError(str(error)) from error
    period = _period_words(since, until)
    definition = alignment_services.definition_create_from_scorecard(
        by=by,
        name=name or f"Suggested from {outcome} outcomes",
        scorecard=card,
        request_key=request_key,
        notes=(
            f"Fitted to {card.leads:,} leads whose outcome ({OUTCOMES[outcome].lower()}) is known{period}:"
            f" {card.successes:,} successes. ROC-AUC on those leads: {card.train_auc:.3f}."
        ),
    )
    result = definition_backtest(definition=definition, outcome=outcome, since=since, until=until)
    alignment_services.definition_record_backtest(definition=definition, by=by, result=result)
    return definition, card, result


def suggestion_runs_in_background(*, outcome: str, since: date | None, until: date | None) -> bool:
    return known_outcomes(outcome=outcome, since=since, until=until).count() > SUGGEST_INLINE_OUTCOMES


def definition_suggest_later(*, by, outcome: str, since: date | None, until: date | None) -> bool:
    """Have a worker fit the suggestion; ``by`` is told when the draft is ready, or why there is
    none. The request goes through the outbox: True when it reached the broker at once, False
    when it waits there for the broker to come back (it is fitted then)."""
    _check_outcome(outcome)
    request_key = uuid4().hex
    with transaction.atomic():
        key = enqueue_task(
            task="leads.tasks.suggest_definition",
            args=[by.pk, outcome, since.isoformat() if since else None, until.isoformat() if until else None],
            kwargs={"request_key": request_key},
            key=f"suggest:{request_key}",
        )
    return OutboxMessage.objects.filter(key=key, sent_at__isnull=False).exists()


def suggestion_execute(
    *, by_id: int, outcome: str, since: str | None, until: str | None, request_key: str
) -> int | None:
    """The worker's side of :func:`definition_suggest_later`: fit, draft and tell the person. A
    request already drafted (the task delivered twice) drafts nothing more. Returns the version."""
    done = DefinitionEvent.objects.filter(kind="suggested", details__request=request_key).first()
    if done is not None:
        return done.definition.version
    by = get_user_model().objects.filter(pk=by_id).first()
    try:
        definition, card, result = definition_suggest(
            by=by,
            outcome=outcome,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
            request_key=request_key,
        )
    except LeadError as error:
        if by is not None:
            notify(
                [
                    Draft(
                        recipient=by,
                        kind=Notification.Kind.DEFINITION,
                        message=f"No draft was suggested: {error}",
                        link=reverse("definition_list"),
                    )
                ]
            )
        return None
    if by is not None:
        auc = "n/a" if result["auc"] is None else f"{result['auc']:.2f}"
        notify(
            [
                Draft(
                    recipient=by,
                    kind=Notification.Kind.DEFINITION,
                    message=f"v{definition.version} is a new draft fitted to {card.leads:,} leads with a known outcome:"
                    f" {len(card.rules)} rules, ROC-AUC {auc}. Read it, edit it, then propose it to both leaders.",
                    link=reverse("definition_backtest", args=[definition.pk]) + f"?outcome={outcome}",
                    subject=f"Suggested qualified-lead definition v{definition.version} is ready",
                )
            ]
        )
    return definition.version


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _period_words(since: date | None, until: date | None) -> str:
    if since and until:
        return f", created from {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    if since:
        return f", created from {since:%Y-%m-%d}"
    if until:
        return f", created until {until:%Y-%m-%d}"
    return ""
