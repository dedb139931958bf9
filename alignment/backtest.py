"""Backtest: how a qualified-lead definition would have ranked leads whose outcome is known.

Before marketing and sales agree on a new definition they want to know whether it puts the
leads that went on to buy (or to become opportunities: whatever the caller counts as a
*success*) ahead of the ones that did not. :class:`Backtest` replays the definition's
:class:`~alignment.scoring.Terms` over such leads at one moment ``as_of`` and says:

- how well the priority separates successes from failures (ROC-AUC);
- how each grade and each bucket converts, and whether a better grade or bucket really
  converts better (a grade C that converts above grade B means the fit rules are off);
- how precise the sales-ready verdict is and how many successes it catches;
- against a baseline (the definition in force, say), which leads would become or stop being
  sales-ready and how many of them succeeded;
- for every rule, how many leads it matches and how those leads convert compared with all
  leads (its *lift*), so a rule that rewards a trait of poor leads stands out. A field rule
  matches when :func:`~alignment.scoring.rule_points` says it is met; a points table is shown
  entry by entry (and "any other value"), since each value is a choice marketing made. An
  activity rule matches a lead with at least one such activity at or before ``as_of``; a
  source-interest rule a lead of that source interest created by then, as scoring counts it.

The module is pure, like :mod:`alignment.scoring`: the caller reads the leads from the
database and feeds them in batches with :meth:`Backtest.add`, so that a hundred thousand leads
never need to be in memory at once. Only counters are kept: each lead costs one
:func:`~alignment.scoring.figures` call per definition (not :func:`~alignment.scoring.evaluate`,
which also writes the reasons) and a few dictionary look-ups, and :meth:`Backtest.result` can be
called at any time, the same whether the leads came in one batch or many.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from alignment import scoring

OUTCOMES: dict[str, str] = {
    "won": "Won (against lost or disqualified)",
    "qualified": "Qualified by sales (SQL)",
    "accepted": "Accepted by sales",
}
"""What may count as a success, as the pages offer it (leads.learning says which leads each
counts)."""

PRIORITIES = 101
"""Priorities run from 0 to 100 (:func:`alignment.scoring.priority_of` clamps them)."""

_NO_ROW = -1
_REMEMBERED = 50_000
"""Values remembered per rule; past that (unique titles, say) a lead's row is worked out afresh."""


@dataclass(frozen=True)
class Known:
    """A lead whose outcome is known: its facts, its activities and whether it succeeded."""

    facts: scoring.LeadFacts
    activities: Sequence[scoring.Activity]
    success: bool


@dataclass(frozen=True)
class _Row:
    """One line of the rule report: a rule, or one entry of a table rule."""

    rule: str
    part: str
    # Which rule of the terms it reports on: ("field", i) for field_rules[i], ("engagement", j).
    index: tuple[str, int] = ("field", 0)


class _Tally:
    """Leads and successes of one group (a grade, a bucket, a rule's matches)."""

    __slots__ = ("leads", "successes")

    def __init__(self) -> None:
        self.leads = 0
        self.successes = 0


