"""Lead scoring against a qualified-lead definition: alignment.scoring (pure, no database)."""

import ast
import dataclasses
import math
import string
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from alignment import scoring
from alignment.scoring import (
    ACTIVE_INTEREST_KINDS,
    ACTIVITY_KINDS,
    BUCKETS,
    CHOICE,
    DATE,
    GRADES,
    NUMBER,
    PARTS,
    SENIORITIES,
    STANDARD_FIELDS,
    TESTS,
    TESTS_FOR_KIND,
    TEXT,
    YES_NO,
    Activity,
    EngagementRule,
    Evaluation,
    FieldRule,
    Figures,
    LeadFacts,
    RuleResult,
    Terms,
    evaluate,
    figures,
    kind_of_field,
    priority_of,
    rule_points,
    seniority_of,
    text_of,
    validate_terms,
)

AS_OF = datetime(2026, 6, 15, 12, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


TERMS = Terms(
    field_rules=(
        FieldRule("seniority", "one_of", 20, values=("vp", "c_level")),
        FieldRule("industry", "one_of", 15, values=("Software", "SaaS")),
        FieldRule("employees", "band", 10, minimum=200, maximum=5001),  # 200 to 5,000 people
        FieldRule("country", "one_of", 5, values=("DE", "AT", "CH")),
        FieldRule("is_customer", "yes_no", 5, expected=False),
        FieldRule("industry", "one_of", -30, values=("Consulting",)),  # competitors
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

# The lead properties the rules below may test: key → kind of value.
PROPERTY_KINDS = {
    "pages_viewed": NUMBER,
    "occupation": TEXT,
    "plan": CHOICE,
    "newsletter": YES_NO,
    "signed_up_on": DATE,
}
LABELS = {"pages_viewed": "Pages viewed", "occupation": "Occupation", "plan": "Plan"}  # newsletter: by its key

BANKING = "Banking, Investment And Insurance"


def terms(**changes) -> Terms:
    return dataclasses.replace(TERMS, **changes)


def facts(**changes) -> LeadFacts:
    return dataclasses.replace(VP_AT_SOFTWARE_COMPANY, **changes)


def lead_with(**properties) -> LeadFacts:
    return facts(properties=properties)


def fit_of(rule: FieldRule, lead: LeadFacts) -> RuleResult:
    return evaluate(terms(field_rules=(rule,), labels=LABELS), lead, [], as_of=AS_OF).fit[0]


def met(rule: FieldRule, lead: LeadFacts) -> bool:
    return rule_points(rule, lead)[0]


# --- The module stays pure --------------------------------------------------------------------


def test_the_module_imports_nothing_but_the_standard_library():
    tree = ast.parse(Path(scoring.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "collections", "dataclasses", "datetime", "functools", "math", "re"}


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
    assert list(STANDARD_FIELDS) == [
        "title",
        "seniority",
        "industry",
        "employees",
        "country",
        "is_customer",
        "source",
        "campaign",
        "source_interest",
    ]
    assert list(TESTS) == ["one_of", "empty", "band", "yes_no", "keywords", "table"]
    assert all(tests <= set(TESTS) and "empty" in tests for tests in TESTS_FOR_KIND.values())
    assert {kind for _label, kind in STANDARD_FIELDS.values()} <= set(TESTS_FOR_KIND)
    assert list(PARTS) == ["fit", "engagement"]
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


@pytest.mark.parametrize(
    "title",
    [
        "Product Owner",
        "product owner",
        "Senior Product Owner",
        "Product-Owner",
        "Product Owners",
        "Process Owner",
        "Business Process Owner",
        "Data Owner",
    ],
)
def test_the_owner_of_a_product_or_a_process_is_an_individual_contributor(title):
    assert seniority_of(title) == "individual"


@pytest.mark.parametrize(
    "title", ["Owner", "owner", "Business Owner", "Co-Owner", "Owner & Managing Director", "Product Owner and Founder"]
)
def test_the_owner_of_a_business_is_c_level(title):
    assert seniority_of(title) == "c_level"


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
    # Priority: 55 + 31 = 86 on the default scale of 0 to 100 points.
    assert evaluation.priority == 86


def test_the_worked_example_explains_every_fit_rule():
    assert worked_example().fit == (
        RuleResult("Seniority is VP or C-level: +20", True, 'Seniority: VP (title "Vice President of Sales")', 20),
        RuleResult("Industry is Software or SaaS: +15", True, "Industry: Software", 15),
        RuleResult("Employees from 200 to under 5,001: +10", True, "Employees: 500", 10),
        RuleResult("Country is DE, AT or CH: +5", True, "Country: de", 5),
        RuleResult("Is not yet a customer (net new): +5", True, "Existing customer: no", 5),
        RuleResult("Industry is Consulting: -30", False, "Industry: Software", 0),
    )


def test_the_worked_example_explains_every_engagement_rule():
    assert worked_example().engagement == (
        RuleResult(
            "Demo request: +30 each", True, "1 demo request, 21.2 points after decay", pytest.approx(30 / 2**0.5)
        ),
        RuleResult("Pricing-page visit: +10 each", True, "1 pricing-page visit, 5.0 points after decay", 5),
        RuleResult("Content download: +5 each", True, "2 content downloads, 2.5 points after decay", 2.5),
        RuleResult("Event sign-up: +2 each", False, "No event sign-ups", 0),
        RuleResult("Active-interest source: +10", True, "Source is active interest, 2.5 points after decay", 2.5),
        RuleResult("Passive-interest source: +2", False, "Source is active interest", 0),
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


def test_matched_lists_the_rules_the_lead_met_fit_first_then_engagement():
    assert [result.rule for result in worked_example().matched] == [
        "Seniority is VP or C-level: +20",
        "Industry is Software or SaaS: +15",
        "Employees from 200 to under 5,001: +10",
        "Country is DE, AT or CH: +5",
        "Is not yet a customer (net new): +5",
        "Demo request: +30 each",
        "Pricing-page visit: +10 each",
        "Content download: +5 each",
        "Active-interest source: +10",
    ]


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


# --- Fit rules on the standard fields ---------------------------------------------------------


@pytest.mark.parametrize(("employees", "met"), [(199, False), (200, True), (5000, True), (5001, False), (None, False)])
def test_the_employee_band_holds_its_minimum_but_not_its_maximum(employees, met):
    rule = FieldRule("employees", "band", 10, minimum=200, maximum=5001)
    assert fit_of(rule, facts(employees=employees)).met is met


def test_an_open_employee_band():
    assert fit_of(FieldRule("employees", "band", 1, minimum=1000), facts(employees=10**6)).met
    assert fit_of(FieldRule("employees", "band", 1, maximum=51), facts(employees=0)).met
    assert FieldRule("employees", "band", 1, minimum=1000).describe() == "Employees at least 1,000: +1"
    assert FieldRule("employees", "band", -5, maximum=51).describe() == "Employees under 51: -5"
    assert fit_of(FieldRule("employees", "band", 1, maximum=51), facts(employees=None)).detail == "Employees: not given"


def test_industry_and_country_ignore_case_and_spaces():
    assert fit_of(FieldRule("industry", "one_of", 1, values=(" software ",)), facts(industry="SOFTWARE")).met
    assert fit_of(FieldRule("country", "one_of", 1, values=("de",)), facts(country=" DE")).met
    assert not fit_of(FieldRule("country", "one_of", 1, values=("DE",)), facts(country="")).met
    assert fit_of(FieldRule("country", "one_of", 1, values=("DE",)), facts(country="")).detail == "Country: not given"


def test_the_customer_flag():
    customers = FieldRule("is_customer", "yes_no", 5, expected=True)
    assert customers.describe() == "Is an existing customer: +5"
    assert fit_of(customers, facts(is_customer=True)) == RuleResult(
        "Is an existing customer: +5", True, "Existing customer: yes", 5
    )
    assert not fit_of(customers, facts(is_customer=False)).met


def test_seniority_without_a_title():
    result = fit_of(FieldRule("seniority", "one_of", 5, values=("individual",)), facts(title=""))
    assert result == RuleResult(
        "Seniority is Individual contributor: +5", True, "Seniority: Individual contributor (no title)", 5
    )


def test_negative_points_lower_the_grade():
    consultant = facts(industry="consulting")
    evaluation = evaluate(TERMS, consultant, [], as_of=AS_OF)
    assert evaluation.fit_points == 20 + 10 + 5 + 5 - 30
    assert evaluation.grade == "D"


def test_source_and_campaign_are_fields_too():
    lead = facts(source="Trade fair", campaign="Spring launch, DACH")
    assert fit_of(FieldRule("source", "one_of", 3, values=("trade fair",)), lead).detail == "Source: Trade fair"
    assert fit_of(FieldRule("campaign", "one_of", 3, values=("Spring launch, DACH",)), lead).met
    assert fit_of(FieldRule("source_interest", "one_of", 3, values=("active",)), lead).met


# --- one_of -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "industry", [BANKING, "banking, investment and insurance", "  BANKING, INVESTMENT AND INSURANCE\t"]
)
def test_a_value_with_commas_matches_whole(industry):
    rule = FieldRule("industry", "one_of", 5, values=(BANKING, "Software"))
    assert fit_of(rule, facts(industry=industry)) == RuleResult(
        'Industry is "Banking, Investment And Insurance" or Software: +5', True, f"Industry: {industry.strip()}", 5
    )


@pytest.mark.parametrize(
    "industry", ["Banking", "Investment And Insurance", "Insurance", "Banking, Investment", "Banking Investment"]
)
def test_a_value_with_commas_does_not_match_its_parts(industry):
    assert not fit_of(FieldRule("industry", "one_of", 5, values=(BANKING,)), facts(industry=industry)).met


@settings(max_examples=100, deadline=None, database=None)
@given(
    parts=st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), min_size=2, max_size=4),
    case=st.sampled_from([str, str.upper, str.lower, str.swapcase]),
    padding=st.sampled_from(["", " ", "  ", "\t", "\n "]),
)
def test_a_value_with_commas_matches_itself_in_any_case_and_padding_but_never_its_parts(parts, case, padding):
    whole = ", ".join(parts)
    rule = FieldRule("property:plan", "one_of", 1, values=(whole,))
    assert rule_points(rule, lead_with(plan=f"{padding}{case(whole)}{padding}")) == (True, 1)
    for part in parts:
        assert rule_points(rule, lead_with(plan=part)) == (False, 0)


def test_one_of_on_a_number_compares_the_number():
    rule = FieldRule("property:pages_viewed", "one_of", 2, values=("12",))
    assert met(rule, lead_with(pages_viewed=12))
    assert met(rule, lead_with(pages_viewed=12.0))
    assert not met(rule, lead_with(pages_viewed=120))


# --- empty ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", " ", " \t\n "])
def test_the_empty_test_matches_no_value_and_blank_text(value):
    rule = FieldRule("property:occupation", "empty", 3)
    assert rule_points(rule, lead_with(occupation=value)) == (True, 3)


def test_a_property_the_lead_does_not_have_is_empty():
    assert rule_points(FieldRule("property:occupation", "empty", 3), lead_with()) == (True, 3)


@pytest.mark.parametrize("value", ["x", "0", "-", 0, 0.0, False, True, date(2026, 1, 1)])
def test_the_empty_test_does_not_match_a_value(value):
    assert rule_points(FieldRule("property:occupation", "empty", 3), lead_with(occupation=value)) == (False, 0)


def test_empty_standard_fields():
    unknown_size = FieldRule("employees", "empty", -5)
    assert fit_of(unknown_size, facts(employees=None)) == RuleResult(
        "Employees is empty: -5", True, "Employees: not given", -5
    )
    assert not fit_of(unknown_size, facts(employees=0)).met
    assert fit_of(FieldRule("country", "empty", -5), facts(country="  ")).met


def test_a_table_entry_for_the_empty_value_gives_its_points():
    rule = FieldRule("property:plan", "table", table=(("Pro", 10), ("", -5)), other_points=1)
    for blank in (None, "", "  "):
        assert rule_points(rule, lead_with(plan=blank)) == (True, -5)
    assert rule_points(rule, lead_with()) == (True, -5)
    assert rule_points(rule, lead_with(plan="pro")) == (True, 10)
    assert rule_points(rule, lead_with(plan="Free")) == (False, 1)
    assert rule.describe(LABELS) == "Plan: Pro +10, (empty) -5; any other value +1"


def test_without_a_table_entry_for_the_empty_value_it_gets_the_other_points():
    rule = FieldRule("property:plan", "table", table=(("Pro", 10),), other_points=1)
    for blank in (None, "", "  "):
        assert rule_points(rule, lead_with(plan=blank)) == (False, 1)
    assert fit_of(rule, lead_with()) == RuleResult(
        "Plan: Pro +10; any other value +1", True, "Plan: not given, any other value +1", 1
    )


# --- band -------------------------------------------------------------------------------------

EMPLOYEE_BANDS = (
    FieldRule("employees", "band", -10, maximum=50),
    FieldRule("employees", "band", 5, minimum=50, maximum=200),
    FieldRule("employees", "band", 10, minimum=200, maximum=5001),
    FieldRule("employees", "band", 3, minimum=5001),
)


@pytest.mark.parametrize(
    ("employees", "points"),
    [(0, -10), (49, -10), (50, 5), (199, 5), (200, 10), (5000, 10), (5001, 3), (10**6, 3), (None, 0)],
)
def test_several_bands_on_one_field_give_the_points_of_the_band_the_value_is_in(employees, points):
    evaluation = evaluate(terms(field_rules=EMPLOYEE_BANDS), facts(employees=employees), [], as_of=AS_OF)
    assert evaluation.fit_points == points
    assert sum(result.met for result in evaluation.fit) == (0 if employees is None else 1)


def test_bands_in_words():
    assert [rule.describe() for rule in EMPLOYEE_BANDS] == [
        "Employees under 50: -10",
        "Employees from 50 to under 200: +5",
        "Employees from 200 to under 5,001: +10",
        "Employees at least 5,001: +3",
    ]
    fraction = FieldRule("property:pages_viewed", "band", 1, minimum=2.5, maximum=10)
    assert fraction.describe(LABELS) == "Pages viewed from 2.5 to under 10: +1"


@settings(max_examples=200, deadline=None, database=None)
@given(employees=st.integers(0, 10**7))
@example(employees=0)
@example(employees=50)
@example(employees=200)
@example(employees=5000)
@example(employees=5001)
def test_adjacent_bands_place_every_head_count_in_exactly_one(employees):
    results = [rule_points(rule, facts(employees=employees)) for rule in EMPLOYEE_BANDS]
    assert sum(met for met, _points in results) == 1


@settings(max_examples=200, deadline=None, database=None)
@given(minimum=st.integers(-10_000, 10_000), width=st.integers(1, 10_000), as_text=st.booleans())
def test_a_band_holds_its_minimum_but_not_its_maximum(minimum, width, as_text):
    rule = FieldRule("property:pages_viewed", "band", 1, minimum=minimum, maximum=minimum + width)

    def inside(number: int) -> bool:
        return met(rule, lead_with(pages_viewed=f" {number} " if as_text else number))

    assert inside(minimum)
    assert inside(minimum + width - 1)
    assert not inside(minimum + width)
    assert not inside(minimum - 1)


def test_a_band_with_fractions():
    rule = FieldRule("property:pages_viewed", "band", 1, minimum=2.5, maximum=10)
    assert met(rule, lead_with(pages_viewed=2.5))
    assert met(rule, lead_with(pages_viewed="9.99"))
    assert not met(rule, lead_with(pages_viewed=2.49))
    assert not met(rule, lead_with(pages_viewed=10.0))


@pytest.mark.parametrize("value", ["many", "n/a", "two hundred", "200 people", "200-500", "", "  ", None, True, False])
def test_text_that_is_not_a_number_is_in_no_band(value):
    for rule in (
        FieldRule("property:pages_viewed", "band", 1, minimum=0),
        FieldRule("property:pages_viewed", "band", 1, maximum=10**9),
        FieldRule("property:pages_viewed", "band", 1, minimum=-(10**9), maximum=10**9),
    ):
        assert rule_points(rule, lead_with(pages_viewed=value)) == (False, 0)


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(alphabet=string.ascii_letters + " ,/", max_size=20))
def test_words_are_in_no_band(text):
    # Python's float() reads "inf", "infinity" and "nan" as numbers: see the test below.
    assume(text.strip().casefold() not in {"inf", "infinity", "nan"})
    rule = FieldRule("property:pages_viewed", "band", 1, minimum=-(10**9), maximum=10**9)
    assert not met(rule, lead_with(pages_viewed=text))


@pytest.mark.parametrize("text", ["inf", "Infinity"])
def test_infinity_spelt_out_is_not_a_number(text):
    assert not met(FieldRule("property:pages_viewed", "band", 1, minimum=200), lead_with(pages_viewed=text))


# --- keywords ---------------------------------------------------------------------------------

HEAD_OF = FieldRule("title", "keywords", 10, values=("head of", "VP"))


@pytest.mark.parametrize(
    "title",
    ["Head of Sales", "HEAD OF IT", "Global head of   marketing", "Head-of Operations", "vp marketing", "SVP/VP"],
)
def test_a_keyword_matches_as_whole_words_in_any_case(title):
    assert fit_of(HEAD_OF, facts(title=title)) == RuleResult(
        "Job title mentions head of or VP: +10", True, f"Job title: {title}", 10
    )


@pytest.mark.parametrize(
    "title", ["Headhunter", "Head Office Manager", "Overhead of IT", "Head", "VPN Engineer", "MVP Coach", ""]
)
def test_a_keyword_inside_another_word_does_not_match(title):
    assert not fit_of(HEAD_OF, facts(title=title)).met


@settings(max_examples=200, deadline=None, database=None)
@given(
    before=st.lists(st.sampled_from(["Sales", "Global", "Senior", "IT", "Marketing", "Team"]), max_size=3),
    after=st.lists(st.sampled_from(["Sales", "Global", "Senior", "IT", "Marketing", "Team"]), max_size=3),
    keyword=st.sampled_from(["head of", "VP", "chief", "growth hacker"]),
    case=st.sampled_from([str, str.upper, str.lower, str.title]),
    glue=st.sampled_from(["x", "9", "_"]),
)
def test_a_keyword_counts_anywhere_as_whole_words_and_not_glued_to_a_word(before, after, keyword, case, glue):
    rule = FieldRule("property:occupation", "keywords", 1, values=(keyword,))
    assert met(rule, lead_with(occupation=" ".join([*before, case(keyword), *after])))
    assert not met(rule, lead_with(occupation=" ".join([*before, glue + case(keyword), *after])))
    assert not met(rule, lead_with(occupation=" ".join([*before, case(keyword) + glue, *after])))


@pytest.mark.parametrize(("keyword", "text"), [("C++", "Senior C++ developer"), (".NET", ".NET developer")])
def test_a_keyword_that_ends_in_a_symbol_matches_as_a_word(keyword, text):
    assert met(FieldRule("property:occupation", "keywords", 1, values=(keyword,)), lead_with(occupation=text))


# --- table ------------------------------------------------------------------------------------

PLAN_POINTS = FieldRule("property:plan", "table", table=(("Enterprise", 30), ("Pro", 10), ("Free", -5)), other_points=2)


@pytest.mark.parametrize(
    ("plan", "outcome"),
    [
        ("Enterprise", (True, 30)),
        (" enterprise ", (True, 30)),
        ("PRO", (True, 10)),
        ("Free", (True, -5)),
        ("Trial", (False, 2)),
        ("Pro plus", (False, 2)),
        (None, (False, 2)),
    ],
)
def test_a_table_gives_each_value_its_own_points_and_any_other_value_the_other_points(plan, outcome):
    assert rule_points(PLAN_POINTS, lead_with(plan=plan)) == outcome


def test_a_table_explains_which_entry_applied():
    assert fit_of(PLAN_POINTS, lead_with(plan="pro")) == RuleResult(
        "Plan: Enterprise +30, Pro +10, Free -5; any other value +2", True, "Plan: pro, +10", 10
    )
    # "Any other value" earns points too, so it counts as met unless they are zero.
    assert fit_of(PLAN_POINTS, lead_with(plan="Trial")) == RuleResult(
        "Plan: Enterprise +30, Pro +10, Free -5; any other value +2", True, "Plan: Trial, any other value +2", 2
    )
    nothing_else = dataclasses.replace(PLAN_POINTS, other_points=0)
    assert not fit_of(nothing_else, lead_with(plan="Trial")).met


def test_a_value_listed_twice_in_a_table_is_a_problem_and_its_first_entry_counts():
    twice = FieldRule("property:plan", "table", table=(("Pro", 10), ("Free", 0), ("PRO", 5)))
    assert validate_terms(terms(field_rules=(twice,), labels=LABELS)) == [
        "Rule 1 (Plan): the value PRO is listed twice."
    ]
    assert rule_points(twice, lead_with(plan="pro")) == (True, 10)
    blank_twice = FieldRule("property:plan", "table", table=(("", 1), ("  ", 2)))
    assert len(validate_terms(terms(field_rules=(blank_twice,)))) == 1


# --- Fit and engagement field rules -----------------------------------------------------------

PAGES_VIEWED = FieldRule("property:pages_viewed", "band", 12, minimum=10, part="engagement")


def test_the_part_of_a_field_rule_says_what_it_counts_towards():
    both = terms(field_rules=(*TERMS.field_rules, PAGES_VIEWED))
    assert both.fit_rules == TERMS.field_rules
    assert both.engagement_field_rules == (PAGES_VIEWED,)


def test_an_engagement_field_rule_adds_its_points_to_the_score_without_decay():
    pages_only = terms(
        field_rules=(*TERMS.field_rules, PAGES_VIEWED),
        engagement_rules=(EngagementRule("demo_request", 30),),
        labels=LABELS,
    )
    lead = lead_with(pages_viewed=25)
    assert evaluate(pages_only, lead, [], as_of=AS_OF).score == 12
    assert evaluate(pages_only, lead, [], as_of=AS_OF + timedelta(days=3650)).score == 12
    demo = [Activity("demo_request", days_ago(14))]  # 30 / 2 = 15
    evaluation = evaluate(pages_only, lead, demo, as_of=AS_OF)
    assert evaluation.score == 27
    assert evaluation.fit_points == 55  # unchanged
    assert evaluation.engagement == (
        RuleResult("Demo request: +30 each", True, "1 demo request, 15.0 points after decay", 15),
        RuleResult("Pages viewed at least 10: +12", True, "Pages viewed: 25", 12),
    )
    assert evaluation.matched[-1] == RuleResult("Pages viewed at least 10: +12", True, "Pages viewed: 25", 12)
    assert evaluate(pages_only, lead_with(pages_viewed=9), demo, as_of=AS_OF).score == 15


def test_a_fit_field_rule_on_a_property_adds_to_the_fit_points():
    engineers = FieldRule("property:occupation", "keywords", 25, values=("engineer",))
    with_engineers = terms(field_rules=(*TERMS.field_rules, engineers))
    evaluation = evaluate(with_engineers, lead_with(occupation="Senior Engineer"), [], as_of=AS_OF)
    assert (evaluation.fit_points, evaluation.grade) == (80, "A")
    assert evaluation.fit[-1] == RuleResult(
        "occupation mentions engineer: +25", True, "occupation: Senior Engineer", 25
    )
    assert evaluation.score == evaluate(TERMS, lead_with(occupation="Senior Engineer"), [], as_of=AS_OF).score


# --- Priority ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "priority"),
    [(0, 100, 86), (50, 130, 45), (86, 200, 0), (100, 200, 0), (-100, 86, 100), (0, 50, 100)],
)
def test_priority_places_fit_plus_score_between_low_and_high(low, high, priority):
    # The worked example: 55 fit points + a score of 31 = 86.
    ranked = terms(priority_low=low, priority_high=high)
    activities = [Activity("demo_request", days_ago(7)), Activity("pricing_page_visit", days_ago(14))]
    activities += [Activity("content_download", days_ago(28))] * 2
    evaluation = evaluate(ranked, VP_AT_SOFTWARE_COMPANY, activities, as_of=AS_OF)
    assert evaluation.fit_points + evaluation.score == 86
    assert evaluation.priority == priority
    assert figures(ranked, VP_AT_SOFTWARE_COMPANY, activities, as_of=AS_OF).priority == priority


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
    assert validate_terms(terms(priority_low=-50, priority_high=-49)) == []


