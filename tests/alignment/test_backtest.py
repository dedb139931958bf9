"""Backtesting a qualified-lead definition on leads whose outcome is known: alignment.backtest (pure, no database).

The data sets are small enough to work the answers out by hand; the comments show the sums.
"""

import ast
import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alignment import backtest, scoring
from alignment.backtest import Backtest, Known
from alignment.scoring import Activity, EngagementRule, FieldRule, LeadFacts, Terms

AS_OF = datetime(2026, 6, 15, 12, tzinfo=UTC)

# Priority = tier points + score (no decay, priority 0 to 100 over 0 to 100 points), so every
# lead's priority, grade and bucket can be read off its tier and its activities.
TERMS = Terms(
    field_rules=(
        FieldRule("property:tier", "table", table=(("a", 40), ("b", 30), ("c", 20), ("d", 10)), other_points=0),
        FieldRule("industry", "one_of", 0, values=("Software",)),
    ),
    grade_a=40,
    grade_b=30,
    grade_c=20,
    engagement_rules=(
        EngagementRule("demo_request", 30),
        EngagementRule("pricing_page_visit", 10),
        EngagementRule("source_active", 0),
    ),
    half_life_days=0,
    hot=30,
    warm=20,
    cold=10,
    ready_grades=frozenset({"A", "B"}),
    ready_buckets=frozenset({"hot", "warm"}),
    ready_activities=frozenset({"demo_request"}),
    labels={"tier": "Tier"},
)


def known(
    tier: str | None,
    success: bool,
    *,
    visits: int = 0,
    demos: int = 0,
    later_demos: int = 0,
    industry: str = "Retail",
    source_interest: str = "passive",
    created_at: datetime = AS_OF - timedelta(days=30),
    **properties: object,
) -> Known:
    """A lead of the given tier, with pricing-page visits and demo requests a week before AS_OF
    and ``later_demos`` demo requests after it."""
    facts = LeadFacts(
        title="",
        industry=industry,
        employees=None,
        country="DE",
        is_customer=False,
        source_interest=source_interest,
        created_at=created_at,
        properties={"tier": tier, **properties},
    )
    week_ago, tomorrow = AS_OF - timedelta(days=7), AS_OF + timedelta(days=1)
    activities = (
        [Activity("pricing_page_visit", week_ago)] * visits
        + [Activity("demo_request", week_ago)] * demos
        + [Activity("demo_request", tomorrow)] * later_demos
    )
    return Known(facts, activities, success)


def run(leads, terms: Terms = TERMS, **options) -> dict:
    test = Backtest(terms, as_of=AS_OF, **options)
    test.add(leads)
    return test.result()


def by_name(rows: list[dict], key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows}


# Ten leads without activity: the priority is the tier's points, every lead is unqualified.
#   successes at priorities 40, 40, 30, 10; failures at 40, 30, 20, 20, 10, 0.
RANKED = [
    known("a", True),
    known("a", True),
    known("a", False),
    known("b", True),
    known("b", False),
    known("c", False),
    known("c", False),
    known("d", True),
    known("d", False),
    known(None, False),
]

# Eight leads with activities.
#   lead  tier  activity               fit score  grade bucket       priority  ready          success
#   1     a     3 visits                40   30   A     hot          70        yes (A hot)    yes
#   2     a     2 visits                40   20   A     warm         60        yes (A warm)   no
#   3     b     3 visits                30   30   B     hot          60        yes (B hot)    yes
#   4     c     2 visits                20   20   C     warm         40        no             yes
#   5     c     1 visit                 20   10   C     cold         30        no             yes
#   6     d     a demo after AS_OF      10    0   D     unqualified  10        no             no
#   7     d     a demo                  10   30   D     hot          40        yes (demo)     yes
#   8     -     1 visit                  0   10   D     cold         10        no             no
# Leads 1 and 4 are in software; lead 2 came from an active source, lead 5 too but only after AS_OF.
ENGAGED = [
    known("a", True, visits=3, industry="Software"),
    known("a", False, visits=2, source_interest="active"),
    known("b", True, visits=3),
    known("c", True, visits=2, industry="Software"),
    known("c", True, visits=1, source_interest="active", created_at=AS_OF + timedelta(hours=1)),
    known("d", False, later_demos=1),
    known("d", True, demos=1),
    known(None, False, visits=1),
]


# --- Purity -----------------------------------------------------------------------------------


