"""Lead scoring against a qualified-lead definition: alignment.scoring (pure, no database)."""

import ast
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alignment import scoring
from alignment.scoring import (
    ACTIVE_INTEREST_KINDS,
    ACTIVITY_KINDS,
    BUCKETS,
    FIT_FIELDS,
    GRADES,
    SENIORITIES,
    Activity,
    EngagementRule,
    Evaluation,
    FitRule,
    LeadFacts,
    RuleResult,
    Terms,
    evaluate,
    seniority_of,
    validate_terms,
)

AS_OF = datetime(2026, 6, 15, 12, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


TERMS = Terms(
    fit_rules=(
        FitRule("seniority", 20, values=("vp", "c_level")),
        FitRule("industry", 15, values=("Software", "SaaS")),
        FitRule("employees", 10, minimum=200, maximum=5000),
        FitRule("country", 5, values=("DE", "AT", "CH")),
        FitRule("is_customer", 5, expected=False),
        FitRule("industry", -30, values=("Consulting",)),  # competitors
    ),
    grade_a=60,
    grade_b=35,
    grade_c=20,
    engagement_rules=(
        EngagementRule("demo_request", 30),
        EngagementRule("pricing_page_visit", 10),
        EngagementRule("content_download", 5),
        EngagementRule("event_signup", 2),
        EngagementRule("source_active", 10),
        EngagementRule("source_passive", 2),
    ),
    half_life_days=14,
    hot=30,
    warm=15,
    cold=5,
    ready_grades=frozenset({"A", "B"}),
    ready_buckets=frozenset({"hot", "warm"}),
    ready_activities=frozenset({"demo_request", "contact_form"}),
)

VP_AT_SOFTWARE_COMPANY = LeadFacts(
    title="Vice President of Sales",
    industry="Software",
    employees=500,
    country="de",
    is_customer=False,
    source_interest="active",
    created_at=days_ago(28),
)

MANAGER_AT_SHOP = LeadFacts(
    title="Marketing Manager",
    industry="Retail",
    employees=30,
    country="US",
    is_customer=True,
    source_interest="passive",
    created_at=days_ago(3),
)


def terms(**changes) -> Terms:
    return dataclasses.replace(TERMS, **changes)


def facts(**changes) -> LeadFacts:
    return dataclasses.replace(VP_AT_SOFTWARE_COMPANY, **changes)


# --- The module stays pure --------------------------------------------------------------------


def test_the_module_imports_nothing_but_the_standard_library():
    tree = ast.parse(Path(scoring.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "collections", "dataclasses", "datetime", "math", "re"}


def test_the_vocabularies():
    assert list(ACTIVITY_KINDS) == [
        "demo_request",
        "pricing_page_visit",
        "contact_form",
        "content_download",
        "webinar_signup",
        "event_signup",
        "email_click",
        "website_visit",
        "list_import",
    ]
    assert frozenset({"demo_request", "pricing_page_visit", "contact_form"}) == ACTIVE_INTEREST_KINDS
    assert list(FIT_FIELDS) == ["seniority", "industry", "employees", "country", "is_customer"]
    assert SENIORITIES == ("c_level", "vp", "director", "manager", "individual")
    assert GRADES == ("A", "B", "C", "D")
    assert BUCKETS == ("hot", "warm", "cold", "unqualified")


# --- Seniority from the job title -------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "seniority"),
    [
        ("Chief Revenue Officer", "c_level"),
        ("CEO", "c_level"),
        ("cfo", "c_level"),
        ("CTO / Co-Founder", "c_level"),
        ("Founder", "c_level"),
        ("Owner", "c_level"),
        ("President", "c_level"),
        ("President and Vice President of Sales", "c_level"),  # the highest seniority wins
        ("Vice President of Sales", "vp"),
        ("Executive Vice-President, Marketing", "vp"),
        ("VP Marketing", "vp"),
        ("SVP, Sales", "vp"),
        ("evp operations", "vp"),
        ("Sales Director", "director"),
        ("Managing Director", "director"),
        ("Head of IT", "director"),
        ("Marketing Manager", "manager"),
        ("Project Lead", "manager"),
        ("Team Lead", "manager"),
        ("Leadership coach", "individual"),  # whole words: "leadership" is not "lead"
        ("Team Leader", "individual"),
        ("Headhunter", "individual"),
        ("Vice chair", "individual"),
        ("Software Engineer", "individual"),
        ("", "individual"),
        ("   ", "individual"),
    ],
)
def test_seniority_of_a_title(title, seniority):
    assert seniority_of(title) == seniority


# --- A worked example -------------------------------------------------------------------------


def worked_example() -> Evaluation:
    activities = [
        Activity("demo_request", days_ago(7)),
        Activity("pricing_page_visit", days_ago(14)),
        Activity("content_download", days_ago(28)),
        Activity("content_download", days_ago(28).astimezone(BERLIN)),  # the zone does not matter
        Activity("event_signup", AS_OF + timedelta(days=1)),  # in the future: ignored
        Activity("webinar_signup", days_ago(1)),  # no rule for it
    ]
    return evaluate(TERMS, VP_AT_SOFTWARE_COMPANY, activities, as_of=AS_OF)


def test_a_vp_at_a_mid_sized_software_company_in_germany():
    evaluation = worked_example()
    # Fit: 20 (VP) + 15 (software) + 10 (500 people) + 5 (DE) + 5 (net new) = 55: B (A needs 60).
    assert evaluation.fit_points == 55
    assert evaluation.grade == "B"
    # Engagement, half-life 14 days: the demo request 7 days ago keeps 30 / √2 = 21.21 points,
    # the pricing-page visit 14 days ago 10 / 2 = 5, two downloads 28 days ago 2 * 5 / 4 = 2.5,
    # the active-interest source (lead created 28 days ago) 10 / 4 = 2.5. 31.21 → 31: hot.
    assert evaluation.score == 31
    assert evaluation.bucket == "hot"
    assert evaluation.sales_ready


def test_the_worked_example_explains_every_fit_rule():
    assert worked_example().fit == (
        RuleResult("Seniority is VP or C-level: +20", True, 'Seniority: VP (title "Vice President of Sales")'),
        RuleResult("Industry is Software or SaaS: +15", True, "Industry: Software"),
        RuleResult("Employees between 200 and 5,000: +10", True, "Employees: 500"),
        RuleResult("Country is DE, AT or CH: +5", True, "Country: de"),
        RuleResult("Is not yet a customer (net new): +5", True, "Existing customer: no"),
        RuleResult("Industry is Consulting: -30", False, "Industry: Software"),
    )


def test_the_worked_example_explains_every_engagement_rule():
    assert worked_example().engagement == (
        RuleResult("Demo request: +30 each", True, "1 demo request, 21.2 points after decay"),
        RuleResult("Pricing-page visit: +10 each", True, "1 pricing-page visit, 5.0 points after decay"),
        RuleResult("Content download: +5 each", True, "2 content downloads, 2.5 points after decay"),
        RuleResult("Event sign-up: +2 each", False, "No event sign-ups"),
        RuleResult("Active-interest source: +10", True, "Source is active interest, 2.5 points after decay"),
        RuleResult("Passive-interest source: +2", False, "Source is active interest"),
    )


def test_the_worked_example_explains_why_it_is_sales_ready():
    evaluation = worked_example()
    assert evaluation.readiness == (
        RuleResult("Grade A or B and bucket hot or warm", True, "Grade B and bucket hot"),
        RuleResult(
            "Any demo request or contact form submission, whatever the grade and bucket", True, "1 demo request"
        ),
    )
    assert evaluation.why() == "Sales-ready: grade B and bucket hot; 1 demo request."


def test_a_lead_that_misses_everything_says_what_is_missing():
    activities = [Activity("pricing_page_visit", days_ago(1))]
    evaluation = evaluate(TERMS, MANAGER_AT_SHOP, activities, as_of=AS_OF)
    assert (evaluation.grade, evaluation.fit_points) == ("D", 0)
    assert (evaluation.bucket, evaluation.score) == ("cold", 11)  # 10 * 0.5^(1/14) + 2 * 0.5^(3/14) = 11.24
    assert not evaluation.sales_ready
    assert [result.met for result in evaluation.readiness] == [False, False]
    assert evaluation.why() == (
        "Not sales-ready: grade D is not A or B and bucket cold is not hot or warm;"
        " no demo request or contact form submission."
    )


def test_a_lead_that_misses_only_the_grade_says_only_that():
    lead = facts(title="Marketing Manager", country="US")  # 15 + 10 + 5 = 30: C
    evaluation = evaluate(TERMS, lead, [Activity("pricing_page_visit", AS_OF)] * 2, as_of=AS_OF)
    assert (evaluation.score, evaluation.bucket) == (22, "warm")  # 2 * 10 + 2.5 for the source
    assert evaluation.grade == "C"
    assert evaluation.why() == "Not sales-ready: grade C is not A or B; no demo request or contact form submission."


def test_a_demo_request_makes_any_lead_sales_ready():
    evaluation = evaluate(TERMS, MANAGER_AT_SHOP, [Activity("demo_request", days_ago(400))], as_of=AS_OF)
    assert (evaluation.grade, evaluation.bucket) == ("D", "unqualified")
    assert evaluation.sales_ready
    assert evaluation.readiness[1] == RuleResult(
        "Any demo request or contact form submission, whatever the grade and bucket", True, "1 demo request"
    )
    assert evaluation.why() == "Sales-ready: 1 demo request."


def test_readiness_lists_only_the_clauses_the_terms_use():
    by_activity_only = terms(ready_grades=frozenset(), ready_buckets=frozenset())
    evaluation = evaluate(by_activity_only, VP_AT_SOFTWARE_COMPANY, [], as_of=AS_OF)
    assert evaluation.readiness == (
        RuleResult(
            "Any demo request or contact form submission, whatever the grade and bucket",
            False,
            "No demo request or contact form submission",
        ),
    )
    assert evaluation.why() == "Not sales-ready: no demo request or contact form submission."

    by_grade_and_bucket = terms(ready_activities=frozenset(), ready_grades=frozenset({"B"}))
    evaluation = evaluate(by_grade_and_bucket, VP_AT_SOFTWARE_COMPANY, [], as_of=AS_OF)
    assert evaluation.readiness == (
        RuleResult("Grade B and bucket hot or warm", False, "Bucket unqualified is not hot or warm"),
    )
    assert evaluation.why() == "Not sales-ready: bucket unqualified is not hot or warm."


# --- Fit rules --------------------------------------------------------------------------------


def fit_of(rule: FitRule, lead: LeadFacts) -> RuleResult:
    return evaluate(terms(fit_rules=(rule,)), lead, [], as_of=AS_OF).fit[0]


@pytest.mark.parametrize(("employees", "met"), [(199, False), (200, True), (5000, True), (5001, False), (None, False)])
def test_the_employee_range_is_inclusive(employees, met):
    assert fit_of(FitRule("employees", 10, minimum=200, maximum=5000), facts(employees=employees)).met is met


def test_an_open_employee_range():
    assert fit_of(FitRule("employees", 1, minimum=1000), facts(employees=10**6)).met
    assert fit_of(FitRule("employees", 1, maximum=50), facts(employees=0)).met
    assert FitRule("employees", 1, minimum=1000).describe() == "Employees at least 1,000: +1"
    assert FitRule("employees", -5, maximum=50).describe() == "Employees at most 50: -5"
    assert fit_of(FitRule("employees", 1, maximum=50), facts(employees=None)).detail == "Employees: not given"


def test_industry_and_country_ignore_case_and_spaces():
    assert fit_of(FitRule("industry", 1, values=(" software ",)), facts(industry="SOFTWARE")).met
    assert fit_of(FitRule("country", 1, values=("de",)), facts(country=" DE")).met
    assert not fit_of(FitRule("country", 1, values=("DE",)), facts(country="")).met
    assert fit_of(FitRule("country", 1, values=("DE",)), facts(country="")).detail == "Country: not given"


def test_the_customer_flag():
    customers = FitRule("is_customer", 5, expected=True)
    assert customers.describe() == "Is an existing customer: +5"
    assert fit_of(customers, facts(is_customer=True)) == RuleResult(
        "Is an existing customer: +5", True, "Existing customer: yes"
    )
    assert not fit_of(customers, facts(is_customer=False)).met


def test_seniority_without_a_title():
    result = fit_of(FitRule("seniority", 5, values=("individual",)), facts(title=""))
    assert result == RuleResult(
        "Seniority is Individual contributor: +5", True, "Seniority: Individual contributor (no title)"
    )


def test_negative_points_lower_the_grade():
    consultant = facts(industry="consulting")
    evaluation = evaluate(TERMS, consultant, [], as_of=AS_OF)
    assert evaluation.fit_points == 20 + 10 + 5 + 5 - 30
    assert evaluation.grade == "D"


# --- Decay ------------------------------------------------------------------------------------


def score_of(activities, half_life_days=10, points=40, lead=VP_AT_SOFTWARE_COMPANY, as_of=AS_OF) -> int:
    plain = terms(engagement_rules=(EngagementRule("demo_request", points),), half_life_days=half_life_days)
    return evaluate(plain, lead, activities, as_of=as_of).score


@pytest.mark.parametrize(("age", "score"), [(0, 40), (10, 20), (20, 10), (30, 5), (40, 2)])
def test_points_halve_every_half_life(age, score):
    # 40 days is 2.5 points: rounded half to even, to 2.
    assert score_of([Activity("demo_request", days_ago(age))]) == score


def test_rounding_is_half_to_even_on_the_total_only():
    assert score_of([Activity("demo_request", days_ago(10))], points=5) == 2  # 2.5
    assert score_of([Activity("demo_request", days_ago(10))], points=7) == 4  # 3.5
    # Three activities at 2.5 each sum to 7.5 before rounding, not 3 * 2.
    assert score_of([Activity("demo_request", days_ago(10))] * 3, points=5) == 8


def test_decay_counts_fractions_of_a_day():
    assert score_of([Activity("demo_request", days_ago(5))], points=1000) == 707  # 1000 / √2
    assert score_of([Activity("demo_request", AS_OF - timedelta(hours=120))], points=1000) == 707


def test_activities_after_the_moment_of_evaluation_are_ignored():
    later = Activity("demo_request", AS_OF + timedelta(microseconds=1))
    assert score_of([later]) == 0
    evaluation = evaluate(TERMS, MANAGER_AT_SHOP, [later], as_of=AS_OF)
    assert not evaluation.sales_ready
    assert evaluation.engagement[0] == RuleResult("Demo request: +30 each", False, "No demo requests")


def test_an_activity_at_the_moment_of_evaluation_counts_in_full():
    assert score_of([Activity("demo_request", AS_OF)]) == 40


def test_no_decay_with_a_half_life_of_zero():
    old = [Activity("demo_request", days_ago(1000))] * 3
    assert score_of(old, half_life_days=0, points=30) == 90
    evaluation = evaluate(terms(half_life_days=0), VP_AT_SOFTWARE_COMPANY, old, as_of=AS_OF)
    assert evaluation.engagement[0].detail == "3 demo requests, 90 points"


def test_the_source_counts_once_from_the_creation_of_the_lead():
    source_only = terms(engagement_rules=(EngagementRule("source_active", 40),), half_life_days=10)
    assert evaluate(source_only, facts(created_at=days_ago(10)), [], as_of=AS_OF).score == 20
    not_yet = evaluate(source_only, facts(created_at=AS_OF + timedelta(days=1)), [], as_of=AS_OF)
    assert not_yet.score == 0
    assert not_yet.engagement[0] == RuleResult(
        "Active-interest source: +40",
        False,
        "Source is active interest, but the lead was created after the moment of evaluation",
    )
    passive = evaluate(source_only, facts(source_interest="passive"), [], as_of=AS_OF)
    assert passive.engagement[0] == RuleResult("Active-interest source: +40", False, "Source is passive interest")


def test_negative_scores_are_unqualified():
    spammy = terms(engagement_rules=(EngagementRule("email_click", -1),), cold=0)
    evaluation = evaluate(spammy, VP_AT_SOFTWARE_COMPANY, [Activity("email_click", AS_OF)], as_of=AS_OF)
    assert (evaluation.score, evaluation.bucket) == (-1, "unqualified")
    assert evaluate(spammy, VP_AT_SOFTWARE_COMPANY, [], as_of=AS_OF).bucket == "cold"  # 0 reaches cold 0


# --- Bad input --------------------------------------------------------------------------------


def test_evaluating_invalid_terms_fails_with_the_problems():
    with pytest.raises(ValueError, match=r"Invalid qualified-lead terms: .*half-life cannot be negative"):
        evaluate(terms(half_life_days=-1), VP_AT_SOFTWARE_COMPANY, [], as_of=AS_OF)


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 6, 15, 12)
    with pytest.raises(ValueError, match="as_of must be an aware datetime"):
        evaluate(TERMS, VP_AT_SOFTWARE_COMPANY, [], as_of=naive)
    with pytest.raises(ValueError, match="created_at must be an aware datetime"):
        evaluate(TERMS, facts(created_at=naive), [], as_of=AS_OF)
    with pytest.raises(ValueError, match="'demo_request' activity's time must be an aware datetime"):
        evaluate(TERMS, VP_AT_SOFTWARE_COMPANY, [Activity("demo_request", naive)], as_of=AS_OF)