def with_field_rule(rule: FieldRule) -> dict:
    return {"field_rules": (*TERMS.field_rules, rule)}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            with_field_rule(FieldRule("salary", "one_of", 5, values=("high",))),
            "Rule 7 (salary (unknown field)): unknown field 'salary'; use one of title, seniority",
        ),
        (with_field_rule(FieldRule("industry", "regex", 5, values=("x",))), "Rule 7 (Industry): unknown test 'regex'"),
        (
            with_field_rule(FieldRule("industry", "one_of", 5, values=("x",), part="score")),
            "Rule 7 (Industry): unknown part 'score'; use fit or engagement",
        ),
        (
            with_field_rule(FieldRule("employees", "keywords", 5, values=("many",))),
            "Rule 7 (Employees): a number value cannot be tested with 'keywords'; use one_of, empty, band.",
        ),
        (
            with_field_rule(FieldRule("is_customer", "one_of", 5, values=("yes",))),
            "a yes/no value cannot be tested with 'one_of'; use empty, yes_no.",
        ),
        (
            with_field_rule(FieldRule("seniority", "one_of", 5, values=("VP",))),
            "unknown seniority 'VP'; use one of c_level",
        ),
        (
            with_field_rule(FieldRule("industry", "one_of", 5)),
            "Rule 7 (Industry): list at least one value to match.",
        ),
        (
            with_field_rule(FieldRule("title", "keywords", 5)),
            "Rule 7 (Job title): list at least one value to match.",
        ),
        (with_field_rule(FieldRule("country", "one_of", 5, values=("DE", " "))), "a blank value never matches"),
        (
            with_field_rule(FieldRule("property:plan", "table")),
            "Rule 7 (plan): give at least one value and its points.",
        ),
        (
            with_field_rule(FieldRule("employees", "band", 5)),
            "Rule 7 (Employees): give a minimum, a maximum or both",
        ),
        (
            with_field_rule(FieldRule("employees", "band", 5, minimum=500, maximum=200)),
            "the band's minimum (500) is not below its maximum (200).",
        ),
        (
            with_field_rule(FieldRule("employees", "band", 5, minimum=200, maximum=200)),
            "the band's minimum (200) is not below its maximum (200).",
        ),
        (
            with_field_rule(FieldRule("is_customer", "yes_no", 5)),
            "say whether it matches yes (expected=True) or no (expected=False).",
        ),
        (
            {"engagement_rules": (EngagementRule("podcast", 5),)},
            "Engagement rule 1: unknown activity 'podcast'; use one of demo_request",
        ),
        ({"half_life_days": -1}, "half-life cannot be negative (-1 days)"),
        ({"grade_b": 70}, "grade thresholds must not rise from A to C (A ≥ B ≥ C); got A 60, B 70, C 20"),
        ({"grade_c": 40}, "grade thresholds must not rise"),
        ({"warm": 40}, "bucket thresholds must not rise from hot to cold (hot ≥ warm ≥ cold); got hot 30, warm 40"),
        ({"cold": -5}, "bucket thresholds cannot be negative; got cold -5"),
        (
            {"priority_low": 60, "priority_high": 40},
            "Priority 100 must take more points than priority 0; got 60 and 40.",
        ),
        ({"priority_low": 50, "priority_high": 50}, "Priority 100 must take more points than priority 0"),
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


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            FieldRule("property:newsletter", "band", 5, minimum=1),
            "Rule 1 (newsletter): a yes/no value cannot be tested with 'band'; use empty, yes_no.",
        ),
        (
            FieldRule("property:signed_up_on", "one_of", 5, values=("2026-01-01",)),
            "Rule 1 (signed_up_on): a date value cannot be tested with 'one_of'; use empty.",
        ),
        (
            FieldRule("property:plan", "band", 5, minimum=1),
            "Rule 1 (Plan): a choice value cannot be tested with 'band'; use one_of, empty, keywords, table.",
        ),
        (
            FieldRule("property:shoe_size", "band", 5, minimum=40),
            "Rule 1 (shoe_size): there is no lead property 'shoe_size'; declare it first.",
        ),
    ],
)
def test_a_property_rule_must_suit_the_declared_kind_of_the_property(rule, message):
    wrong = terms(field_rules=(rule,), labels=LABELS)
    assert validate_terms(wrong, PROPERTY_KINDS) == [message]
    assert validate_terms(wrong) == []  # without the declared kinds any property may be tested any way