def test_the_module_needs_nothing_but_the_standard_library_and_scoring():
    tree = ast.parse(Path(backtest.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {name.split(".")[0] for name in imported} <= {
        "__future__",
        "collections",
        "dataclasses",
        "datetime",
        "itertools",
        "alignment",
    }
    assert {name for name in imported if name.startswith("alignment")} == {"alignment"}


# --- Ranking ----------------------------------------------------------------------------------


def test_the_auc_counts_ties_half():
    # Pairs of a success and a failure: 4 * 6 = 24.
    #   each success at 40: beats 30, 20, 20, 10, 0 and ties 40 → 5.5 (twice: 11)
    #   the success at 30: beats 20, 20, 10, 0 and ties 30 → 4.5
    #   the success at 10: beats 0 and ties 10 → 1.5
    # (11 + 4.5 + 1.5) / 24 = 17 / 24 = 0.70833…
    result = run(RANKED)
    assert result["auc"] == 0.7083
    assert (result["leads"], result["successes"], result["success_rate"]) == (10, 4, 0.4)


def test_the_auc_is_that_of_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    priorities = [40, 40, 40, 30, 30, 20, 20, 10, 10, 0]
    outcomes = [lead.success for lead in RANKED]
    assert run(RANKED)["auc"] == round(metrics.roc_auc_score(outcomes, priorities), 4)
    priorities = [scoring.figures(TERMS, lead.facts, lead.activities, as_of=AS_OF).priority for lead in ENGAGED]
    assert priorities == [70, 60, 60, 40, 30, 10, 40, 10]
    assert run(ENGAGED)["auc"] == round(metrics.roc_auc_score([lead.success for lead in ENGAGED], priorities), 4)


def test_a_perfect_and_a_reversed_ranking():
    assert run([known("a", True), known("b", True), known("d", False)])["auc"] == 1.0
    assert run([known("a", False), known("b", False), known("d", True)])["auc"] == 0.0
    assert run([known("a", False), known("a", True)])["auc"] == 0.5


def test_no_auc_when_every_outcome_is_the_same():
    assert run([known("a", True), known("d", True)])["auc"] is None
    assert run([known("a", False), known("d", False)])["auc"] is None


# --- Grades and buckets -----------------------------------------------------------------------


def test_leads_and_rates_per_grade():
    # A: 40, 40, 40 (2 successes); B: 30, 30 (1); C: 20, 20 (0); D: 10, 10, 0 (1).
    result = run(RANKED)
    assert result["grades"] == [
        {"grade": "A", "leads": 3, "successes": 2, "rate": 0.6667},
        {"grade": "B", "leads": 2, "successes": 1, "rate": 0.5},
        {"grade": "C", "leads": 2, "successes": 0, "rate": 0.0},
        {"grade": "D", "leads": 3, "successes": 1, "rate": 0.3333},
    ]
    assert result["grades_monotone"] is False
    assert result["grade_violations"] == ["Grade D converts at 33 % and grade C at 0 %: D above C"]


def test_a_bucket_without_leads_has_no_rate_and_breaks_nothing():
    result = run(RANKED)
    assert result["buckets"] == [
        {"bucket": "hot", "leads": 0, "successes": 0, "rate": None},
        {"bucket": "warm", "leads": 0, "successes": 0, "rate": None},
        {"bucket": "cold", "leads": 0, "successes": 0, "rate": None},
        {"bucket": "unqualified", "leads": 10, "successes": 4, "rate": 0.4},
    ]
    assert result["buckets_monotone"] is True
    assert result["bucket_violations"] == []


def test_leads_and_rates_per_bucket_with_equal_rates_still_monotone():
    # hot: 1, 3, 7 (all succeed); warm: 2, 4 (one); cold: 5, 8 (one); unqualified: 6 (none).
    result = run(ENGAGED)
    assert result["buckets"] == [
        {"bucket": "hot", "leads": 3, "successes": 3, "rate": 1.0},
        {"bucket": "warm", "leads": 2, "successes": 1, "rate": 0.5},
        {"bucket": "cold", "leads": 2, "successes": 1, "rate": 0.5},
        {"bucket": "unqualified", "leads": 1, "successes": 0, "rate": 0.0},
    ]
    assert result["buckets_monotone"] is True
    assert result["bucket_violations"] == []
    # A: 1, 2 (one); B: 3 (one); C: 4, 5 (two); D: 6, 7, 8 (one).
    assert [(row["leads"], row["successes"], row["rate"]) for row in result["grades"]] == [
        (2, 1, 0.5),
        (1, 1, 1.0),
        (2, 2, 1.0),
        (3, 1, 0.3333),
    ]
    assert result["grade_violations"] == ["Grade B converts at 100 % and grade A at 50 %: B above A"]


def test_a_bucket_that_converts_above_a_better_one_is_flagged():
    leads = [*ENGAGED[:7], dataclasses.replace(ENGAGED[7], success=True)]  # cold: 2 of 2
    result = run(leads)
    assert result["buckets_monotone"] is False
    assert result["bucket_violations"] == ["Bucket cold converts at 100 % and bucket warm at 50 %: cold above warm"]


def test_a_grade_without_leads_is_skipped_when_comparing():
    result = run([known("a", False), known("a", True), known("a", False), known("c", True)])
    assert result["grade_violations"] == ["Grade C converts at 100 % and grade A at 33 %: C above A"]


def test_rates_that_only_differ_after_rounding_still_count_and_are_told_apart():
    # 251 of 1000 against 249 of 1000: both "25 %" in whole percents.
    leads = [known("a", index < 249) for index in range(1000)] + [known("b", index < 251) for index in range(1000)]
    assert run(leads)["grade_violations"] == ["Grade B converts at 25.1 % and grade A at 24.9 %: B above A"]
    assert backtest._percents(0.5, 0.5) == ("50.00 %", "50.00 %")


# --- Sales-ready ------------------------------------------------------------------------------


def test_precision_and_recall_of_sales_ready():
    # Ready: 1, 2, 3, 7 (4 of 8), of which 1, 3, 7 succeed; successes: 1, 3, 4, 5, 7.
    assert run(ENGAGED)["sales_ready"] == {"leads": 4, "share": 0.5, "precision": 0.75, "recall": 0.6}


def test_no_precision_without_ready_leads_and_no_recall_without_successes():
    assert run([known("d", True)])["sales_ready"] == {"leads": 0, "share": 0.0, "precision": None, "recall": 0.0}
    assert run([known("a", False, visits=3)])["sales_ready"] == {
        "leads": 1,
        "share": 1.0,
        "precision": 0.0,
        "recall": None,
    }


def test_newly_and_no_longer_ready_against_a_baseline():
    # The baseline takes grade C too but no demo request, and gives a demo request no points:
    # it finds 1, 2, 3 and 4 ready (4 is C warm), not 7 (D, and with no points unqualified).
    baseline = dataclasses.replace(
        TERMS,
        ready_grades=frozenset({"A", "B", "C"}),
        ready_activities=frozenset(),
        engagement_rules=(EngagementRule("demo_request", 0), *TERMS.engagement_rules[1:]),
    )
    result = run(ENGAGED, baseline=baseline)
    # Baseline priorities: 70, 60, 60, 40, 30, 10, 10, 10; successes at 70, 60, 40, 30, 10 and
    # failures at 60, 10, 10: 3 + 2.5 + 2 * 2 + 1 = 10.5 of 15 pairs: 0.7.
    assert result["versus_baseline"] == {
        "newly_ready": 1,
        "newly_ready_successes": 1,
        "no_longer_ready": 1,
        "no_longer_ready_successes": 1,
        "baseline_auc": 0.7,
    }
    assert result["auc"] == run(ENGAGED)["auc"]
    assert run(ENGAGED)["versus_baseline"] is None


def test_a_baseline_equal_to_the_terms_changes_nothing():
    result = run(ENGAGED, baseline=TERMS)
    assert result["versus_baseline"] == {
        "newly_ready": 0,
        "newly_ready_successes": 0,
        "no_longer_ready": 0,
        "no_longer_ready_successes": 0,
        "baseline_auc": result["auc"],
    }


# --- Rules ------------------------------------------------------------------------------------


def test_support_and_lift_per_rule_with_a_row_per_table_entry():
    # 5 successes of 8: the overall rate is 0.625.
    rows = run(ENGAGED)["rules"]
    # "of" names the rule of the terms each row reports on: a points table has a row per entry.
    assert rows == [
        # Tier a: 1, 2 (one success): 0.5 / 0.625 = 0.8.
        {
            "rule": "Tier is a: +40",
            "part": "fit",
            "of": ["field", 0],
            "support": 2,
            "support_share": 0.25,
            "success_rate": 0.5,
            "lift": 0.8,
        },
        {
            "rule": "Tier is b: +30",
            "part": "fit",
            "of": ["field", 0],
            "support": 1,
            "support_share": 0.125,
            "success_rate": 1.0,
            "lift": 1.6,
        },
        {
            "rule": "Tier is c: +20",
            "part": "fit",
            "of": ["field", 0],
            "support": 2,
            "support_share": 0.25,
            "success_rate": 1.0,
            "lift": 1.6,
        },
        {
            "rule": "Tier is d: +10",
            "part": "fit",
            "of": ["field", 0],
            "support": 2,
            "support_share": 0.25,
            "success_rate": 0.5,
            "lift": 0.8,
        },
        {
            "rule": "Tier is any other value: +0",
            "part": "fit",
            "of": ["field", 0],
            "support": 1,
            "support_share": 0.125,
            "success_rate": 0.0,
            "lift": 0.0,
        },
        # Leads 1 and 4, both successes.
        {
            "rule": "Industry is Software: +0",
            "part": "fit",
            "of": ["field", 1],
            "support": 2,
            "support_share": 0.25,
            "success_rate": 1.0,
            "lift": 1.6,
        },
        # Lead 7 only: lead 6's demo request comes after AS_OF.
        {
            "rule": "Demo request: +30 each",
            "part": "engagement",
            "of": ["engagement", 0],
            "support": 1,
            "support_share": 0.125,
            "success_rate": 1.0,
            "lift": 1.6,
        },
        # 1, 2, 3, 4, 5, 8, of which four succeed: (4 / 6) / 0.625 = 1.0667.
        {
            "rule": "Pricing-page visit: +10 each",
            "part": "engagement",
            "of": ["engagement", 1],
            "support": 6,
            "support_share": 0.75,
            "success_rate": 0.6667,
            "lift": 1.0667,
        },
        # Lead 2 only: lead 5 was created after AS_OF.
        {
            "rule": "Active-interest source: +0",
            "part": "engagement",
            "of": ["engagement", 2],
            "support": 1,
            "support_share": 0.125,
            "success_rate": 0.0,
            "lift": 0.0,
        },
    ]


def test_a_table_entry_for_an_empty_value_and_values_matched_as_rules_match_them():
    terms = dataclasses.replace(
        TERMS,
        field_rules=(
            FieldRule("property:occupation", "table", table=(("Student", -10), ("", 5)), other_points=1),
            FieldRule("seniority", "table", table=(("vp", 10), ("c_level", 20))),
        ),
        labels={"occupation": "Occupation"},
    )
    leads = [
        known(None, True, occupation=" student "),
        known(None, False, occupation="STUDENT"),
        known(None, True, occupation=None),
        known(None, True, occupation="  "),
        known(None, False, occupation="Teacher"),
    ]
    rows = by_name([row for row in run(leads, terms)["rules"] if row["part"] == "fit"], "rule")
    assert [(name, row["support"], row["success_rate"]) for name, row in rows.items()] == [
        ("Occupation is Student: -10", 2, 0.5),
        ("Occupation is empty: +5", 2, 1.0),
        ("Occupation is any other value: +1", 1, 0.0),
        ("Seniority is VP: +10", 0, None),
        ("Seniority is C-level: +20", 0, None),
        ("Seniority is any other value: +0", 5, 0.6),
    ]
    assert rows["Occupation is empty: +5"]["lift"] == round(1.0 / 0.6, 4)
    assert rows["Seniority is VP: +10"]["lift"] is None


def test_a_value_is_matched_by_what_it_is_not_by_what_it_equals():
    # True == 1 in Python, but a rule reads True as "yes": only the 1 matches "1".
    terms = dataclasses.replace(TERMS, field_rules=(FieldRule("property:flag", "one_of", 0, values=("1",)),))
    leads = [known(None, True, flag=1), known(None, False, flag=True), known(None, False, flag=1.0)]
    assert run(leads, terms)["rules"][0]["support"] == 2


def test_lift_is_undefined_without_successes():
    result = run([known("a", False), known("b", False)])
    assert {row["lift"] for row in result["rules"]} == {None}
    assert result["rules"][0]["success_rate"] == 0.0


# --- Batches, edge cases ----------------------------------------------------------------------


def test_two_batches_give_what_one_gives():
    baseline = dataclasses.replace(TERMS, ready_activities=frozenset())
    whole = run([*RANKED, *ENGAGED], baseline=baseline)
    test = Backtest(TERMS, as_of=AS_OF, baseline=baseline)
    test.add(RANKED)
    halfway = test.result()
    test.add(iter(ENGAGED))  # any iterable, read once
    assert test.result() == whole
    assert halfway == run(RANKED, baseline=baseline)


def test_all_successes():
    result = run([known("a", True, visits=3), known("d", True)])
    assert result["auc"] is None
    assert result["success_rate"] == 1.0
    assert result["sales_ready"] == {"leads": 1, "share": 0.5, "precision": 1.0, "recall": 0.5}
    assert by_name(result["rules"], "rule")["Tier is a: +40"]["lift"] == 1.0


def test_no_leads_yet():
    result = Backtest(TERMS, as_of=AS_OF).result()
    assert (result["leads"], result["successes"], result["success_rate"], result["auc"]) == (0, 0, None, None)
    assert result["grades_monotone"] and result["buckets_monotone"]
    assert result["sales_ready"] == {"leads": 0, "share": None, "precision": None, "recall": None}
    assert {row["support_share"] for row in result["rules"]} == {None}


def test_the_result_is_json_serialisable():
    baseline = dataclasses.replace(TERMS, ready_activities=frozenset())
    result = run([*RANKED, *ENGAGED], baseline=baseline)
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_invalid_terms_and_naive_moments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        Backtest(TERMS, as_of=datetime(2026, 6, 15, 12))
    broken = dataclasses.replace(TERMS, grade_a=10, grade_b=20)
    with pytest.raises(ValueError, match="Invalid qualified-lead terms"):
        Backtest(broken, as_of=AS_OF)
    with pytest.raises(ValueError, match="Invalid qualified-lead baseline"):
        Backtest(TERMS, as_of=AS_OF, baseline=broken)


# --- Agreement with the full evaluation -------------------------------------------------------


def test_the_counts_agree_with_scoring_evaluate():
    """Many random leads through Backtest and through scoring.evaluate, one by one, count alike."""
    terms = dataclasses.replace(
        TERMS,
        field_rules=(
            *TERMS.field_rules,
            FieldRule("seniority", "one_of", 15, values=("vp", "c_level")),
            FieldRule("employees", "band", 10, minimum=200, maximum=5000),
            FieldRule("title", "keywords", 5, values=("sales",)),
            FieldRule("property:pages", "band", 5, minimum=5, part="engagement"),
        ),
        half_life_days=14,
        priority_high=120,
    )
    rnd = random.Random(7)
    titles = ["VP Sales", "Founder", "Sales Manager", "Analyst", ""]
    leads = []
    for _ in range(400):
        facts = LeadFacts(
            title=rnd.choice(titles),
            industry=rnd.choice(["Software", "Retail"]),
            employees=rnd.choice([None, 50, 500, 9000]),
            country="DE",
            is_customer=False,
            source_interest=rnd.choice(["active", "passive"]),
            created_at=AS_OF - timedelta(days=rnd.uniform(-2, 60)),
            properties={"tier": rnd.choice(["a", "b", "c", "d", "x", None]), "pages": rnd.randint(0, 9)},
        )
        kinds = ["demo_request", "pricing_page_visit", "email_click"]
        activities = [
            Activity(rnd.choice(kinds), AS_OF - timedelta(days=rnd.uniform(-3, 40))) for _ in range(rnd.randint(0, 4))
        ]
        leads.append(Known(facts, activities, rnd.random() < 0.4))
    test = Backtest(terms, as_of=AS_OF)
    test.add(leads[:150])
    test.add(leads[150:])
    result = test.result()

    evaluations = [scoring.evaluate(terms, lead.facts, lead.activities, as_of=AS_OF) for lead in leads]
    for grade in by_name(result["grades"], "grade").values():
        chosen = [lead for lead, e in zip(leads, evaluations, strict=True) if e.grade == grade["grade"]]
        assert (grade["leads"], grade["successes"]) == (len(chosen), sum(lead.success for lead in chosen))
    for bucket in by_name(result["buckets"], "bucket").values():
        chosen = [lead for lead, e in zip(leads, evaluations, strict=True) if e.bucket == bucket["bucket"]]
        assert (bucket["leads"], bucket["successes"]) == (len(chosen), sum(lead.success for lead in chosen))
    assert result["sales_ready"]["leads"] == sum(e.sales_ready for e in evaluations)
    # A non-table field rule matches where evaluate says it is met; a table's rows share out every lead.
    rows = result["rules"]
    for number, rule in enumerate(terms.field_rules[1:], start=5):
        met = [e.fit + e.engagement for e in evaluations]
        expected = sum(any(r.rule == rule.describe(terms.labels) and r.met for r in results) for results in met)
        assert rows[number]["support"] == expected, rule
    assert sum(row["support"] for row in rows[:5]) == len(leads)