# --- Validation -------------------------------------------------------------------------------


def test_good_terms_have_no_problems():
    assert validate_terms(TERMS) == []
    assert validate_terms(terms(ready_grades=frozenset(), ready_buckets=frozenset())) == []
    assert validate_terms(terms(ready_activities=frozenset())) == []
    assert validate_terms(terms(half_life_days=0, cold=0, warm=0, hot=0, grade_a=-5, grade_b=-5, grade_c=-5)) == []


def with_fit_rule(rule: FitRule) -> dict:
    return {"fit_rules": (*TERMS.fit_rules, rule)}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (with_fit_rule(FitRule("salary", 5, values=("high",))), "Fit rule 7 (salary): unknown field 'salary'"),
        (with_fit_rule(FitRule("seniority", 5, values=("VP",))), "unknown seniority 'VP'; use one of c_level"),
        (with_fit_rule(FitRule("industry", 5)), "Fit rule 7 (industry): list at least one industry"),
        (with_fit_rule(FitRule("country", 5, values=("DE", " "))), "a blank country never matches"),
        (with_fit_rule(FitRule("employees", 5)), "Fit rule 7 (employees): give a minimum, a maximum or both"),
        (with_fit_rule(FitRule("employees", 5, minimum=500, maximum=200)), "minimum (500) is above the maximum (200)"),
        (with_fit_rule(FitRule("employees", 5, minimum=-1)), "employees cannot be negative (minimum -1)"),
        (with_fit_rule(FitRule("is_customer", 5)), "say whether it matches existing customers"),
        (
            {"engagement_rules": (EngagementRule("podcast", 5),)},
            "Engagement rule 1: unknown activity 'podcast'; use one of demo_request",
        ),
        ({"half_life_days": -1}, "half-life cannot be negative (-1 days)"),
        ({"grade_b": 70}, "grade thresholds must not rise from A to C (A ≥ B ≥ C); got A 60, B 70, C 20"),
        ({"grade_c": 40}, "grade thresholds must not rise"),
        ({"warm": 40}, "bucket thresholds must not rise from hot to cold (hot ≥ warm ≥ cold); got hot 30, warm 40"),
        ({"cold": -5}, "bucket thresholds cannot be negative; got cold -5"),
        ({"ready_grades": frozenset({"A", "E"})}, "Unknown sales-ready grade: E; use one of A, B, C, D"),
        ({"ready_buckets": frozenset({"lukewarm"})}, "Unknown sales-ready bucket: lukewarm"),
        ({"ready_activities": frozenset({"source_active"})}, "Unknown sales-ready activity: source_active"),
        (
            {"ready_activities": frozenset(), "ready_buckets": frozenset()},
            "No lead can ever become sales-ready",
        ),
        ({"ready_buckets": frozenset()}, "Sales-ready grades are given without sales-ready buckets"),
    ],
)
def test_each_problem_has_a_message(changes, message):
    problems = validate_terms(terms(**changes))
    assert len(problems) == 1, problems
    assert message in problems[0]


