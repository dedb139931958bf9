"""Scoring: how a lead measures up against a qualified-lead definition.

A qualified-lead definition (see DESIGN.md) is the agreement between marketing and sales on
which leads sales wants. Its criteria are :class:`Terms`; :func:`evaluate` applies them to one
lead and says, rule by rule, why the lead got the grade, score, bucket, priority and sales-ready
verdict it got, so that a hand-off form can show the "why" next to the lead.

The module is pure: no database, no settings, no ``now()``. Callers pass the lead's facts
(:class:`LeadFacts`), its activities (:class:`Activity`) and the moment of evaluation
(``as_of``), all with aware datetimes, and get an :class:`Evaluation` back.

The rule language
-----------------
A :class:`FieldRule` tests one field of the lead: a standard one (:data:`STANDARD_FIELDS`:
title, seniority, industry, employees, country, existing customer, source, campaign, source
interest) or a lead property, written ``property:<key>``. Its ``test`` is one of
:data:`TESTS`:

- ``one_of``: the value is one of ``values`` (a list, so a value may hold commas), ignoring
  case and surrounding spaces;
- ``empty``: the lead has no value;
- ``band``: a number at least ``minimum`` and below ``maximum`` (either may be None: no bound);
  a field may have several bands, one rule each;
- ``yes_no``: a yes/no value equal to ``expected``;
- ``keywords``: the text holds one of ``values`` as whole words ("head of" in "Head of Sales");
- ``table``: a points table: each value of ``table`` its own points, ``other_points`` for any
  other value. An entry for the value ``""`` gives the points of an empty value; without one an
  empty value gets ``other_points`` too.

A rule's ``part`` says what its points count towards: ``fit`` (the grade) or ``engagement`` (the
score, without decay: a property such as pages viewed is a measure, not a dated activity).

Fit, grade
----------
The points of every fit rule add up to the fit points; the grade is the best of A, B, C whose
minimum the fit points reach, else D. Points may be negative, to mark disqualifying traits.

Engagement, score, bucket
-------------------------
Each :class:`EngagementRule` gives points to every activity of one kind (a demo request, a
pricing-page visit, …); ``source_active`` / ``source_passive`` give points once when the lead
came in through a source of that interest, dated at the lead's creation. Points fade: an
activity ``age`` days old is worth ``points * 0.5 ** (age / half_life_days)``, so it keeps half
its points after one half-life and a quarter after two. ``half_life_days == 0`` turns decay
off. Activities after ``as_of`` do not count (nor does the source, when the lead was created
after it). Engagement field rules add their points as they are.

The score is the sum of every activity's decayed points and every engagement field rule's
points, rounded to an integer once at the end with Python's :func:`round` (half to even: 2.5 →
2, 3.5 → 4). The sum is taken with :func:`math.fsum`, which is exact before that final rounding,
so the score does not depend on the order in which activities are passed. The bucket is the
best of hot, warm, cold whose minimum the score reaches, else unqualified.

Priority
--------
The order in which sales should call: fit points plus score, placed on 0 to 100 between
``priority_low`` (priority 0 and below) and ``priority_high`` (priority 100 and above), rounded.

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
- A higher fit or score never lowers the priority.
- Another activity never takes away sales-readiness, provided the engagement points are
  non-negative and ``ready_buckets`` is closed upwards (with "warm" it also holds "hot"): with
  ``ready_buckets == {"warm"}`` a lead that turns hot stops being sales-ready on that clause.

Negative points are allowed and break the monotonicity above in the obvious way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

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

# Property values come in these kinds (alignment.models.LeadProperty.Kind).
NUMBER, CHOICE, YES_NO, DATE, TEXT = "number", "choice", "yes_no", "date", "text"

STANDARD_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("Job title", TEXT),
    "seniority": ("Seniority", CHOICE),
    "industry": ("Industry", CHOICE),
    "employees": ("Employees", NUMBER),
    "country": ("Country", CHOICE),
    "is_customer": ("Existing customer", YES_NO),
    "source": ("Source", CHOICE),
    "campaign": ("Campaign", CHOICE),
    "source_interest": ("Source interest", CHOICE),
}
"""The lead's own fields a rule can test: code → (label, kind of value)."""