class _FieldRuleStats:
    """How often a field rule matched, and on which table entry.

    Whether a rule matches depends only on the field's value, and real leads share few values
    (industries, countries, occupations), so the row a value lands on is remembered by value:
    most leads then cost a dictionary look-up instead of a :func:`~alignment.scoring.rule_points`
    call. The key is the field's raw value as the lead holds it (the title for seniority, which
    saves the title's regular expressions too), with its type, since ``True == 1`` but a rule
    reads them differently ("yes" and "1"). At most ``_REMEMBERED`` values are kept, so that a
    field whose values are all different does not grow without bound.
    """

    def __init__(self, rule: scoring.FieldRule, labels: dict[str, str], index: int = 0) -> None:
        self.rule = rule
        label = scoring.field_label(rule.field, labels)
        self.key = scoring.property_key(rule.field)
        if rule.test == "table":
            # The first entry of a value wins, as in scoring.rule_points.
            self.entries: dict[str, int] = {}
            for entry, (value, _points) in enumerate(rule.table):
                self.entries.setdefault(scoring.text_of(value), entry)
            self.rows = [
                _Row(_entry_text(rule, label, value, points), rule.part, ("field", index))
                for value, points in rule.table
            ]
            self.rows.append(_Row(f"{label} is any other value: {rule.other_points:+d}", rule.part, ("field", index)))
        else:
            self.entries = {}
            self.rows = [_Row(rule.describe(labels), rule.part, ("field", index))]
        self.tallies = [_Tally() for _ in self.rows]
        # Seniority comes from the title.
        self._attribute = "title" if rule.field == "seniority" else rule.field
        self._known: dict[tuple[type, object], int] = {}

    def row_of(self, facts: scoring.LeadFacts) -> int:
        """The row the lead counts towards, or ``_NO_ROW`` when the rule does not match it."""
        raw = facts.properties.get(self.key) if self.key is not None else getattr(facts, self._attribute, None)
        try:
            return self._known[type(raw), raw]
        except KeyError:
            row = self._work_out(facts)
            if len(self._known) < _REMEMBERED:
                self._known[type(raw), raw] = row
            return row
        except TypeError:  # an unhashable property value: work it out every time
            return self._work_out(facts)

    def _work_out(self, facts: scoring.LeadFacts) -> int:
        met = scoring.rule_points(self.rule, facts)[0]
        if self.rule.test != "table":
            return 0 if met else _NO_ROW
        if not met:
            return len(self.rows) - 1
        value = scoring.value_of(facts, self.rule.field)
        return self.entries["" if scoring.is_empty(value) else scoring.text_of(value)]


class _Ranking:
    """What one definition makes of the leads: priorities, grades, buckets, sales-readiness.

    The AUC is counted exactly from the successes and failures at each of the 101 priorities
    (the Mann-Whitney statistic: a success ranked above a failure counts 1, a tie counts half).
    That takes two lists of 101 counters whatever the number of leads, adds up batch by batch,
    and gives the same figure as ``sklearn.metrics.roc_auc_score`` on the priorities without
    keeping them all.
    """

    def __init__(self, terms: scoring.Terms) -> None:
        self.terms = terms
        self.successes_at = [0] * PRIORITIES
        self.failures_at = [0] * PRIORITIES
        self.grades = {grade: _Tally() for grade in scoring.GRADES}
        self.buckets = {bucket: _Tally() for bucket in scoring.BUCKETS}
        self.ready = _Tally()

    def add(
        self, facts: scoring.LeadFacts, counted: Sequence[scoring.Activity], success: bool, as_of: datetime
    ) -> bool:
        """Count the lead in; whether the definition finds it sales-ready."""
        figures = scoring.figures(self.terms, facts, counted, as_of=as_of)
        if success:
            self.successes_at[figures.priority] += 1
        else:
            self.failures_at[figures.priority] += 1
        for tally in (self.grades[figures.grade], self.buckets[figures.bucket]):
            tally.leads += 1
            tally.successes += success
        if figures.sales_ready:
            self.ready.leads += 1
            self.ready.successes += success
        return figures.sales_ready

    def auc(self) -> float | None:
        successes, failures = sum(self.successes_at), sum(self.failures_at)
        if not successes or not failures:
            return None
        # Twice the Mann-Whitney U, to stay in whole numbers until the one division.
        twice_u = 0
        failures_below = 0
        for successes_here, failures_here in zip(self.successes_at, self.failures_at, strict=True):
            twice_u += successes_here * (2 * failures_below + failures_here)
            failures_below += failures_here
        return round(twice_u / (2 * successes * failures), 4)