def test_every_problem_is_reported_at_once():
    bad = terms(half_life_days=-1, grade_a=0, hot=-1, warm=-2, cold=-3, fit_rules=(FitRule("employees", 1),))
    assert len(validate_terms(bad)) == 4


# --- Properties -------------------------------------------------------------------------------

# database=None: no example database written to .hypothesis/ in the working tree.
PROPERTIES = settings(max_examples=100, deadline=None, database=None)

INDUSTRIES = ["Software", "Retail", "Consulting", "Banking"]
COUNTRIES = ["DE", "US", "FR", "IN"]
TITLES = [
    "CEO",
    "Vice President of Sales",
    "Head of IT",
    "Director",
    "Project Lead",
    "Engineer",
    "",
    "Leadership coach",
]


ANY_POINTS = st.integers(-50, 50)  # negative points mark disqualifying traits


def thresholds(low: int, high: int):
    return st.lists(st.integers(low, high), min_size=3, max_size=3).map(lambda xs: sorted(xs, reverse=True))


@st.composite
def fit_rules(draw, points=ANY_POINTS) -> FitRule:
    field = draw(st.sampled_from(list(FIT_FIELDS)))
    pool = {"seniority": SENIORITIES, "industry": INDUSTRIES, "country": COUNTRIES}.get(field)
    if pool:
        values = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
        return FitRule(field, draw(points), values=values)
    if field == "employees":
        low, high = sorted(draw(st.lists(st.integers(0, 10_000), min_size=2, max_size=2)))
        minimum, maximum = draw(st.sampled_from([(low, high), (low, None), (None, high)]))
        return FitRule(field, draw(points), minimum=minimum, maximum=maximum)
    return FitRule(field, draw(points), expected=draw(st.booleans()))