PROPERTY_PREFIX = "property:"

TESTS: dict[str, str] = {
    "one_of": "is one of",
    "empty": "is empty",
    "band": "is a number within a band",
    "yes_no": "is yes or no",
    "keywords": "holds a keyword",
    "table": "points per value",
}
# Which tests make sense for which kind of value.
TESTS_FOR_KIND: dict[str, frozenset[str]] = {
    NUMBER: frozenset({"band", "empty", "one_of"}),
    CHOICE: frozenset({"one_of", "empty", "table", "keywords"}),
    YES_NO: frozenset({"yes_no", "empty"}),
    DATE: frozenset({"empty"}),
    TEXT: frozenset({"one_of", "empty", "keywords", "table"}),
}

PARTS: dict[str, str] = {"fit": "Fit (grade)", "engagement": "Engagement (score)"}

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
# "Owner" is C-level as the owner of a business, not as the owner of a product or a process.
_ROLE_OWNER = re.compile(
    r"\b(?:product|process|account|content|data|service|business\s+process|project|system|channel)[\s-]+owners?\b"
)
_SENIORITY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("c_level", re.compile(r"\b(?:chief|ceo|cfo|cto|cmo|coo|cro|founder|owner|president)\b")),
    ("vp", re.compile(r"\b(?:vp|svp|evp)\b")),
    ("director", re.compile(r"\b(?:director|head\s+of)\b")),
    ("manager", re.compile(r"\b(?:manager|lead)\b")),
)


@lru_cache(maxsize=8192)
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
    C-level ("Executive Vice President of Sales" is VP). An owner of a product, process,
    account, project, system or the like is a role, not the owner of the business: "Product
    Owner" is an individual contributor. Whole words means "Leadership coach" and "Team Leader"
    are *not* "lead" (individual), and "Managing Director" is a director, not a manager.
    Keywords do not understand the rest of the title: "Chief of Staff" and "Assistant to the
    CEO" are C-level, so a definition that cares should test the title's keywords itself
    (a ``keywords`` rule on the title) or weigh industry and size too.
    """
    text = _VICE_PRESIDENT.sub(" vp ", (title or "").casefold())
    text = _ROLE_OWNER.sub(" ", text)
    for seniority, pattern in _SENIORITY_PATTERNS:
        if pattern.search(text):
            return seniority
    return "individual"


# --- Terms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """Points for what one field of the lead holds; see "The rule language" above."""

    field: str
    test: str
    points: int = 0
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    expected: bool | None = None
    table: tuple[tuple[str, int], ...] = ()
    other_points: int = 0
    part: str = "fit"

    def describe(self, labels: Mapping[str, str] | None = None) -> str:
        """The rule in words, e.g. "Seniority is VP or C-level: +20"; ``labels`` names the
        properties (key → label)."""
        label = field_label(self.field, labels)
        if self.test == "table":
            entries = [f"{_shown(value)} {points:+d}" for value, points in self.table]
            return f"{label}: {', '.join(entries) or '(no values)'}; any other value {self.other_points:+d}"
        return f"{self._condition(label)}: {self.points:+d}"

    def _condition(self, label: str) -> str:
        if self.test == "one_of":
            values = [SENIORITY_LABELS.get(v, v) for v in self.values] if self.field == "seniority" else self.values
            return f"{label} is {_or_list([_quoted(v) for v in values])}"
        if self.test == "keywords":
            return f"{label} mentions {_or_list([_quoted(v) for v in self.values])}"
        if self.test == "empty":
            return f"{label} is empty"
        if self.test == "band":
            if self.minimum is not None and self.maximum is not None:
                return f"{label} from {_number(self.minimum)} to under {_number(self.maximum)}"
            if self.minimum is not None:
                return f"{label} at least {_number(self.minimum)}"
            if self.maximum is not None:
                return f"{label} under {_number(self.maximum)}"
            return f"{label} (no band given)"
        if self.test == "yes_no":
            if self.field == "is_customer" and self.expected is not None:
                return "Is an existing customer" if self.expected else "Is not yet a customer (net new)"
            return f"{label} is {'yes' if self.expected else 'no' if self.expected is not None else '(not said)'}"
        return f"{label} ({self.test})"


@dataclass(frozen=True)
class EngagementRule:
    """Points for every activity of one kind, or once for the lead's source interest."""

    activity: str
    points: int

    def describe(self, labels: Mapping[str, str] | None = None) -> str:
        """The rule in words, e.g. "Demo request: +30 each" or "Active-interest source: +10"."""
        if self.activity in SOURCE_INTEREST_RULES:
            return f"{SOURCE_INTEREST_RULES[self.activity]}: {self.points:+d}"
        label = ACTIVITY_KINDS.get(self.activity, f"{self.activity} (unknown activity)")
        return f"{label}: {self.points:+d} each"