class Backtest:
    """How ``terms`` would have ranked known leads at ``as_of``; feed them with :meth:`add`.

    ``baseline``, when given, is the definition to compare with (the one in force): the result
    then says which leads would change sales-readiness. Raises ValueError when ``as_of`` is naive
    or a definition is not valid (:func:`alignment.scoring.validate_terms`), since
    :func:`~alignment.scoring.figures` checks neither and would quietly give nonsense.
    """

    def __init__(self, terms: scoring.Terms, *, as_of: datetime, baseline: scoring.Terms | None = None) -> None:
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise ValueError(f"as_of must be an aware datetime, got {as_of!r}.")
        for name, checked in (("terms", terms), ("baseline", baseline)):
            problems = scoring.validate_terms(checked) if checked is not None else []
            if problems:
                raise ValueError(f"Invalid qualified-lead {name}: " + " ".join(problems))
        self.terms = terms
        self.as_of = as_of
        self._ranking = _Ranking(terms)
        self._baseline = _Ranking(baseline) if baseline is not None else None
        self._newly_ready = _Tally()
        self._no_longer_ready = _Tally()
        labels = dict(terms.labels)
        self._field_rules = [_FieldRuleStats(rule, labels, index) for index, rule in enumerate(terms.field_rules)]
        self._engagement_rules = [
            (rule, _Row(rule.describe(labels), "engagement", ("engagement", index)))
            for index, rule in enumerate(terms.engagement_rules)
        ]
        self._engagement_tallies = [_Tally() for _ in self._engagement_rules]
        self._all = _Tally()

    def add(self, leads: Iterable[Known]) -> None:
        """Count in a batch of leads (call once per batch; any batching gives the same result)."""
        as_of = self.as_of
        ranking, baseline = self._ranking, self._baseline
        field_rules = self._field_rules
        engagement = list(zip(self._engagement_rules, self._engagement_tallies, strict=True))
        everyone = self._all
        for known in leads:
            success = bool(known.success)
            facts = known.facts
            everyone.leads += 1
            everyone.successes += success
            # Activities after as_of had not happened yet; filter them once for both definitions.
            counted = [activity for activity in known.activities if activity.at <= as_of]
            ready = ranking.add(facts, counted, success, as_of)
            if baseline is not None:
                was_ready = baseline.add(facts, counted, success, as_of)
                if ready != was_ready:
                    tally = self._newly_ready if ready else self._no_longer_ready
                    tally.leads += 1
                    tally.successes += success
            for stats in field_rules:
                row = stats.row_of(facts)
                if row != _NO_ROW:
                    tally = stats.tallies[row]
                    tally.leads += 1
                    tally.successes += success
            if engagement:
                kinds = {activity.kind for activity in counted}
                for (rule, _row), tally in engagement:
                    if rule.activity in scoring.SOURCE_INTEREST_RULES:
                        # As in scoring: the source counts once the lead exists.
                        matches = (
                            facts.source_interest == rule.activity.removeprefix("source_") and facts.created_at <= as_of
                        )
                    else:
                        matches = rule.activity in kinds
                    if matches:
                        tally.leads += 1
                        tally.successes += success

    def result(self) -> dict:
        """The figures so far, as a JSON-serialisable dict; rates are rounded to 4 decimals and are
        None where nothing is counted to divide by.

        - ``leads``, ``successes``, ``success_rate``;
        - ``auc``: ROC-AUC of the priority, ties counting half; None while every outcome is the same;
        - ``grades`` / ``buckets``: ``{"grade" (or "bucket"), "leads", "successes", "rate"}`` for A to
          D / hot to unqualified; ``grades_monotone`` / ``buckets_monotone``: whether the rates
          never rise from best to worst (groups without leads left out), and ``grade_violations`` /
          ``bucket_violations`` saying where they do, in words;
        - ``sales_ready``: ``leads``, their ``share`` of all leads, ``precision`` (their success rate)
          and ``recall`` (the share of successes they hold);
        - ``versus_baseline``: None without a baseline, else how many leads (and of them successes)
          become sales-ready (``newly_ready``, ``newly_ready_successes``) and stop being so
          (``no_longer_ready``, ``no_longer_ready_successes``), and ``baseline_auc``;
        - ``rules``: one row per field rule (per entry, plus "any other value", for a table) and per
          engagement rule, in the order of the terms: ``rule`` (in words), ``part``, ``support`` (the
          leads it matches), ``support_share``, ``success_rate`` of those leads, ``lift`` (that rate
          over the overall one) and ``of``: ``["field", i]`` or ``["engagement", j]``, the rule of the
          terms it reports on.
        """
        everyone = self._all
        ranking = self._ranking
        grades = _groups("grade", ranking.grades)
        buckets = _groups("bucket", ranking.buckets)
        grade_violations = _violations("Grade", "grade", ranking.grades)
        bucket_violations = _violations("Bucket", "bucket", ranking.buckets)
        ready = ranking.ready
        rows = [
            _rule_row(row, tally, everyone)
            for stats in self._field_rules
            for row, tally in zip(stats.rows, stats.tallies, strict=True)
        ]
        rows += [
            _rule_row(row, tally, everyone)
            for (_rule, row), tally in zip(self._engagement_rules, self._engagement_tallies, strict=True)
        ]
        versus = None
        if self._baseline is not None:
            versus = {
                "newly_ready": self._newly_ready.leads,
                "newly_ready_successes": self._newly_ready.successes,
                "no_longer_ready": self._no_longer_ready.leads,
                "no_longer_ready_successes": self._no_longer_ready.successes,
                "baseline_auc": self._baseline.auc(),
            }
        return {
            "leads": everyone.leads,
            "successes": everyone.successes,
            "success_rate": _rate(everyone.successes, everyone.leads),
            "auc": ranking.auc(),
            "grades": grades,
            "grades_monotone": not grade_violations,
            "grade_violations": grade_violations,
            "buckets": buckets,
            "buckets_monotone": not bucket_violations,
            "bucket_violations": bucket_violations,
            "sales_ready": {
                "leads": ready.leads,
                "share": _rate(ready.leads, everyone.leads),
                "precision": _rate(ready.successes, ready.leads),
                "recall": _rate(ready.successes, everyone.successes),
            },
            "versus_baseline": versus,
            "rules": rows,
        }