ENGAGEMENT_ACTIVITIES = [*ACTIVITY_KINDS, "source_active", "source_passive"]


@st.composite
def all_terms(draw, points=ANY_POINTS) -> Terms:
    grade_a, grade_b, grade_c = draw(thresholds(-50, 150))
    hot, warm, cold = draw(thresholds(0, 150))
    clause, activity = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    return Terms(
        fit_rules=tuple(draw(st.lists(fit_rules(points), max_size=6))),
        grade_a=grade_a,
        grade_b=grade_b,
        grade_c=grade_c,
        engagement_rules=tuple(
            EngagementRule(kind, draw(points))
            for kind in draw(st.lists(st.sampled_from(ENGAGEMENT_ACTIVITIES), max_size=6))
        ),
        half_life_days=draw(st.integers(0, 60)),
        hot=hot,
        warm=warm,
        cold=cold,
        ready_grades=frozenset(draw(st.sets(st.sampled_from(GRADES), min_size=1))) if clause else frozenset(),
        ready_buckets=frozenset(draw(st.sets(st.sampled_from(BUCKETS), min_size=1))) if clause else frozenset(),
        ready_activities=(
            frozenset(draw(st.sets(st.sampled_from(list(ACTIVITY_KINDS)), min_size=1, max_size=3)))
            if activity
            else frozenset()
        ),
    )