@dataclass(frozen=True)
class Terms:
    """The criteria of a qualified-lead definition. Check them with :func:`validate_terms`."""

    field_rules: tuple[FieldRule, ...]
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
    priority_low: int = 0
    priority_high: int = 100
    # Property key → label, for the descriptions.
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fit_rules(self) -> tuple[FieldRule, ...]:
        return tuple(rule for rule in self.field_rules if rule.part == "fit")

    @property
    def engagement_field_rules(self) -> tuple[FieldRule, ...]:
        return tuple(rule for rule in self.field_rules if rule.part == "engagement")


# --- The lead ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFacts:
    """What scoring needs to know about a lead. ``source_interest`` is "active" or "passive";
    ``properties`` holds the lead's property values by key (numbers, text, booleans, ISO dates)."""

    title: str
    industry: str
    employees: int | None
    country: str
    is_customer: bool
    source_interest: str
    created_at: datetime
    source: str = ""
    campaign: str = ""
    properties: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Activity:
    """Something the lead did: one of :data:`ACTIVITY_KINDS`, at an aware moment."""

    kind: str
    at: datetime


# --- The result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    """One rule and how the lead fared on it: ``rule`` is its description, ``detail`` the facts,
    ``points`` what it earned."""

    rule: str
    met: bool
    detail: str
    points: float = 0


@dataclass(frozen=True)
class Evaluation:
    """A lead measured against :class:`Terms`, with the reasons rule by rule.

    ``fit`` has one result per fit rule and ``engagement`` one per engagement rule (activities
    first, then the engagement field rules), in the order of the terms. ``readiness`` has one
    result per sales-ready clause the terms use: the grade-and-bucket clause (when both
    ``ready_grades`` and ``ready_buckets`` are given), then the activity clause (when
    ``ready_activities`` is given).
    """

    grade: str
    fit_points: int
    score: int
    bucket: str
    sales_ready: bool
    fit: tuple[RuleResult, ...]
    engagement: tuple[RuleResult, ...]
    readiness: tuple[RuleResult, ...]
    priority: int = 0

    @property
    def matched(self) -> tuple[RuleResult, ...]:
        """Every rule the lead met, fit then engagement: the "why" of a hand-off."""
        return tuple(result for result in (*self.fit, *self.engagement) if result.met)

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


# --- Fields -----------------------------------------------------------------------------------


def property_key(field_name: str) -> str | None:
    """``"occupation"`` for ``"property:occupation"``; None for a standard field."""
    return field_name.removeprefix(PROPERTY_PREFIX) if field_name.startswith(PROPERTY_PREFIX) else None


def field_label(field_name: str, labels: Mapping[str, str] | None = None) -> str:
    key = property_key(field_name)
    if key is not None:
        return (labels or {}).get(key) or key
    return STANDARD_FIELDS.get(field_name, (f"{field_name} (unknown field)", TEXT))[0]


def value_of(facts: LeadFacts, field_name: str) -> object:
    """What ``field_name`` holds for the lead; None or "" when nothing."""
    return getter(field_name)(facts)


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_of(value: object) -> str:
    """A value as rules compare it: case-folded, stripped text; ``12.0`` reads as ``12``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().casefold()


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def number_of(value: object) -> float | None:
    """A value as a finite number; None for anything else (words, booleans, "inf", "1_000")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def yes_no_of(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = text_of(value)
    if text in ("yes", "true", "y", "1"):
        return True
    if text in ("no", "false", "n", "0"):
        return False
    return None


@lru_cache(maxsize=4096)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    words = [r"[\s-]+".join(map(re.escape, keyword.casefold().split())) for keyword in keywords if keyword.strip()]
    # Whole words: no word character right before or after ("C++" and ".NET" end in symbols,
    # where \b would never match).
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)") if words else re.compile(r"(?!)")


@lru_cache(maxsize=4096)
def _folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(text_of(value) for value in values)


@lru_cache(maxsize=4096)
def _folded_table(table: tuple[tuple[str, int], ...]) -> dict[str, int]:
    folded: dict[str, int] = {}
    for value, points in table:
        folded.setdefault(text_of(value), points)  # the first entry of a value wins
    return folded


def rule_points(rule: FieldRule, facts: LeadFacts) -> tuple[bool, int]:
    """(met, points) of ``rule`` for the lead: a table is met when the value has an entry of its
    own, and earns ``other_points`` otherwise."""
    return matcher(rule)(value_of(facts, rule.field))


@lru_cache(maxsize=4096)
def matcher(rule: FieldRule) -> Callable[[object], tuple[bool, int]]:
    """What ``rule`` makes of a value, as a function built once per rule: the one place the rule
    language's tests are defined (grading leads by the thousand calls it for every rule)."""
    test, points = rule.test, rule.points
    if test == "table":
        table, other = _folded_table(rule.table), rule.other_points

        def match(value: object) -> tuple[bool, int]:
            found = table.get("" if is_empty(value) else text_of(value))
            return (True, found) if found is not None else (False, other)

        return match
    if test == "empty":
        return lambda value: (True, points) if is_empty(value) else (False, 0)
    if test == "one_of":
        folded = _folded(rule.values)
        condition = lambda value: text_of(value) in folded  # noqa: E731
    elif test == "band":
        low, high = rule.minimum, rule.maximum

        def condition(value: object) -> bool:
            number = number_of(value)
            return number is not None and (low is None or number >= low) and (high is None or number < high)
    elif test == "yes_no":
        expected = rule.expected
        condition = lambda value: expected is not None and yes_no_of(value) is expected  # noqa: E731
    elif test == "keywords":
        pattern = _keyword_pattern(rule.values)
        condition = lambda value: bool(pattern.search(str(value).casefold()))  # noqa: E731
    else:
        return lambda value: (False, 0)

    def match(value: object) -> tuple[bool, int]:
        if is_empty(value) or not condition(value):
            return False, 0
        return True, points

    return match