# --- Helpers ----------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _groups(name: str, tallies: dict[str, _Tally]) -> list[dict]:
    return [
        {name: group, "leads": tally.leads, "successes": tally.successes, "rate": _rate(tally.successes, tally.leads)}
        for group, tally in tallies.items()
    ]


def _violations(title: str, word: str, tallies: dict[str, _Tally]) -> list[str]:
    """Each place where a worse group converts above the better one before it.

    Groups without leads are skipped, so with no grade B leads grade C is held against grade A.
    Rates are compared exactly, by cross-multiplying the counts, so two rates that only differ
    after rounding still count.
    """
    present = [(group, tally) for group, tally in tallies.items() if tally.leads]
    problems = []
    for (better, upper), (worse, lower) in pairwise(present):
        if lower.successes * upper.leads > upper.successes * lower.leads:
            worse_shown, better_shown = _percents(lower.successes / lower.leads, upper.successes / upper.leads)
            problems.append(
                f"{title} {worse} converts at {worse_shown} and {word} {better} at {better_shown}:"
                f" {worse} above {better}"
            )
    return problems


def _percents(first: float, second: float) -> tuple[str, str]:
    """Both rates as percentages, with as few decimals (up to two) as tell them apart."""
    for decimals in (0, 1):
        shown = f"{100 * first:.{decimals}f} %", f"{100 * second:.{decimals}f} %"
        if shown[0] != shown[1]:
            return shown
    return f"{100 * first:.2f} %", f"{100 * second:.2f} %"


def _rule_row(row: _Row, tally: _Tally, everyone: _Tally) -> dict:
    rate = _rate(tally.successes, tally.leads)
    lift = None
    if tally.leads and everyone.successes:
        # (successes / support) / (all successes / all leads), in one division.
        lift = round(tally.successes * everyone.leads / (tally.leads * everyone.successes), 4)
    return {
        "rule": row.rule,
        "part": row.part,
        "of": list(row.index),
        "support": tally.leads,
        "support_share": _rate(tally.leads, everyone.leads),
        "success_rate": rate,
        "lift": lift,
    }


def _entry_text(rule: scoring.FieldRule, label: str, value: str, points: int) -> str:
    """One entry of a table rule in words, e.g. "Occupation is Student: +10"."""
    if not str(value).strip():
        return f"{label} is empty: {points:+d}"
    shown = scoring.SENIORITY_LABELS.get(value, value) if rule.field == "seniority" else str(value)
    if "," in shown or " or " in shown:
        shown = f'"{shown}"'
    return f"{label} is {shown}: {points:+d}"