non_negative_terms = all_terms(points=st.integers(0, 50))

# Up to a year before AS_OF, and a few days after it (ignored until a later as_of).
moments = st.integers(-5 * 86_400, 366 * 86_400).map(lambda seconds: AS_OF - timedelta(seconds=seconds))

leads = st.builds(
    LeadFacts,
    title=st.sampled_from(TITLES),
    industry=st.sampled_from(["", *INDUSTRIES, "software"]),
    employees=st.none() | st.integers(0, 20_000),
    country=st.sampled_from(["", *COUNTRIES, "de"]),
    is_customer=st.booleans(),
    source_interest=st.sampled_from(["active", "passive"]),
    created_at=moments,
)
activities = st.builds(Activity, kind=st.sampled_from(list(ACTIVITY_KINDS)), at=moments)
activity_lists = st.lists(activities, max_size=12)


def grade_rank(evaluation: Evaluation) -> int:
    return GRADES.index(evaluation.grade)  # 0 is best


def bucket_rank(evaluation: Evaluation) -> int:
    return BUCKETS.index(evaluation.bucket)  # 0 is best


@PROPERTIES
@given(terms=all_terms())
def test_generated_terms_are_valid(terms):
    assert validate_terms(terms) == []


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists, data=st.data())
def test_the_same_inputs_give_the_same_evaluation_whatever_the_order_of_activities(terms, lead, activities, data):
    shuffled = data.draw(st.permutations(activities))
    assert evaluate(terms, lead, activities, as_of=AS_OF) == evaluate(terms, lead, shuffled, as_of=AS_OF)
    assert evaluate(terms, lead, iter(activities), as_of=AS_OF) == evaluate(terms, lead, activities, as_of=AS_OF)


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists)
def test_the_explanations_add_up(terms, lead, activities):
    evaluation = evaluate(terms, lead, activities, as_of=AS_OF)
    assert [result.rule for result in evaluation.fit] == [rule.describe() for rule in terms.fit_rules]
    assert [result.rule for result in evaluation.engagement] == [rule.describe() for rule in terms.engagement_rules]
    met_points = [rule.points for rule, result in zip(terms.fit_rules, evaluation.fit, strict=True) if result.met]
    assert evaluation.fit_points == sum(met_points)
    assert evaluation.sales_ready == any(result.met for result in evaluation.readiness)
    assert evaluation.why().startswith("Sales-ready: " if evaluation.sales_ready else "Not sales-ready: ")
    if not any(result.met for result in evaluation.engagement):
        assert evaluation.score == 0