@lru_cache(maxsize=4096)
def getter(field_name: str) -> Callable[[LeadFacts], object]:
    """:func:`value_of` for one field, built once."""
    key = property_key(field_name)
    if key is not None:
        return lambda facts: facts.properties.get(key)
    if field_name == "seniority":
        return lambda facts: seniority_of(facts.title)
    return lambda facts: getattr(facts, field_name, None)


# --- Validation -------------------------------------------------------------------------------


def validate_terms(terms: Terms, properties: Mapping[str, str] | None = None) -> list[str]:
    """Every problem with ``terms`` as a message a person can act on; ``[]`` when there is none.

    ``properties`` (key → kind of value), when given, are the lead properties rules may test;
    without it any property key is taken as it is. Any whole number of points is fine,
    negative ones included (see the module docstring for what negative engagement points do to
    monotonicity).
    """
    problems: list[str] = []
    for number, rule in enumerate(terms.field_rules, start=1):
        label = field_label(rule.field, terms.labels)
        problems.extend(f"Rule {number} ({label}): {problem}" for problem in _field_rule_problems(rule, properties))
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
    if terms.priority_high <= terms.priority_low:
        problems.append(
            f"Priority 100 must take more points than priority 0; got {terms.priority_low} and {terms.priority_high}."
        )
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


