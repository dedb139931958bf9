"""Scoring: how a lead measures up against a qualified-lead definition.

A qualified-lead definition (see DESIGN.md) is the agreement between marketing and sales on
which leads sales wants. Its criteria are :class:`Terms`; :func:`evaluate` applies them to one
lead and says, rule by rule, why the lead got the grade, score, bucket and sales-ready verdict
it got, so that a hand-off form can show the "why" next to the lead.

The module is pure: no database, no settings, no ``now()``. Callers pass the lead's facts
(:class:`LeadFacts`), its activities (:class:`Activity`) and the moment of evaluation
(``as_of``), all with aware datetimes, and get an :class:`Evaluation` back.

Fit, grade
----------
Each :class:`FitRule` looks at one fact about the lead (seniority, industry, company size,
country, whether it is already a customer). The points of every met rule add up to the fit
points; the grade is the best of A, B, C whose minimum the fit points reach, else D. Points may
be negative, to mark disqualifying traits (a competitor's industry, a country sales does not
serve).

Seniority comes from the lead's job title through :func:`seniority_of`.

Engagement, score, bucket
-------------------------
Each :class:`EngagementRule` gives points to every activity of one kind (a demo request, a
pricing-page visit, …); ``source_active`` / ``source_passive`` give points once when the lead
came in through a source of that interest, dated at the lead's creation. Points fade: an
activity ``age`` days old is worth ``points * 0.5 ** (age / half_life_days)``, so it keeps half
its points after one half-life and a quarter after two. ``half_life_days == 0`` turns decay
off. Activities after ``as_of`` do not count (nor does the source, when the lead was created
after it).

The score is the sum of every activity's decayed points, rounded to an integer once at the end
with Python's :func:`round` (half to even: 2.5 → 2, 3.5 → 4). The sum is taken with
:func:`math.fsum`, which is exact before that final rounding, so the score does not depend on
the order in which activities are passed. The bucket is the best of hot, warm, cold whose
minimum the score reaches, else unqualified.

Sales-ready
-----------
A lead is sales-ready when its grade is one of ``ready_grades`` *and* its bucket one of
``ready_buckets``, or when it has at least one activity (not after ``as_of``) of a kind in
``ready_activities`` — a demo request, say — whatever its grade and bucket.

Guarantees
----------
For valid terms (:func:`validate_terms` returns ``[]``):

- Same inputs, same :class:`Evaluation`, explanations included; the order of the activities
  does not matter.
- With non-negative engagement points: another activity never lowers the score or the bucket;
  evaluating later (``as_of`` later, no activity in between) never raises them.
- Another fit rule with non-negative points never worsens the grade.
- Raising a threshold never improves a grade or a bucket.
- Another activity never takes away sales-readiness, provided the engagement points are
  non-negative and ``ready_buckets`` is closed upwards (with "warm" it also holds "hot"): with
  ``ready_buckets == {"warm"}`` a lead that turns hot stops being sales-ready on that clause.

Negative points are allowed and break the monotonicity above in the obvious way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ACTIVITY_KINDS: dict[str, str] = {
    "demo_request": "Demo request",
    "pricing_page_visit": "Pricing-page visit",
    "contact_form": "Contact form submission",
    "content_download": "Content download",
    "webinar_signup": "Webinar sign-up",
    "event_signup": "Event sign-up",
    "email_click": "Email click",
    "website_visit": "Website visit",
    "list_import": "Bought-list import",
}
"""Kinds of activity a lead can show, with their labels (each label takes a plural in "s")."""

ACTIVE_INTEREST_KINDS: frozenset[str] = frozenset({"demo_request", "pricing_page_visit", "contact_form"})
"""Activities by which a person asks for contact themselves, as opposed to passive interest."""

SOURCE_INTEREST_RULES: dict[str, str] = {
    "source_active": "Active-interest source",
    "source_passive": "Passive-interest source",
}
"""Engagement-rule "activities" that stand for the lead's own source, counted once."""

FIT_FIELDS: dict[str, str] = {
    "seniority": "Seniority",
    "industry": "Industry",
    "employees": "Employees",
    "country": "Country",
    "is_customer": "Existing customer",
}