@PROPERTIES
@given(terms=non_negative_terms, lead=leads, activities=activity_lists, extra=activities, ready=st.integers(1, 4))
def test_another_activity_never_lowers_the_score_the_bucket_or_readiness(terms, lead, activities, extra, ready):
    # Readiness only holds with sales-ready buckets closed upwards ("warm" implies "hot").
    terms = dataclasses.replace(terms, ready_buckets=frozenset(BUCKETS[:ready]) if terms.ready_buckets else frozenset())
    before = evaluate(terms, lead, activities, as_of=AS_OF)
    after = evaluate(terms, lead, [*activities, extra], as_of=AS_OF)
    assert after.score >= before.score
    assert bucket_rank(after) <= bucket_rank(before)
    assert after.grade == before.grade
    assert after.sales_ready or not before.sales_ready


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists, rule=fit_rules(points=st.integers(0, 50)))
def test_another_fit_rule_with_non_negative_points_never_worsens_the_grade(terms, lead, activities, rule):
    before = evaluate(terms, lead, activities, as_of=AS_OF)
    after = evaluate(dataclasses.replace(terms, fit_rules=(*terms.fit_rules, rule)), lead, activities, as_of=AS_OF)
    assert grade_rank(after) <= grade_rank(before)
    assert after.fit_points >= before.fit_points