def kind_of_field(field_name: str, properties: Mapping[str, str] | None = None) -> str | None:
    """The kind of value ``field_name`` holds; None when it is unknown."""
    key = property_key(field_name)
    if key is None:
        known = STANDARD_FIELDS.get(field_name)
        return known[1] if known else None
    if properties is None:
        return None if not key else CHOICE
    return properties.get(key)


def _field_rule_problems(rule: FieldRule, properties: Mapping[str, str] | None) -> list[str]:
    kind = kind_of_field(rule.field, properties)
    if kind is None:
        if property_key(rule.field) is not None:
            return [f"there is no lead property {property_key(rule.field)!r}; declare it first."]
        return [f"unknown field {rule.field!r}; use one of {_codes(STANDARD_FIELDS)} or property:<key>."]
    if rule.part not in PARTS:
        return [f"unknown part {rule.part!r}; use fit or engagement."]
    if rule.test not in TESTS:
        return [f"unknown test {rule.test!r}; use one of {_codes(TESTS)}."]
    # Without the declared kinds a property may be tested any way.
    if kind not in TESTS_FOR_KIND:
        return [f"its property holds an unknown kind of value ({kind!r})."]
    if (properties is not None or property_key(rule.field) is None) and rule.test not in TESTS_FOR_KIND[kind]:
        allowed = ", ".join(test for test in TESTS if test in TESTS_FOR_KIND[kind])
        return [f"a {kind.replace('_', '/')} value cannot be tested with {rule.test!r}; use {allowed}."]
    problems = []
    if rule.test in ("one_of", "keywords"):
        if not rule.values:
            problems.append("list at least one value to match.")
        elif any(not str(value).strip() for value in rule.values):
            problems.append("a blank value never matches; remove it, or use the 'is empty' test.")
        if rule.field == "seniority":
            unknown = [value for value in rule.values if value not in SENIORITIES]
            if unknown:
                problems.append(
                    f"unknown seniority {', '.join(map(repr, unknown))}; use one of {', '.join(SENIORITIES)}."
                )
    elif rule.test == "band":
        if rule.minimum is None and rule.maximum is None:
            problems.append("give a minimum, a maximum or both.")
        if rule.minimum is not None and rule.maximum is not None and rule.minimum >= rule.maximum:
            problems.append(
                f"the band's minimum ({_number(rule.minimum)}) is not below its maximum ({_number(rule.maximum)})."
            )
    elif rule.test == "yes_no" and rule.expected is None:
        problems.append("say whether it matches yes (expected=True) or no (expected=False).")
    elif rule.test == "table":
        if not rule.table:
            problems.append("give at least one value and its points.")
        seen: set[str] = set()
        for value, _points in rule.table:
            folded = text_of(value)
            if folded in seen:
                problems.append(f"the value {_shown(value)} is listed twice.")
            seen.add(folded)
    return problems


# --- Evaluation -------------------------------------------------------------------------------