def test_a_property_rule_that_suits_its_kind_has_no_problems():
    fine = terms(
        field_rules=(
            FieldRule("property:newsletter", "yes_no", 5, expected=True),
            FieldRule("property:pages_viewed", "band", 5, minimum=3, part="engagement"),
            FieldRule("property:signed_up_on", "empty", -5),
            FieldRule("property:plan", "table", table=(("Pro", 5),)),
        )
    )
    assert validate_terms(fine, PROPERTY_KINDS) == []


def test_every_problem_is_reported_at_once():
    bad = terms(
        half_life_days=-1,
        grade_a=0,
        hot=-1,
        warm=-2,
        cold=-3,
        field_rules=(FieldRule("employees", "band", 1),),
        priority_high=0,
    )
    assert len(validate_terms(bad)) == 5


# --- Properties -------------------------------------------------------------------------------

# database=None: no example database written to .hypothesis/ in the working tree.
PROPERTIES = settings(max_examples=100, deadline=None, database=None)

INDUSTRIES = ["Software", "Retail", "Consulting", "Banking", BANKING]
COUNTRIES = ["DE", "US", "FR", "IN"]
SOURCES = ["Website", "Trade fair", "Bought list"]
CAMPAIGNS = ["Spring launch", "Webinar, Q3"]
OCCUPATIONS = ["Engineer", "Head of IT", "Consultant, freelance", "Student"]
PLANS = ["Free", "Pro", "Enterprise"]
TITLES = [
    "CEO",
    "Vice President of Sales",
    "Head of IT",
    "Director",
    "Project Lead",
    "Product Owner",
    "Engineer",
    "",
    "Leadership coach",
]