SENIORITIES: tuple[str, ...] = ("c_level", "vp", "director", "manager", "individual")
"""Seniorities from highest to lowest, as :func:`seniority_of` returns them."""

SENIORITY_LABELS: dict[str, str] = {
    "c_level": "C-level",
    "vp": "VP",
    "director": "Director",
    "manager": "Manager",
    "individual": "Individual contributor",
}

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
BUCKETS: tuple[str, ...] = ("hot", "warm", "cold", "unqualified")

ONE_DAY = timedelta(days=1)

# --- Seniority ------------------------------------------------------------------------------

# Whole words only, case-insensitive; the first group that matches wins, highest first.
_VICE_PRESIDENT = re.compile(r"\bvice[\s-]+president\b")
_SENIORITY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("c_level", re.compile(r"\b(?:chief|ceo|cfo|cto|cmo|coo|cro|founder|owner|president)\b")),
    ("vp", re.compile(r"\b(?:vp|svp|evp)\b")),
    ("director", re.compile(r"\b(?:director|head\s+of)\b")),
    ("manager", re.compile(r"\b(?:manager|lead)\b")),
)


def seniority_of(title: str) -> str:
    """The seniority a job title suggests: one of :data:`SENIORITIES`.

    Keywords are matched case-insensitively as whole words (a hyphen or a slash separates words:
    "Co-Founder", "CTO/Founder"), and the highest seniority found wins:

    ========== ==================================================================================
    c_level    chief, CEO, CFO, CTO, CMO, COO, CRO, founder, owner, president
    vp         VP, SVP, EVP, vice president (also "vice-president")
    director   director, head of
    manager    manager, lead
    individual anything else, including an empty title
    ========== ==================================================================================

    "Vice president" is read as VP before anything else, so its "president" does not make it
    C-level ("Executive Vice President of Sales" is VP). Whole words means "Leadership coach"
    and "Team Leader" are *not* "lead" (individual), and "Managing Director" is a director,
    not a manager. Keywords do not understand the rest of the title: "Product Owner",
    "Chief of Staff" and "Assistant to the CEO" are C-level, so a definition that cares should
    weigh industry and size too.
    """
    text = _VICE_PRESIDENT.sub(" vp ", (title or "").casefold())
    for seniority, pattern in _SENIORITY_PATTERNS:
        if pattern.search(text):
            return seniority
    return "individual"


# --- Terms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitRule:
    """Points for a fact about the lead; see the module docstring.

    - ``seniority``: met when :func:`seniority_of` the title is in ``values`` (codes of
      :data:`SENIORITIES`);
    - ``industry``, ``country``: met when the lead's value is in ``values``, ignoring case and
      surrounding spaces; an empty value never matches;
    - ``employees``: met when the head count is within ``minimum``…``maximum``, both inclusive,
      either may be None (no bound); an unknown head count never matches;
    - ``is_customer``: met when the lead's customer flag equals ``expected``.
    """

    field: str
    points: int
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    expected: bool | None = None

    def describe(self) -> str:
        """The rule in words, e.g. "Seniority is VP or C-level: +20"."""
        label = FIT_FIELDS.get(self.field, f"{self.field} (unknown field)")
        if self.field == "seniority":
            condition = f"{label} is {_or_list([SENIORITY_LABELS.get(v, v) for v in self.values])}"
        elif self.field in ("industry", "country"):
            condition = f"{label} is {_or_list(list(self.values))}"
        elif self.field == "employees":
            if self.minimum is not None and self.maximum is not None:
                condition = f"{label} between {self.minimum:,} and {self.maximum:,}"
            elif self.minimum is not None:
                condition = f"{label} at least {self.minimum:,}"
            elif self.maximum is not None:
                condition = f"{label} at most {self.maximum:,}"
            else:
                condition = f"{label} (no range given)"
        elif self.field == "is_customer":
            if self.expected is None:
                condition = "Existing customer or not (not said)"
            else:
                condition = "Is an existing customer" if self.expected else "Is not yet a customer (net new)"
        else:
            condition = label
        return f"{condition}: {self.points:+d}"


