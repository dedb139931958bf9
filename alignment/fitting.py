"""Fitting: learn a qualified-lead definition from leads whose outcome is known.

Marketing and sales agree on a definition by hand (see :mod:`alignment.scoring`); this module
proposes one from history, so that the conversation starts from evidence: given leads and
whether each one succeeded, :func:`fit_scorecard` returns a :class:`Scorecard` — field rules in
Accord's rule language, grade and bucket thresholds, priority bounds and sales-ready choices —
that a person can read, adjust and adopt.

The module is pure: no database, no settings. It works in four steps.

1. Every :class:`Feature` is cut into levels. A number is cut into up to :data:`NUMBER_BINS`
   bands at quantiles of its training values, with edges rounded to two significant digits so
   that rules read well ("Total time from 250 to under 570"), plus a level for an empty value.
   A choice or text keeps a level of its own for every value at least
   max(:data:`MIN_LEVEL_LEADS`, 1 % of the leads) leads hold (at most :data:`MAX_ENTRIES` of
   them), one for an empty value and one for any other value. A yes/no value has yes, no and
   empty. A level fewer than that many leads hold (a handful of empty values, say) takes the
   points of its feature's most common level, so that a few leads cannot set points of their own.
2. An L2-regularised logistic regression is fitted on the one-hot encoding of the levels.
3. Each coefficient becomes whole points, ``round(coefficient * SCALE)``: 20 points double the
   odds of success. Each feature's points are shifted so that its lowest level gets 0 (a
   constant per feature does not change the ranking, and Accord's bucket thresholds cannot be
   negative), so every rule's points are at least 0. Levels worth 0 points need no rule, and a
   feature whose levels all get the same points is left out.
4. Grade thresholds are placed at quantiles of the training fit points (:data:`GRADE_SHARES`),
   bucket thresholds at quantiles of the training score (:data:`BUCKET_SHARES`), and the
   priority bounds at the 1st and 99th percentile of the training totals.

Same inputs, same :class:`Scorecard`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from alignment import scoring

MIN_LEADS = 200
MIN_SUCCESSES = 30

SCALE = 20 / math.log(2)
"""Points per unit of log-odds: 20 points double the odds of success."""

REGULARISATION_C = 0.5
"""Inverse strength of the L2 penalty. Rare levels are merged before the fit, so it matters
little: on the X Education leads any C from 0.05 to 5 gives the same held-out AUC within 0.002."""

NUMBER_BINS = 7
MIN_LEVEL_LEADS = 30
"""A value (or a band of numbers) needs at least this many training leads, or 1 % of them if
that is more, to earn points of its own: fewer leads would make its points noise."""
MAX_ENTRIES = 30
"""At most this many values keep an entry of their own in a points table, so it stays readable."""

GRADE_SHARES = (0.20, 0.45, 0.75)
"""Share of the training leads at grade A, at B or better and at C or better; D is the rest."""
BUCKET_SHARES = (0.20, 0.45, 0.75)
"""Share of the training leads hot, warm or hotter and cold or hotter; unqualified is the rest."""
READY_GRADES = frozenset({"A", "B"})
READY_BUCKETS = frozenset({"hot", "warm"})
"""A lead is sales-ready when it is a good fit (A or B) *and* engaged (hot or warm): closed
upwards, so more engagement never takes readiness away (see :mod:`alignment.scoring`)."""

LEARNED_KINDS = frozenset({scoring.NUMBER, scoring.CHOICE, scoring.YES_NO, scoring.TEXT})
"""Kinds of value a feature can be learned from; dates are skipped (a date says little by
itself, and a rule cannot test how old it is)."""


@dataclass(frozen=True)
class Feature:
    """A field to learn points for: a standard field (:data:`scoring.STANDARD_FIELDS`) or
    ``property:<key>``, the kind of value it holds, and whether its points count towards fit (the
    grade) or engagement (the score)."""

    field: str
    kind: str
    part: str
    label: str = ""


@dataclass(frozen=True)
class Scorecard:
    """A learned qualified-lead definition: the parts of :class:`scoring.Terms` that can be
    learned from outcomes, and how well it ranked the training leads.

    ``train_auc`` is the ROC-AUC of the total points (fit plus score) on the training leads: an
    optimistic figure, to be checked on leads the fit has not seen. ``features_used`` lists the
    fields that earned rules, in the order the features were given.
    """

    rules: tuple[scoring.FieldRule, ...]
    grade_a: int
    grade_b: int
    grade_c: int
    hot: int
    warm: int
    cold: int
    priority_low: int
    priority_high: int
    ready_grades: frozenset[str]
    ready_buckets: frozenset[str]
    train_auc: float
    leads: int
    successes: int
    features_used: tuple[str, ...]


class TooFewOutcomes(ValueError):
    """There are not enough leads, successes or failures to learn from."""


@dataclass(frozen=True)
class _Level:
    """One level of a feature: a band of numbers, an empty value, a value of a table, any other
    value of a table, or yes / no."""

    test: str  # "band", "empty", "entry", "other", "yes" or "no"
    value: str = ""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class _Encoded:
    feature: Feature
    levels: tuple[_Level, ...]
    codes: np.ndarray
    """The level of each lead; -1 when none applies (a number field holding text, say), which the
    rules give 0 points as well."""
    same_as: np.ndarray
    """The level whose points each level takes: itself, or for a level too few leads hold (a
    handful of empty values, say) the most common level, so that a few leads cannot give it
    points of its own."""

    @classmethod
    def of(cls, feature: Feature, levels: Sequence[_Level], codes: np.ndarray, min_level_leads: int) -> _Encoded:
        support = np.bincount(codes[codes >= 0], minlength=len(levels))
        same_as = np.arange(len(levels))
        if len(levels):
            same_as[support < min_level_leads] = int(np.argmax(support))
        return cls(feature, tuple(levels), codes, same_as)

    @property
    def held(self) -> np.ndarray:
        """Whether any lead holds each level."""
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.levels)) > 0


def fit_scorecard(
    facts: Sequence[scoring.LeadFacts],
    outcomes: Sequence[bool],
    features: Sequence[Feature],
    *,
    min_leads: int = MIN_LEADS,
    min_successes: int = MIN_SUCCESSES,
) -> Scorecard:
    """Learn a scorecard from ``facts`` and their ``outcomes`` (True for a success), with rules on
    ``features``; see the module docstring for the method.

    Raises :class:`TooFewOutcomes` when there are fewer than ``min_leads`` leads, or fewer than
    ``min_successes`` successes or failures (a model cannot learn what tells them apart without
    enough of both), and ValueError when the features are not ones rules can test.

    Without engagement features every score is 0: the bucket thresholds then put every lead in
    "cold" and ``ready_buckets`` includes "cold", so that the grade alone decides readiness.
    Without fit features every lead gets grade C and ``ready_grades`` includes "C", likewise.
    """
    if len(facts) != len(outcomes):
        raise ValueError(f"Got {len(facts)} leads but {len(outcomes)} outcomes; give one outcome per lead.")
    _check_features(features)
    target = np.fromiter((bool(outcome) for outcome in outcomes), dtype=bool, count=len(outcomes))
    _check_enough(len(facts), int(target.sum()), min_leads, min_successes)

    min_level_leads = max(MIN_LEVEL_LEADS, math.ceil(0.01 * len(facts)))
    encoded = [_encode(feature, facts, min_level_leads) for feature in features if feature.kind in LEARNED_KINDS]
    matrix = _one_hot(encoded, len(facts))
    model = LogisticRegression(C=REGULARISATION_C, solver="lbfgs", max_iter=5000, tol=1e-6)
    model.fit(matrix, target)

    rules: list[scoring.FieldRule] = []
    used: list[str] = []
    fit_points = np.zeros(len(facts), dtype=np.int64)
    score = np.zeros(len(facts), dtype=np.int64)
    offset = 0
    for feature_levels in encoded:
        coefficients = model.coef_[0, offset : offset + len(feature_levels.levels)]
        offset += len(feature_levels.levels)
        points = _level_points(coefficients[feature_levels.same_as])
        if len(set(points[feature_levels.held].tolist())) <= 1:
            continue  # no spread among the levels leads hold: the feature tells nothing apart
        rules.extend(_rules(feature_levels, points))
        used.append(feature_levels.feature.field)
        earned = np.where(feature_levels.codes >= 0, points[np.maximum(feature_levels.codes, 0)], 0)
        if feature_levels.feature.part == "fit":
            fit_points += earned
        else:
            score += earned

    grade_a, grade_b, grade_c = _thresholds(fit_points, GRADE_SHARES)
    hot, warm, cold = _thresholds(score, BUCKET_SHARES)
    totals = fit_points + score
    priority_low = math.floor(np.percentile(totals, 1))
    priority_high = max(math.ceil(np.percentile(totals, 99)), priority_low + 1)
    return Scorecard(
        rules=tuple(rules),
        grade_a=grade_a,
        grade_b=grade_b,
        grade_c=grade_c,
        hot=hot,
        warm=warm,
        cold=cold,
        priority_low=priority_low,
        priority_high=priority_high,
        # When every lead lands on C (or cold), that level decides nothing and must not block readiness.
        ready_grades=READY_GRADES | ({"C"} if _flat(fit_points) else set()),
        ready_buckets=READY_BUCKETS | ({"cold"} if _flat(score) else set()),
        train_auc=float(roc_auc_score(target, totals)),
        leads=len(facts),
        successes=int(target.sum()),
        features_used=tuple(used),
    )


# --- Checks -----------------------------------------------------------------------------------


def _check_enough(leads: int, successes: int, min_leads: int, min_successes: int) -> None:
    failures = leads - successes
    if leads >= min_leads and successes >= min_successes and failures >= min_successes:
        return
    raise TooFewOutcomes(
        f"Learning a qualified-lead definition needs at least {min_leads} leads with a known outcome,"
        f" {min_successes} or more of them successes and {min_successes} or more failures; got {leads}"
        f" leads, {successes} successes and {failures} failures. Wait for more outcomes, or widen the"
        " period the leads come from."
    )


def _check_features(features: Sequence[Feature]) -> None:
    seen: set[str] = set()
    for feature in features:
        name = feature.label or feature.field
        if feature.field in seen:
            raise ValueError(f"The field {feature.field!r} is given twice; give each field once.")
        seen.add(feature.field)
        if feature.part not in scoring.PARTS:
            raise ValueError(f"{name}: unknown part {feature.part!r}; use fit or engagement.")
        if feature.kind not in scoring.TESTS_FOR_KIND:
            raise ValueError(f"{name}: unknown kind {feature.kind!r}; use one of {', '.join(scoring.TESTS_FOR_KIND)}.")
        standard = scoring.STANDARD_FIELDS.get(feature.field)
        if scoring.property_key(feature.field) is None and standard is None:
            raise ValueError(
                f"{name}: unknown field {feature.field!r}; use one of {', '.join(scoring.STANDARD_FIELDS)}"
                " or property:<key>."
            )
        if standard is not None and standard[1] != feature.kind:
            raise ValueError(f"{name}: the field {feature.field!r} holds {standard[1]} values, not {feature.kind}.")


# --- Levels -----------------------------------------------------------------------------------


def _encode(feature: Feature, facts: Sequence[scoring.LeadFacts], min_level_leads: int) -> _Encoded:
    values = [scoring.value_of(lead, feature.field) for lead in facts]
    if feature.kind == scoring.NUMBER:
        return _encode_number(feature, values, min_level_leads)
    if feature.kind == scoring.YES_NO:
        return _encode_yes_no(feature, values, min_level_leads)
    return _encode_choice(feature, values, min_level_leads)


def _encode_number(feature: Feature, values: list[object], min_level_leads: int) -> _Encoded:
    empty = np.fromiter((scoring.is_empty(value) for value in values), dtype=bool, count=len(values))
    numbers = np.array(
        [math.nan if is_empty else _number_or_nan(value) for value, is_empty in zip(values, empty, strict=True)],
        dtype=float,
    )
    known = ~np.isnan(numbers)
    edges = _band_edges(numbers[np.isfinite(numbers)], min_level_leads)
    if edges:
        bounds = [None, *edges, None]
        levels = [_Level("band", minimum=low, maximum=high) for low, high in itertools.pairwise(bounds)]
    elif known.any():
        # One band for every number: "at least the smallest", since a band needs a bound.
        levels = [_Level("band", minimum=_nice(float(numbers[known].min()), "down"))]
    else:
        levels = []
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[known] = np.searchsorted(np.asarray(edges, dtype=float), numbers[known], side="right")
    if levels and levels[0].minimum is not None:
        codes[known & (numbers < levels[0].minimum)] = -1
    codes[empty] = len(levels)
    levels.append(_Level("empty"))
    return _Encoded.of(feature, levels, codes, min_level_leads)


def _number_or_nan(value: object) -> float:
    number = scoring.number_of(value)
    return math.nan if number is None else number


def _band_edges(numbers: np.ndarray, min_level_leads: int) -> list[float]:
    """Edges at quantiles of ``numbers``, rounded to read well, each band holding enough leads.

    An edge goes just above the quantile's value, so that a value many leads share (0 visits,
    say) sits in a band with the values below it rather than opening the next one.
    """
    if numbers.size == 0:
        return []
    ordered = np.sort(numbers)
    distinct = np.unique(ordered)
    candidates: list[float] = []
    for quantile in np.quantile(ordered, [k / NUMBER_BINS for k in range(1, NUMBER_BINS)]):
        above = distinct[distinct > quantile]
        if above.size:
            candidates.append(_nice(float(above[0]), "up"))
    edges: list[float] = []
    for edge in sorted(set(candidates)):
        below = np.searchsorted(ordered, edge, side="left") - np.searchsorted(
            ordered, edges[-1] if edges else -math.inf, side="left"
        )
        above = ordered.size - np.searchsorted(ordered, edge, side="left")
        if below >= min_level_leads and above >= min_level_leads:
            edges.append(edge)
    return edges


def _nice(number: float, direction: str) -> float:
    """``number`` rounded to two significant digits, up or down: 674 → 680 up, 670 down."""
    if number == 0 or not math.isfinite(number):
        return number
    step = 10.0 ** (math.floor(math.log10(abs(number))) - 1)
    scaled = number / step
    rounded = math.ceil(scaled - 1e-9) if direction == "up" else math.floor(scaled + 1e-9)
    # round() again to drop the binary noise of the multiplication (0.30000000000000004).
    return float(round(rounded * step, 12))


def _encode_yes_no(feature: Feature, values: list[object], min_level_leads: int) -> _Encoded:
    levels = (_Level("yes"), _Level("no"), _Level("empty"))
    codes = np.array(
        [2 if scoring.is_empty(value) else {True: 0, False: 1, None: -1}[scoring.yes_no_of(value)] for value in values],
        dtype=np.int64,
    )
    return _Encoded.of(feature, levels, codes, min_level_leads)


def _encode_choice(feature: Feature, values: list[object], min_level_leads: int) -> _Encoded:
    keys = ["" if scoring.is_empty(value) else scoring.text_of(value) for value in values]
    counts = Counter(keys)
    frequent = sorted((key for key in counts if counts[key] >= min_level_leads), key=lambda key: (-counts[key], key))
    own = frequent[:MAX_ENTRIES]
    spellings = _spellings(values, keys, set(own))
    levels = [_Level("empty") if key == "" else _Level("entry", value=spellings[key]) for key in own]
    levels.append(_Level("other"))
    index = {key: position for position, key in enumerate(own)}
    codes = np.array([index.get(key, len(own)) for key in keys], dtype=np.int64)
    return _Encoded.of(feature, levels, codes, min_level_leads)


def _spellings(values: list[object], keys: list[str], wanted: set[str]) -> dict[str, str]:
    """The most frequent spelling of each wanted value ("Google" over "google"), as rules show it;
    the folded value when no spelling reads back as it (a boolean, a float such as 12.0)."""
    variants: dict[str, Counter[str]] = {key: Counter() for key in wanted if key}
    for value, key in zip(values, keys, strict=True):
        if key in variants:
            spelling = str(value).strip()
            if scoring.text_of(spelling) == key:
                variants[key][spelling] += 1
    return {
        key: min(counter, key=lambda spelling: (-counter[spelling], spelling)) if counter else key
        for key, counter in variants.items()
    }


def _one_hot(encoded: Sequence[_Encoded], leads: int) -> sparse.csr_matrix:
    rows, columns = [], []
    offset = 0
    for feature_levels in encoded:
        matched = np.flatnonzero(feature_levels.codes >= 0)
        rows.append(matched)
        columns.append(feature_levels.same_as[feature_levels.codes[matched]] + offset)
        offset += len(feature_levels.levels)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((np.ones(row.size), (row, column)), shape=(leads, max(offset, 1)))


# --- Points and rules -------------------------------------------------------------------------


def _level_points(coefficients: np.ndarray) -> np.ndarray:
    """Whole points per level, the lowest level at 0."""
    points = np.rint(coefficients * SCALE).astype(np.int64)
    return points - points.min()


def _rules(feature_levels: _Encoded, points: np.ndarray) -> list[scoring.FieldRule]:
    feature = feature_levels.feature
    if feature.kind in (scoring.CHOICE, scoring.TEXT):
        other_points = int(points[-1])
        table = tuple(
            ("" if level.test == "empty" else level.value, int(level_points))
            for level, level_points in zip(feature_levels.levels[:-1], points[:-1], strict=True)
            if level_points != other_points
        )
        return [scoring.FieldRule(feature.field, "table", table=table, other_points=other_points, part=feature.part)]
    rules = []
    for level, level_points in zip(feature_levels.levels, points, strict=True):
        if level_points == 0:
            continue
        field, part, earned = feature.field, feature.part, int(level_points)
        if level.test == "band":
            rule = scoring.FieldRule(field, "band", earned, minimum=level.minimum, maximum=level.maximum, part=part)
        elif level.test == "empty":
            rule = scoring.FieldRule(field, "empty", earned, part=part)
        else:
            rule = scoring.FieldRule(field, "yes_no", earned, expected=level.test == "yes", part=part)
        rules.append(rule)
    return rules


# --- Thresholds -------------------------------------------------------------------------------


def _flat(points: np.ndarray) -> bool:
    return points.size == 0 or int(points.min()) == int(points.max())


def _thresholds(points: np.ndarray, shares: Sequence[float]) -> tuple[int, int, int]:
    """Three falling thresholds, each reached by a share of the leads as near ``shares`` as the
    points allow, and distinct while the points have enough distinct values.

    When every lead has the same points (no feature of that part), the first two thresholds sit
    one above them and the third at them: every lead lands on the third level (C, cold).
    """
    if _flat(points):
        level = int(points.min()) if points.size else 0
        return level + 1, level + 1, level
    ordered = np.sort(points)
    distinct = np.unique(ordered)
    reaching = 1 - np.searchsorted(ordered, distinct, side="left") / ordered.size
    chosen: list[int] = []
    for share in shares:
        upper = chosen[-1] if chosen else math.inf
        candidates = [position for position, value in enumerate(distinct) if value < upper]
        if not candidates:
            chosen.append(chosen[-1])
            continue
        best = min(candidates, key=lambda position: (abs(reaching[position] - share), -distinct[position]))
        chosen.append(int(distinct[best]))
    return chosen[0], chosen[1], chosen[2]