def evaluate(terms: Terms, facts: LeadFacts, activities: Iterable[Activity], *, as_of: datetime) -> Evaluation:
    """Grade, score, bucket, priority and sales-readiness of a lead at the moment ``as_of``, with
    reasons.

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

    fit = tuple(_field_result(rule, facts, terms.labels) for rule in terms.fit_rules)
    fit_points = int(sum(result.points for result in fit))
    grade = _grade(terms, fit_points)

    engagement: list[RuleResult] = []
    all_points: list[float] = []
    for rule in terms.engagement_rules:
        points = _engagement_points(rule, terms.half_life_days, facts, counted, as_of)
        all_points.extend(points)
        engagement.append(
            RuleResult(rule.describe(), bool(points), _engagement_detail(rule, facts, points, terms), math.fsum(points))
        )
    for rule in terms.engagement_field_rules:
        result = _field_result(rule, facts, terms.labels)
        all_points.append(float(result.points))
        engagement.append(result)
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
        priority=priority_of(terms, fit_points, score),
    )


@dataclass(frozen=True)
class Figures:
    """What :func:`evaluate` decides, without the reasons."""

    grade: str
    fit_points: int
    score: int
    bucket: str
    sales_ready: bool
    priority: int = 0


def figures(terms: Terms, facts: LeadFacts, activities: Iterable[Activity], *, as_of: datetime) -> Figures:
    """The grade, fit points, score, bucket, sales-readiness and priority :func:`evaluate` gives,
    at a fraction of its cost, for grading leads by the thousand. The caller checks the terms once
    with :func:`validate_terms` and passes aware datetimes (:func:`evaluate` checks both)."""
    counted = [activity for activity in activities if activity.at <= as_of]
    fit_points = 0
    engaged = 0
    for is_fit, value_getter, match in _compiled(terms):
        points = match(value_getter(facts))[1]
        if is_fit:
            fit_points += points
        else:
            engaged += points
    grade = _grade(terms, fit_points)
    points = [
        point
        for rule in terms.engagement_rules
        for point in _engagement_points(rule, terms.half_life_days, facts, counted, as_of)
    ]
    score = round(math.fsum([*points, engaged]))
    bucket = _first_reached(score, _buckets(terms), "unqualified")
    return Figures(
        grade,
        fit_points,
        score,
        bucket,
        _is_ready(terms, grade, bucket, counted),
        priority_of(terms, fit_points, score),
    )


_COMPILED: dict[int, tuple[Terms, tuple]] = {}


def _compiled(terms: Terms) -> tuple:
    """(is fit, getter, matcher) per field rule of ``terms``, built once per Terms object (by
    identity: hashing the terms on every lead would cost more than it saves)."""
    cached = _COMPILED.get(id(terms))
    if cached is None or cached[0] is not terms:
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        compiled = tuple((rule.part == "fit", getter(rule.field), matcher(rule)) for rule in terms.field_rules)
        cached = _COMPILED[id(terms)] = (terms, compiled)
    return cached[1]


def priority_of(terms: Terms, fit_points: int, score: int) -> int:
    """Fit points plus score on 0 to 100 between the terms' ``priority_low`` and ``priority_high``."""
    span = terms.priority_high - terms.priority_low
    if span <= 0:
        return 0
    return max(0, min(100, round(100 * (fit_points + score - terms.priority_low) / span)))


def _grade(terms: Terms, fit_points: int) -> str:
    return _first_reached(fit_points, [("A", terms.grade_a), ("B", terms.grade_b), ("C", terms.grade_c)], "D")


def _is_ready(terms: Terms, grade: str, bucket: str, counted: Sequence[Activity]) -> bool:
    by_grade = bool(terms.ready_grades and terms.ready_buckets) and (
        grade in terms.ready_grades and bucket in terms.ready_buckets
    )
    by_activity = any(
        activity.kind in terms.ready_activities and activity.kind in ACTIVITY_KINDS for activity in counted
    )
    return by_grade or by_activity


def _field_result(rule: FieldRule, facts: LeadFacts, labels: Mapping[str, str]) -> RuleResult:
    met, points = rule_points(rule, facts)
    value = value_of(facts, rule.field)
    label = field_label(rule.field, labels)
    if rule.field == "seniority":
        title = f'title "{facts.title.strip()}"' if facts.title and facts.title.strip() else "no title"
        detail = f"{label}: {SENIORITY_LABELS[str(value)]} ({title})"
    else:
        detail = f"{label}: {_shown_value(value)}"
    if rule.test == "table":
        detail += f", {points:+d}" if met else f", any other value {points:+d}"
        # A table's "any other value" still earns points: it counts as met when they are not zero.
        met = met or points != 0
    return RuleResult(rule.describe(labels), met, detail, points)


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


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}.")


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value or " or " in value else value


def _shown(value: str) -> str:
    return "(empty)" if not str(value).strip() else _quoted(str(value))


def _shown_value(value: object) -> str:
    if is_empty(value):
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).strip()


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


def _codes(known: Mapping[str, object]) -> str:
    return ", ".join(known)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