@dataclass(frozen=True)
class EngagementRule:
    """Points for every activity of one kind, or once for the lead's source interest."""

    activity: str
    points: int

    def describe(self) -> str:
        """The rule in words, e.g. "Demo request: +30 each" or "Active-interest source: +10"."""
        if self.activity in SOURCE_INTEREST_RULES:
            return f"{SOURCE_INTEREST_RULES[self.activity]}: {self.points:+d}"
        label = ACTIVITY_KINDS.get(self.activity, f"{self.activity} (unknown activity)")
        return f"{label}: {self.points:+d} each"


@dataclass(frozen=True)
class Terms:
    """The criteria of a qualified-lead definition. Check them with :func:`validate_terms`."""

    fit_rules: tuple[FitRule, ...]
    grade_a: int
    grade_b: int
    grade_c: int
    engagement_rules: tuple[EngagementRule, ...]
    half_life_days: int
    hot: int
    warm: int
    cold: int
    ready_grades: frozenset[str]
    ready_buckets: frozenset[str]
    ready_activities: frozenset[str]


# --- The lead ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFacts:
    """What scoring needs to know about a lead. ``source_interest`` is "active" or "passive"."""

    title: str
    industry: str
    employees: int | None
    country: str
    is_customer: bool
    source_interest: str
    created_at: datetime


@dataclass(frozen=True)
class Activity:
    """Something the lead did: one of :data:`ACTIVITY_KINDS`, at an aware moment."""

    kind: str
    at: datetime


# --- The result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    """One rule and how the lead fared on it: ``rule`` is its description, ``detail`` the facts."""

    rule: str
    met: bool
    detail: str


@dataclass(frozen=True)
class Evaluation:
    """A lead measured against :class:`Terms`, with the reasons rule by rule.

    ``fit`` has one result per fit rule and ``engagement`` one per engagement rule, in the order
    of the terms. ``readiness`` has one result per sales-ready clause the terms use: the
    grade-and-bucket clause (when both ``ready_grades`` and ``ready_buckets`` are given), then
    the activity clause (when ``ready_activities`` is given).
    """

    grade: str
    fit_points: int
    score: int
    bucket: str
    sales_ready: bool
    fit: tuple[RuleResult, ...]
    engagement: tuple[RuleResult, ...]
    readiness: tuple[RuleResult, ...]

    def why(self) -> str:
        """One sentence, e.g. "Not sales-ready: grade C is not A or B; no demo request."."""
        if self.sales_ready:
            reasons = [result.detail for result in self.readiness if result.met]
            prefix = "Sales-ready"
        else:
            reasons = [result.detail for result in self.readiness]
            prefix = "Not sales-ready"
        if not reasons:
            return f"{prefix}."
        return f"{prefix}: {'; '.join(_lower_first(reason) for reason in reasons)}."


# --- Validation -------------------------------------------------------------------------------


