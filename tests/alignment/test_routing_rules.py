"""Routing rules: the pure matcher, the checks before a version is proposed, and rules as part of
the version both leaders sign (copied into drafts, frozen once proposed, edited in the definition
editor by marketing and the leaders only: tests/alignment/test_definition_editor.py)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from alignment import routing, selectors, services
from alignment.exceptions import InvalidDefinition
from alignment.models import QualificationDefinition, RoutingRule, Team
from alignment.routing import Route, RoutingFacts, first_match, matches
from tests.alignment.test_definitions import activate
from tests.factories import TeamFactory

Status = QualificationDefinition.Status


def facts(**fields) -> RoutingFacts:
    return RoutingFacts(**fields)


class TestMatcher:
    def test_a_rule_without_conditions_takes_every_lead(self):
        assert matches(Route(name="Everyone"), facts())

    def test_countries_match_by_iso_code_in_any_case(self):
        route = Route(name="DACH", countries=("DE", "at", "CH"))
        assert matches(route, facts(country_code="DE")) and matches(route, facts(country_code="at"))
        assert not matches(route, facts(country_code="FR")) and not matches(route, facts(country_code=""))

    def test_regions_are_groups_of_countries(self):
        route = Route(name="EMEA", regions=("EMEA",))
        assert matches(route, facts(country_code="ZA")) and matches(route, facts(country_code="AE"))
        assert not matches(route, facts(country_code="US"))
        assert matches(Route(name="LATAM", regions=("LATAM",)), facts(country_code="BR"))

    def test_countries_and_regions_together_are_one_condition(self):
        route = Route(name="Americas plus", regions=("AMER",), countries=("GB",))
        assert matches(route, facts(country_code="GB")) and matches(route, facts(country_code="CA"))

    def test_company_size_bounds_are_inclusive_and_an_unknown_size_does_not_match(self):
        route = Route(name="Mid-market", employees_min=50, employees_max=200)
        assert [matches(route, facts(employees=n)) for n in (49, 50, 200, 201)] == [False, True, True, False]
        assert not matches(route, facts(employees=None))
        assert matches(Route(name="Big", employees_min=1000), facts(employees=5000))
        assert matches(Route(name="Small", employees_max=10), facts(employees=3))

    def test_industries_sources_and_campaigns_ignore_case_and_spaces(self):
        assert matches(Route(name="Banks", industries=("Banking",)), facts(industry=" banking "))
        assert not matches(Route(name="Banks", industries=("Banking",)), facts(industry="Retail"))
        assert matches(Route(name="Demo", sources=("Demo request",)), facts(source="DEMO REQUEST"))
        assert not matches(Route(name="Demo", sources=("Demo request",)), facts(source="Trade show"))
        assert matches(Route(name="Launch", campaigns=("Spring launch",)), facts(campaign="spring launch"))
        assert not matches(Route(name="Launch", campaigns=("Spring launch",)), facts(campaign=""))

    def test_a_property_condition_tests_its_values_or_that_it_has_one(self):
        route = Route(name="Students", property_key="occupation", property_values=("Student", "Unemployed"))
        assert matches(route, facts(properties={"occupation": "student"}))
        assert not matches(route, facts(properties={"occupation": "Working Professional"}))
        assert not matches(route, facts(properties={}))
        any_value = Route(name="Has a plan", property_key="plan")
        assert matches(any_value, facts(properties={"plan": "Pro"}))
        assert not matches(any_value, facts(properties={"plan": ""}))
        yes = Route(name="Opted in", property_key="newsletter", property_values=("yes",))
        assert matches(yes, facts(properties={"newsletter": True}))
        assert not matches(yes, facts(properties={"newsletter": False}))
        assert matches(
            Route(name="Ten", property_key="visits", property_values=("10",)), facts(properties={"visits": 10.0})
        )

    def test_every_condition_a_rule_names_must_hold(self):
        route = Route(name="German banks", countries=("DE",), industries=("Banking",))
        assert matches(route, facts(country_code="DE", industry="Banking"))
        assert not matches(route, facts(country_code="DE", industry="Retail"))
        assert not matches(route, facts(country_code="FR", industry="Banking"))

    def test_the_first_matching_rule_wins(self):
        routes = [
            Route(name="German banks", position=1, countries=("DE",), industries=("Banking",)),
            Route(name="Germany", position=2, countries=("DE",)),
            Route(name="Everyone else", position=3),
        ]
        assert first_match(routes, facts(country_code="DE", industry="Banking")).name == "German banks"
        assert first_match(routes, facts(country_code="DE", industry="Retail")).name == "Germany"
        assert first_match(routes, facts(country_code="US")).name == "Everyone else"
        assert first_match(routes[:2], facts(country_code="US")) is None

    def test_a_rule_reads_in_plain_words(self):
        route = Route(
            name="DACH mid-market",
            position=1,
            team="Enterprise",
            countries=("DE",),
            regions=("APAC",),
            employees_min=50,
            employees_max=200,
            property_key="occupation",
            property_values=("Student",),
        )
        text = routing.describe(route, {"occupation": "Occupation"})
        assert text == (
            "1. DACH mid-market: leads from Germany or APAC, with 50 to 200 employees and whose Occupation is “Student”"
            " go to Enterprise, automatically to its least-loaded working rep"
        )
        manual = routing.describe(Route(name="Rest", position=2, team="SMB", automatic=False))
        assert manual == "2. Rest: every lead go to SMB, for marketing to hand off by hand"


@pytest.fixture
def definition(cast):
    return services.definition_create(by=cast.marketer, name="With routing")


def rule(definition, **fields) -> RoutingRule:
    fields.setdefault("name", f"Rule {fields.get('position', 0)}")
    return RoutingRule.objects.create(definition=definition, **fields)


@pytest.mark.django_db
class TestChecks:
    def test_a_sound_list_of_rules_has_no_problems(self, cast, definition):
        rule(definition, position=1, countries=["DE"], team=cast.team)
        rule(definition, position=2, team=cast.other_team, automatic=False)
        assert routing.routing_problems(selectors.definition_routes(definition), {}) == []

    def test_each_problem_is_named_in_words(self, cast, definition):
        marketing = TeamFactory(name="Field marketing", kind=Team.Kind.MARKETING)
        rule(definition, position=1, name="Catch-all", team=cast.team)
        rule(definition, position=2, name="Nobody", countries=["DE"])
        rule(definition, position=3, name="Marketing", countries=["FR"], team=marketing)
        rule(definition, position=4, name="Upside down", employees_min=500, employees_max=50, team=cast.team)
        rule(definition, position=5, name="Unknown", sources=["Carrier pigeon"], countries=["ZZ"], team=cast.team)
        rule(definition, position=6, name="Mystery", property_key="shoe_size", team=cast.team)
        problems = " ".join(selectors.definition_problems(definition))
        assert "“Catch-all” has no conditions" in problems and "make it the last rule" in problems
        assert "“Nobody” sends leads to no team" in problems
        assert "Field marketing, which is not a sales team" in problems
        assert "at least 500 and at most 50 employees" in problems
        # Sources are checked against those the leads app knows (its registered catalogue).
        assert "no existing source: Carrier pigeon" in problems
        assert "countries Accord does not know: ZZ" in problems
        assert "“shoe_size”, which is not a declared lead property" in problems

    def test_a_draft_with_a_broken_rule_cannot_be_proposed(self, cast, definition):
        rule(definition, position=1, name="Nobody", countries=["DE"])
        with pytest.raises(InvalidDefinition) as refused:
            services.definition_propose(definition=definition, by=cast.marketer)
        assert any("sends leads to no team" in problem for problem in refused.value.problems)

    def test_the_model_refuses_a_marketing_team_and_values_without_a_property(self, cast, definition):
        marketing = TeamFactory(name="Field marketing", kind=Team.Kind.MARKETING)
        with pytest.raises(ValidationError) as refused:
            RoutingRule(definition=definition, name="x", team=marketing, property_values=["a"]).full_clean()
        assert set(refused.value.message_dict) == {"team", "property_key"}

    def test_a_slack_webhook_must_be_https(self, cast):
        cast.team.slack_webhook_url = "http://hooks.slack.com/services/T0/B0/x"
        with pytest.raises(ValidationError, match="https"):
            services.team_save(team=cast.team)
        cast.team.slack_webhook_url = "https://hooks.slack.com/services/T0/B0/x"
        services.team_save(team=cast.team)


@pytest.mark.django_db
class TestPartOfTheVersion:
    def test_a_new_draft_copies_the_rules_in_order(self, cast, definition):
        rule(definition, position=2, name="Rest", team=cast.other_team, automatic=False)
        rule(definition, position=1, name="DACH", countries=["DE", "AT"], regions=["EMEA"], team=cast.team)
        copy = services.definition_create(by=cast.cmo, name="Next", based_on=definition)
        assert [
            (r.position, r.name, r.countries, r.regions, r.team, r.automatic) for r in copy.routing_rules.all()
        ] == [(1, "DACH", ["DE", "AT"], ["EMEA"], cast.team, True), (2, "Rest", [], [], cast.other_team, False)]
        assert definition.routing_rules.count() == 2  # the original keeps its own

    def test_both_signatures_put_the_rules_in_force(self, cast, definition):
        rule(definition, position=1, name="DACH", countries=["DE"], team=cast.team)
        assert selectors.active_routes() == []
        services.definition_propose(definition=definition, by=cast.marketer)
        services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
        assert selectors.active_routes() == []  # one signature is not enough
        services.definition_approve(definition=definition, by=cast.vp, side="sales")
        assert [route.name for route in selectors.active_routes()] == ["DACH"]

    def test_rules_are_frozen_once_proposed(self, cast, definition):
        rule(definition, position=1, name="DACH", countries=["DE"], team=cast.team)
        activate(definition, cast)
        client = Client()
        client.force_login(cast.cmo)
        url = f"/admin/alignment/qualificationdefinition/{definition.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200 and b"DACH" in page.content
        assert b'name="routing_rules-0-name"' not in page.content  # shown, not editable

    def test_the_definition_page_and_compare_show_the_rules_in_words(self, cast, definition):
        rule(definition, position=1, name="DACH", countries=["DE"], team=cast.team)
        second = services.definition_create(by=cast.marketer, name="Next", based_on=definition)
        second.routing_rules.update(automatic=False)
        client = Client()
        client.force_login(cast.rep)
        page = client.get(f"/definitions/{definition.pk}/").content.decode()
        assert "1. DACH: leads from Germany go to Enterprise, automatically to its least-loaded working rep" in page
        compare = client.get(f"/definitions/compare/?a={definition.pk}&b={second.pk}").content.decode()
        changed = [row for row in compare.split("<tr") if "table-warning" in row]
        assert any("Routing rule 1" in row and "for marketing to hand off by hand" in row for row in changed)


@pytest.mark.django_db
def test_away_reps_are_not_working_reps_for_new_leads_but_stay_members(cast):
    from alignment.models import Membership

    Membership.objects.filter(user=cast.rep).update(away_until=datetime(2999, 1, 1, tzinfo=UTC))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    available = set(selectors.working_reps(available_at=now).values_list("user_id", flat=True))
    assert cast.rep.pk not in available and cast.teammate.pk in available
    assert cast.rep.pk in set(selectors.working_reps().values_list("user_id", flat=True))
    Membership.objects.filter(user=cast.rep).update(away_until=datetime(2029, 12, 31, tzinfo=UTC))
    assert cast.rep.pk in set(selectors.working_reps(available_at=now).values_list("user_id", flat=True))