# Values a rule on each field may list (one_of, keywords, table).
VALUE_POOLS = {
    "title": ["CEO", "Head of IT", "Project Lead", "Engineer", "head of", "VP", "lead"],
    "seniority": list(SENIORITIES),
    "industry": INDUSTRIES,
    "employees": ["0", "30", "500", "5000"],
    "country": COUNTRIES,
    "source": SOURCES,
    "campaign": CAMPAIGNS,
    "source_interest": ["active", "passive"],
    "property:pages_viewed": ["0", "3", "10"],
    "property:occupation": [*OCCUPATIONS, "engineer", "head of"],
    "property:plan": PLANS,
}
ALL_FIELDS = [*STANDARD_FIELDS, *(f"property:{key}" for key in PROPERTY_KINDS)]
# Fields that can hold no value at all (seniority always has one, the customer flag is yes or no).
EMPTIABLE_FIELDS = [name for name in ALL_FIELDS if name not in ("seniority", "is_customer")]

ANY_POINTS = st.integers(-50, 50)  # negative points mark disqualifying traits


def thresholds(low: int, high: int):
    return st.lists(st.integers(low, high), min_size=3, max_size=3).map(lambda xs: sorted(xs, reverse=True))


@st.composite
def field_rules(draw, points=ANY_POINTS, parts=tuple(PARTS), fields=tuple(ALL_FIELDS)) -> FieldRule:
    """A valid rule on any field, with any test its kind of value allows."""
    name = draw(st.sampled_from(fields))
    test = draw(st.sampled_from(sorted(TESTS_FOR_KIND[kind_of_field(name, PROPERTY_KINDS)])))
    part = draw(st.sampled_from(parts))
    pool = VALUE_POOLS.get(name, [])
    if test in ("one_of", "keywords"):
        values = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
        return FieldRule(name, test, draw(points), values=values, part=part)
    if test == "band":
        low = draw(st.integers(-10, 10_000))
        high = low + draw(st.integers(1, 10_000))
        minimum, maximum = draw(st.sampled_from([(low, high), (low, None), (None, high)]))
        return FieldRule(name, test, draw(points), minimum=minimum, maximum=maximum, part=part)
    if test == "yes_no":
        return FieldRule(name, test, draw(points), expected=draw(st.booleans()), part=part)
    if test == "table":
        values = draw(st.lists(st.sampled_from([*pool, ""]), min_size=1, max_size=4, unique_by=text_of))
        table = tuple((value, draw(points)) for value in values)
        return FieldRule(name, test, table=table, other_points=draw(points), part=part)
    return FieldRule(name, test, draw(points), part=part)