def validate_terms(terms: Terms) -> list[str]:
    """Every problem with ``terms`` as a message a person can act on; ``[]`` when there is none.

    Any whole number of points is fine, negative ones included (see the module docstring for
    what negative engagement points do to monotonicity).
    """
    problems: list[str] = []
    for number, rule in enumerate(terms.fit_rules, start=1):
        problems.extend(f"Fit rule {number} ({rule.field}): {problem}" for problem in _fit_rule_problems(rule))
    known_activities = {**ACTIVITY_KINDS, **SOURCE_INTEREST_RULES}
    for number, rule in enumerate(terms.engagement_rules, start=1):
        if rule.activity not in known_activities:
            problems.append(
                f"Engagement rule {number}: unknown activity {rule.activity!r}; use one of {_codes(known_activities)}."
            )
    if terms.half_life_days < 0:
        problems.append(f"The half-life cannot be negative ({terms.half_life_days} days); use 0 for no decay.")
    if not terms.grade_a >= terms.grade_b >= terms.grade_c:
        problems.append(
            "The grade thresholds must not rise from A to C (A ≥ B ≥ C);"
            f" got A {terms.grade_a}, B {terms.grade_b}, C {terms.grade_c}."
        )
    if not terms.hot >= terms.warm >= terms.cold:
        problems.append(
            "The bucket thresholds must not rise from hot to cold (hot ≥ warm ≥ cold);"
            f" got hot {terms.hot}, warm {terms.warm}, cold {terms.cold}."
        )
    negative = [f"{name} {value}" for name, value in _buckets(terms) if value < 0]
    if negative:
        problems.append(f"The bucket thresholds cannot be negative; got {', '.join(negative)}.")
    for what, given, known in (
        ("grade", terms.ready_grades, GRADES),
        ("bucket", terms.ready_buckets, BUCKETS),
        ("activity", terms.ready_activities, tuple(ACTIVITY_KINDS)),
    ):
        unknown = sorted(str(value) for value in set(given) - set(known))
        if unknown:
            problems.append(f"Unknown sales-ready {what}: {', '.join(unknown)}; use one of {', '.join(known)}.")
    if not terms.ready_activities and not (terms.ready_grades and terms.ready_buckets):
        problems.append(
            "No lead can ever become sales-ready: give both the grades and the buckets that make a lead"
            " sales-ready, or an activity (such as a demo request) that does."
        )
    elif bool(terms.ready_grades) != bool(terms.ready_buckets):
        given, missing = ("grades", "buckets") if terms.ready_grades else ("buckets", "grades")
        problems.append(
            f"Sales-ready {given} are given without sales-ready {missing}: the grade-and-bucket clause"
            " needs both, or neither to rely on activities alone."
        )
    return problems


def _fit_rule_problems(rule: FitRule) -> list[str]:
    if rule.field not in FIT_FIELDS:
        return [f"unknown field {rule.field!r}; use one of {_codes(FIT_FIELDS)}."]
    problems = []
    if rule.field in ("seniority", "industry", "country"):
        if not rule.values:
            problems.append(f"list at least one {rule.field} to match.")
        elif rule.field != "seniority" and any(not str(value).strip() for value in rule.values):
            problems.append(f"a blank {rule.field} never matches; remove it.")
        if rule.field == "seniority":
            unknown = [value for value in rule.values if value not in SENIORITIES]
            if unknown:
                problems.append(
                    f"unknown seniority {', '.join(map(repr, unknown))}; use one of {', '.join(SENIORITIES)}."
                )
    elif rule.field == "employees":
        if rule.minimum is None and rule.maximum is None:
            problems.append("give a minimum, a maximum or both.")
        bounds = (("minimum", rule.minimum), ("maximum", rule.maximum))
        negative = [f"{name} {bound:,}" for name, bound in bounds if _below(bound, 0)]
        if negative:
            problems.append(f"the number of employees cannot be negative ({', '.join(negative)}).")
        if rule.minimum is not None and rule.maximum is not None and rule.minimum > rule.maximum:
            problems.append(f"the minimum ({rule.minimum:,}) is above the maximum ({rule.maximum:,}).")
    elif rule.field == "is_customer" and rule.expected is None:
        problems.append("say whether it matches existing customers (expected=True) or new ones (expected=False).")
    return problems


# --- Evaluation -------------------------------------------------------------------------------


def evaluate(terms: Terms, facts: LeadFacts, activities: Iterable[Activity], *, as_of: datetime) -> Evaluation:
    """Grade, score, bucket and sales-readiness of a lead at the moment ``as_of``, with reasons.

    Raises ValueError when the terms are not valid (the message lists :func:`validate_terms`'
    problems) or when ``as_of``, ``facts.created_at`` or an activity's ``at`` is naive.
    Activities of kinds no rule mentions are ignored.
    """
    problems = validate_terms(terms)
    if problems:
        raise ValueError("Invalid qualified-lead terms: " + " ".join(problems))
    _check_aware(as_of, "as_of")
    _check_aware(facts.created_at, "facts.created_at")
    counted: list[Activity] = []
    for activity in activities:
        _check_aware(activity.at, f"The {activity.kind!r} activity's time")
        if activity.at <= as_of:
            counted.append(activity)

    fit = tuple(RuleResult(rule.describe(), *_fit_result(rule, facts)) for rule in terms.fit_rules)
    fit_points = sum(rule.points for rule, result in zip(terms.fit_rules, fit, strict=True) if result.met)
    grade = _first_reached(fit_points, [("A", terms.grade_a), ("B", terms.grade_b), ("C", terms.grade_c)], "D")

    engagement: list[RuleResult] = []
    all_points: list[float] = []
    for rule in terms.engagement_rules:
        points = _engagement_points(rule, terms.half_life_days, facts, counted, as_of)
        all_points.extend(points)
        engagement.append(RuleResult(rule.describe(), bool(points), _engagement_detail(rule, facts, points, terms)))
    score = round(math.fsum(all_points))
    bucket = _first_reached(score, _buckets(terms), "unqualified")

    readiness = _readiness(terms, grade, bucket, counted)
    return Evaluation(
        grade=grade,
        fit_points=fit_points,
        score=score,
        bucket=bucket,
        sales_ready=any(result.met for result in readiness),
        fit=fit,
        engagement=tuple(engagement),
        readiness=readiness,
    )