@PROPERTIES
@given(terms=non_negative_terms, lead=leads, activities=activity_lists, seconds=st.integers(0, 400 * 86_400))
def test_evaluating_later_never_raises_the_score(terms, lead, activities, seconds):
    earlier, later = AS_OF, AS_OF + timedelta(seconds=seconds)
    assume(lead.created_at <= earlier)
    activities = [activity for activity in activities if activity.at <= earlier]  # none in between
    before = evaluate(terms, lead, activities, as_of=earlier)
    after = evaluate(terms, lead, activities, as_of=later)
    assert after.score <= before.score
    assert bucket_rank(after) >= bucket_rank(before)
    if terms.half_life_days == 0:
        assert after == before


@PROPERTIES
@given(
    terms=all_terms(),
    lead=leads,
    activities=activity_lists,
    raises=st.lists(st.integers(0, 100), min_size=6, max_size=6),
)
def test_raising_thresholds_never_improves_the_grade_or_the_bucket(terms, lead, activities, raises):
    grade_c = terms.grade_c + raises[0]
    grade_b = max(terms.grade_b + raises[1], grade_c)
    grade_a = max(terms.grade_a + raises[2], grade_b)
    cold = terms.cold + raises[3]
    warm = max(terms.warm + raises[4], cold)
    hot = max(terms.hot + raises[5], warm)
    stricter = dataclasses.replace(
        terms, grade_a=grade_a, grade_b=grade_b, grade_c=grade_c, hot=hot, warm=warm, cold=cold
    )
    before = evaluate(terms, lead, activities, as_of=AS_OF)
    after = evaluate(stricter, lead, activities, as_of=AS_OF)
    assert grade_rank(after) >= grade_rank(before)
    assert bucket_rank(after) >= bucket_rank(before)
    assert (after.fit_points, after.score) == (before.fit_points, before.score)


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists, data=st.data())
def test_a_ready_activity_makes_a_lead_sales_ready_whatever_else(terms, lead, activities, data):
    assume(terms.ready_activities)
    kind = data.draw(st.sampled_from(sorted(terms.ready_activities)))
    evaluation = evaluate(terms, lead, [*activities, Activity(kind, AS_OF)], as_of=AS_OF)
    assert evaluation.sales_ready


@PROPERTIES
@given(title=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -/,&", max_size=40))
def test_seniority_ignores_case(title):
    assert seniority_of(title) in SENIORITIES
    assert seniority_of(title.upper()) == seniority_of(title.lower()) == seniority_of(title)


@PROPERTIES
@given(
    words=st.lists(st.sampled_from(["of", "Sales", "Marketing", "Senior", "Global", "IT"]), max_size=4),
    keyword=st.sampled_from(["Chief", "CEO", "VP", "Vice President", "Director", "Head of", "Manager", "Lead"]),
)
def test_a_keyword_anywhere_in_the_title_counts(words, keyword):
    expected = seniority_of(keyword)
    assert expected != "individual"
    assert seniority_of(" ".join([*words, keyword, *words])) == expected


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists)
def test_the_figures_without_reasons_are_those_of_the_full_evaluation(terms, lead, activities):
    full = evaluate(terms, lead, activities, as_of=AS_OF)
    quick = scoring.figures(terms, lead, activities, as_of=AS_OF)
    assert (quick.grade, quick.fit_points, quick.score, quick.bucket, quick.sales_ready) == (
        full.grade,
        full.fit_points,
        full.score,
        full.bucket,
        full.sales_ready,
    )