ENGAGEMENT_ACTIVITIES = [*ACTIVITY_KINDS, "source_active", "source_passive"]


@st.composite
def all_terms(draw, points=ANY_POINTS) -> Terms:
    grade_a, grade_b, grade_c = draw(thresholds(-50, 150))
    hot, warm, cold = draw(thresholds(0, 150))
    clause, activity = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    priority_low = draw(st.integers(-100, 150))
    return Terms(
        field_rules=tuple(draw(st.lists(field_rules(points), max_size=8))),
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
        priority_low=priority_low,
        priority_high=priority_low + draw(st.integers(1, 300)),
        labels=draw(st.sampled_from([{}, LABELS])),
    )


non_negative_terms = all_terms(points=st.integers(0, 50))

# Up to a year before AS_OF, and a few days after it (ignored until a later as_of).
moments = st.integers(-5 * 86_400, 366 * 86_400).map(lambda seconds: AS_OF - timedelta(seconds=seconds))

BLANKS = ["", " ", "\t\n"]
lead_properties = st.fixed_dictionaries(
    {},
    optional={
        "pages_viewed": st.none() | st.integers(0, 50) | st.sampled_from([*BLANKS, "12", " 7 ", "2.5", "many"]),
        "occupation": st.none() | st.sampled_from([*BLANKS, *OCCUPATIONS, "senior engineer", "head of sales"]),
        "plan": st.none() | st.sampled_from([*BLANKS, *PLANS, " pro ", "Trial"]),
        "newsletter": st.none() | st.booleans() | st.sampled_from([*BLANKS, "yes", "no", "maybe"]),
        "signed_up_on": st.none() | st.just("") | st.dates().map(date.isoformat),
    },
)