@dataclass(frozen=True)
class Figures:
    """What :func:`evaluate` decides, without the reasons."""

    grade: str
    fit_points: int
    score: int
    bucket: str
    sales_ready: bool


def figures(terms: Terms, facts: LeadFacts, activities: Iterable[Activity], *, as_of: datetime) -> Figures:
    """The grade, fit points, score, bucket and sales-readiness :func:`evaluate` gives, at a
    fraction of its cost, for grading leads by the thousand. The caller checks the terms once
    with :func:`validate_terms` and passes aware datetimes (:func:`evaluate` checks both)."""
    counted = [activity for activity in activities if activity.at <= as_of]
    fit_points = sum(rule.points for rule in terms.fit_rules if _fit_met(rule, facts))
    grade = _first_reached(fit_points, [("A", terms.grade_a), ("B", terms.grade_b), ("C", terms.grade_c)], "D")
    points = [
        point
        for rule in terms.engagement_rules
        for point in _engagement_points(rule, terms.half_life_days, facts, counted, as_of)
    ]
    score = round(math.fsum(points))
    bucket = _first_reached(score, _buckets(terms), "unqualified")
    return Figures(grade, fit_points, score, bucket, _is_ready(terms, grade, bucket, counted))


def _is_ready(terms: Terms, grade: str, bucket: str, counted: Sequence[Activity]) -> bool:
    by_grade = bool(terms.ready_grades and terms.ready_buckets) and (
        grade in terms.ready_grades and bucket in terms.ready_buckets
    )
    by_activity = any(
        activity.kind in terms.ready_activities and activity.kind in ACTIVITY_KINDS for activity in counted
    )
    return by_grade or by_activity


def _fit_met(rule: FitRule, facts: LeadFacts) -> bool:
    if rule.field == "seniority":
        return seniority_of(facts.title) in rule.values
    if rule.field in ("industry", "country"):
        value = (getattr(facts, rule.field) or "").strip()
        return bool(value) and value.casefold() in {str(candidate).strip().casefold() for candidate in rule.values}
    if rule.field == "employees":
        if facts.employees is None:
            return False
        return not _below(facts.employees, rule.minimum) and not _below(rule.maximum, facts.employees)
    return facts.is_customer == rule.expected  # is_customer


def _fit_result(rule: FitRule, facts: LeadFacts) -> tuple[bool, str]:
    label = FIT_FIELDS[rule.field]
    if rule.field == "seniority":
        seniority = seniority_of(facts.title)
        title = f'title "{facts.title.strip()}"' if facts.title and facts.title.strip() else "no title"
        return _fit_met(rule, facts), f"{label}: {SENIORITY_LABELS[seniority]} ({title})"
    if rule.field in ("industry", "country"):
        value = (getattr(facts, rule.field) or "").strip()
        return _fit_met(rule, facts), f"{label}: {value}" if value else f"{label}: not given"
    if rule.field == "employees":
        given = f"{facts.employees:,}" if facts.employees is not None else "not given"
        return _fit_met(rule, facts), f"{label}: {given}"
    return _fit_met(rule, facts), f"{label}: {'yes' if facts.is_customer else 'no'}"


