"""Migrations alignment 0006 to 0008 turn the old fit rules into field rules that score as
before: comma lists become lists, an inclusive "at most" head count becomes a band below it plus
one, an existing-customer rule a yes/no test. Leads 0011 gives leads graded before then their
priority."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alignment import scoring
from alignment.models import QualificationDefinition
from alignment.selectors import definition_terms
from leads.models import Lead as CurrentLead

BEFORE = [("alignment", "0005_qualification_definitions"), ("leads", "0009_handoff_grade_and_bucket")]
AT = datetime(2026, 6, 1, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def facts(**given) -> scoring.LeadFacts:
    base = {
        "title": "",
        "industry": "",
        "employees": None,
        "country": "",
        "is_customer": False,
        "source_interest": "active",
        "created_at": AT,
    }
    return scoring.LeadFacts(**{**base, **given})


@pytest.mark.django_db(transaction=True)
def test_old_fit_rules_score_as_before_after_the_migration():
    old = migrate(BEFORE)
    Definition = old.get_model("alignment", "QualificationDefinition")
    FitRule = old.get_model("alignment", "FitRule")
    version = Definition.objects.create(name="Old", version=1, created_at=AT, grade_a_min=60, hot_min=40)
    FitRule.objects.create(definition=version, field="seniority", values="c_level, vp", points=40)
    FitRule.objects.create(definition=version, field="employees", minimum=200, maximum=5000, points=30)
    FitRule.objects.create(definition=version, field="industry", values="Software,Finance", points=20)
    FitRule.objects.create(definition=version, field="is_customer", expected=False, points=10)
    Source = old.get_model("leads", "Source")
    Lead = old.get_model("leads", "Lead")
    source = Source.objects.create(name="Web", interest="active")
    graded = Lead.objects.create(
        last_name="Lovelace",
        source=source,
        stage_changed_at=AT,
        created_at=AT,
        grade="A",
        fit_points=50,
        score=30,
        evaluated_with_id=version.pk,
    )

    migrate(latest())
    terms = definition_terms(QualificationDefinition.objects.get(version=1))
    definition = QualificationDefinition.objects.get(version=1)
    assert definition.priority_low == 0 and definition.priority_high == 60 + 40
    # A lead graded before priorities existed gets the one its version gives it: 80 of 100 points.
    assert CurrentLead.objects.get(pk=graded.pk).priority == round(100 * (50 + 30) / 100)

    def fit_points(**given) -> int:
        return scoring.figures(terms, facts(**given), (), as_of=AT).fit_points

    # Each old rule, at and around its edges, as the old engine counted it (ranges inclusive).
    assert fit_points(title="VP Sales") == 40 + 10
    assert fit_points(title="Analyst", is_customer=True) == 0
    assert fit_points(employees=200, is_customer=True) == 30
    assert fit_points(employees=5000, is_customer=True) == 30
    assert fit_points(employees=5001, is_customer=True) == 0
    assert fit_points(employees=199, is_customer=True) == 0
    assert fit_points(industry=" finance ", is_customer=True) == 20
    assert fit_points(industry="Software,Finance", is_customer=True) == 0
    assert [rule.test for rule in terms.field_rules] == ["one_of", "band", "one_of", "yes_no"]
    assert terms.field_rules[0].values == ("c_level", "vp")