leads = st.builds(
    LeadFacts,
    title=st.sampled_from(TITLES),
    industry=st.sampled_from(["", *INDUSTRIES, "software", BANKING.upper(), "Banking, Investment"]),
    employees=st.none() | st.integers(0, 20_000),
    country=st.sampled_from(["", *COUNTRIES, "de"]),
    is_customer=st.booleans(),
    source_interest=st.sampled_from(["active", "passive"]),
    created_at=moments,
    source=st.sampled_from(["", *SOURCES, "website "]),
    campaign=st.sampled_from(["", *CAMPAIGNS, "webinar"]),
    properties=lead_properties,
)
activities = st.builds(Activity, kind=st.sampled_from(list(ACTIVITY_KINDS)), at=moments)
activity_lists = st.lists(activities, max_size=12)


def grade_rank(evaluation: Evaluation) -> int:
    return GRADES.index(evaluation.grade)  # 0 is best


def bucket_rank(evaluation: Evaluation) -> int:
    return BUCKETS.index(evaluation.bucket)  # 0 is best


def figures_of(evaluation: Evaluation) -> Figures:
    return Figures(
        evaluation.grade,
        evaluation.fit_points,
        evaluation.score,
        evaluation.bucket,
        evaluation.sales_ready,
        evaluation.priority,
    )