def _engagement_points(
    rule: EngagementRule, half_life_days: int, facts: LeadFacts, counted: Sequence[Activity], as_of: datetime
) -> list[float]:
    """The decayed points of every activity the rule counts (empty when it counts none)."""
    if rule.activity in SOURCE_INTEREST_RULES:
        matches = facts.source_interest == rule.activity.removeprefix("source_") and facts.created_at <= as_of
        moments = [facts.created_at] if matches else []
    else:
        moments = [activity.at for activity in counted if activity.kind == rule.activity]
    if half_life_days == 0:
        return [float(rule.points)] * len(moments)
    return [rule.points * 0.5 ** (((as_of - moment) / ONE_DAY) / half_life_days) for moment in moments]


def _engagement_detail(rule: EngagementRule, facts: LeadFacts, points: list[float], terms: Terms) -> str:
    if rule.activity in SOURCE_INTEREST_RULES:
        what = f"Source is {facts.source_interest or 'of unknown'} interest"
        if not points and facts.source_interest == rule.activity.removeprefix("source_"):
            return f"{what}, but the lead was created after the moment of evaluation"
    elif points:
        what = _counted(len(points), ACTIVITY_KINDS[rule.activity])
    else:
        return f"No {ACTIVITY_KINDS[rule.activity].lower()}s"
    if not points:
        return what
    if terms.half_life_days == 0:
        return f"{what}, {rule.points * len(points)} points"
    return f"{what}, {math.fsum(points):.1f} points after decay"


def _readiness(terms: Terms, grade: str, bucket: str, counted: Sequence[Activity]) -> tuple[RuleResult, ...]:
    results = []
    if terms.ready_grades and terms.ready_buckets:
        grades = _or_list([g for g in GRADES if g in terms.ready_grades])
        buckets = _or_list([b for b in BUCKETS if b in terms.ready_buckets])
        grade_ok, bucket_ok = grade in terms.ready_grades, bucket in terms.ready_buckets
        if grade_ok and bucket_ok:
            detail = f"Grade {grade} and bucket {bucket}"
        else:
            missing = [] if grade_ok else [f"grade {grade} is not {grades}"]
            missing += [] if bucket_ok else [f"bucket {bucket} is not {buckets}"]
            detail = _upper_first(" and ".join(missing))
        results.append(RuleResult(f"Grade {grades} and bucket {buckets}", grade_ok and bucket_ok, detail))
    if terms.ready_activities:
        kinds = [kind for kind in ACTIVITY_KINDS if kind in terms.ready_activities]
        labels = [ACTIVITY_KINDS[kind].lower() for kind in kinds]
        counts = {kind: sum(1 for activity in counted if activity.kind == kind) for kind in kinds}
        found = [_counted(counts[kind], ACTIVITY_KINDS[kind]) for kind in kinds if counts[kind]]
        detail = _and_list(found) if found else f"No {_or_list(labels)}"
        rule = f"Any {_or_list(labels)}, whatever the grade and bucket"
        results.append(RuleResult(rule, bool(found), detail))
    return tuple(results)


# --- Helpers ----------------------------------------------------------------------------------


def _buckets(terms: Terms) -> list[tuple[str, int]]:
    return [("hot", terms.hot), ("warm", terms.warm), ("cold", terms.cold)]


def _first_reached(value: int, thresholds: Iterable[tuple[str, int]], otherwise: str) -> str:
    for name, minimum in thresholds:
        if value >= minimum:
            return name
    return otherwise


def _below(value: int | None, bound: int | None) -> bool:
    """``value < bound``, where a missing value or bound is never below anything."""
    return value is not None and bound is not None and value < bound


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}.")


def _counted(count: int, label: str) -> str:
    return f"{count} {label.lower()}{'' if count == 1 else 's'}"


def _or_list(items: Sequence[str]) -> str:
    return _joined(items, "or")


def _and_list(items: Sequence[str]) -> str:
    return _joined(items, "and")


def _joined(items: Sequence[str], word: str) -> str:
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items) or "(nothing)"
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _codes(known: Mapping[str, str]) -> str:
    return ", ".join(known)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