@PROPERTIES
@given(terms=all_terms())
def test_generated_terms_are_valid(terms):
    assert validate_terms(terms) == []
    assert validate_terms(terms, PROPERTY_KINDS) == []


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
    assert [result.rule for result in evaluation.fit] == [rule.describe(terms.labels) for rule in terms.fit_rules]
    assert [result.rule for result in evaluation.engagement] == [
        *(rule.describe() for rule in terms.engagement_rules),
        *(rule.describe(terms.labels) for rule in terms.engagement_field_rules),
    ]
    for rule, result in zip(terms.fit_rules, evaluation.fit, strict=True):
        if rule.test != "table":
            assert result.points == (rule.points if result.met else 0)
    assert evaluation.fit_points == sum(result.points for result in evaluation.fit)
    assert abs(evaluation.score - math.fsum(result.points for result in evaluation.engagement)) <= 0.5 + 1e-9
    assert evaluation.matched == tuple(result for result in (*evaluation.fit, *evaluation.engagement) if result.met)
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
    assert after.priority >= before.priority
    assert after.sales_ready or not before.sales_ready


@PROPERTIES
@given(
    terms=all_terms(),
    lead=leads,
    activities=activity_lists,
    rule=field_rules(points=st.integers(0, 50), parts=("fit",)),
)
def test_another_fit_rule_with_non_negative_points_never_worsens_the_grade(terms, lead, activities, rule):
    before = evaluate(terms, lead, activities, as_of=AS_OF)
    after = evaluate(dataclasses.replace(terms, field_rules=(*terms.field_rules, rule)), lead, activities, as_of=AS_OF)
    assert grade_rank(after) <= grade_rank(before)
    assert after.fit_points >= before.fit_points
    assert after.score == before.score


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
    assert (after.fit_points, after.score, after.priority) == (before.fit_points, before.score, before.priority)


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
    keyword=st.sampled_from(
        ["Chief", "CEO", "VP", "Vice President", "Director", "Head of", "Manager", "Lead", "Owner"]
    ),
)
def test_a_keyword_anywhere_in_the_title_counts(words, keyword):
    expected = seniority_of(keyword)
    assert expected != "individual"
    assert seniority_of(" ".join([*words, keyword, *words])) == expected


@PROPERTIES
@given(rule=field_rules(fields=tuple(EMPTIABLE_FIELDS)), blank=st.sampled_from([None, *BLANKS]))
def test_only_the_empty_test_and_a_table_give_an_empty_value_anything(rule, blank):
    text = blank or ""
    lead = facts(
        title=text,
        industry=text,
        employees=None,
        country=text,
        source_interest=text,
        source=text,
        campaign=text,
        properties=dict.fromkeys(PROPERTY_KINDS, blank),
    )
    outcome = rule_points(rule, lead)
    if rule.test == "empty":
        assert outcome == (True, rule.points)
    elif rule.test == "table":
        empty_entry = [points for value, points in rule.table if not value.strip()]
        assert outcome == ((True, empty_entry[0]) if empty_entry else (False, rule.other_points))
    else:
        assert outcome == (False, 0)


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists)
def test_the_figures_without_reasons_are_those_of_the_full_evaluation(terms, lead, activities):
    full = evaluate(terms, lead, activities, as_of=AS_OF)
    assert figures(terms, lead, activities, as_of=AS_OF) == figures_of(full)


@PROPERTIES
@given(terms=all_terms(), lead=leads, activities=activity_lists, data=st.data())
def test_the_order_of_the_field_rules_does_not_change_the_figures(terms, lead, activities, data):
    reordered = dataclasses.replace(terms, field_rules=tuple(data.draw(st.permutations(terms.field_rules))))
    quick = figures(terms, lead, activities, as_of=AS_OF)
    assert figures(reordered, lead, activities, as_of=AS_OF) == quick
    full = evaluate(reordered, lead, activities, as_of=AS_OF)
    assert figures_of(full) == quick
    original = evaluate(terms, lead, activities, as_of=AS_OF)
    assert sorted(result.rule for result in full.matched) == sorted(result.rule for result in original.matched)


@PROPERTIES
@given(terms=all_terms(), leads=st.lists(leads, min_size=2, max_size=2), activities=activity_lists)
def test_priority_is_from_0_to_100_and_follows_fit_plus_score(terms, leads, activities):
    one, other = (evaluate(terms, lead, activities, as_of=AS_OF) for lead in leads)
    assert 0 <= one.priority <= 100
    if one.fit_points + one.score <= other.fit_points + other.score:
        assert one.priority <= other.priority


@settings(max_examples=300, deadline=None, database=None)
@given(
    low=st.integers(-500, 500),
    span=st.integers(1, 1000),
    fit=st.integers(-2000, 2000),
    score=st.integers(-2000, 2000),
    more=st.integers(0, 1000),
    moved=st.integers(-1000, 1000),
)
def test_priority_never_falls_as_fit_plus_score_rises(low, span, fit, score, more, moved):
    ranked = terms(priority_low=low, priority_high=low + span)
    priority = priority_of(ranked, fit, score)
    assert 0 <= priority <= 100
    assert priority_of(ranked, fit + more, score) >= priority
    assert priority_of(ranked, fit, score + more) >= priority
    assert priority_of(ranked, fit + moved, score - moved) == priority  # only the total counts
    assert priority_of(ranked, low - more, 0) == 0
    assert priority_of(ranked, low + span + more, 0) == 100
