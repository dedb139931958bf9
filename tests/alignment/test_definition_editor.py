"""The definition editor in the workspace: a draft's rules, thresholds, sales-ready rule, service
levels and routing in plain language, written through alignment.services, with the backtest
beside it; the buttons each person may use; and the compare page's validated choice."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alignment import selectors, services
from alignment.models import DefinitionEvent, EngagementRule, FieldRule, LeadProperty, QualificationDefinition
from tests.alignment.test_definitions import activate
from tests.factories import leads_with_outcomes

pytestmark = pytest.mark.django_db
Status = QualificationDefinition.Status


@pytest.fixture
def draft(cast):
    definition = services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(
        definition=definition, field="seniority", test="one_of", values=["c_level", "vp"], points=40, position=1
    )
    FieldRule.objects.create(
        definition=definition, field="employees", test="band", minimum=200, maximum=5000, points=30, position=2
    )
    EngagementRule.objects.create(definition=definition, activity="demo_request", points=50, position=1)
    return definition


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_data(client, url) -> dict:
    """What the editor's form posts as it stands: every field's current value."""
    page = client.get(url)
    assert page.status_code == 200
    data = {}
    context = page.context
    forms = [context["form"]]
    for formset_name in ("rules", "activities", "routes"):
        formset = context.get(formset_name)
        if formset is None:
            continue
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, management[name].value())
        forms.extend(formset.forms)
    for form in forms:
        if form is None:
            continue
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            prepared = field.field.prepare_value(value) if hasattr(field.field, "prepare_value") else value
            data[field.html_name] = prepared
    return data


class TestTheEditor:
    def test_rules_are_shown_in_plain_language(self, cast, draft):
        page = client_for(cast.cmo).get(f"/definitions/{draft.pk}/edit/").content.decode()
        # Seniorities by their labels, one per line; the activity by its label; tests by theirs.
        assert "C-level\nVP</textarea>" in page
        assert '<option value="demo_request" selected>Demo request</option>' in page
        assert '<option value="one_of" selected>is one of</option>' in page
        assert "c_level,vp" not in page and "demo_request," not in page

    def test_coded_values_are_shown_and_read_back_by_their_labels(self, cast, draft):
        FieldRule.objects.create(
            definition=draft, field="source_interest", test="one_of", values=["active"], points=10, position=3
        )
        client = client_for(cast.cmo)
        url = f"/definitions/{draft.pk}/edit/"
        page = client.get(url).content.decode()
        assert "Active interest</textarea>" in page and ">active</textarea>" not in page
        data = editor_data(client, url)
        data.update({"fit-2-values": "Passive interest\nactive", "save": "1"})
        assert client.post(url, data).status_code == 302
        assert FieldRule.objects.get(definition=draft, field="source_interest").values == ["passive", "active"]

    def test_the_values_a_field_may_list_are_offered(self, cast, draft):
        LeadProperty.objects.create(key="plan", label="Plan", kind="choice", choices=["Enterprise", "Free"])
        LeadProperty.objects.create(key="pages", label="Pages viewed", kind="number")
        response = client_for(cast.cmo).get(f"/definitions/{draft.pk}/edit/")
        known = json.loads(re.search(r'id="rule-known-values"[^>]*>(.*?)</script>', response.content.decode()).group(1))
        assert known["property:plan"] == ["Enterprise", "Free"]
        assert known["source_interest"] == ["Active interest", "Passive interest"]
        assert "VP" in known["seniority"] and "vp" not in known["seniority"]
        assert "property:pages" not in known

    def test_saving_changes_the_draft_through_the_service(self, cast, draft):
        client = client_for(cast.cmo)
        url = f"/definitions/{draft.pk}/edit/"
        data = editor_data(client, url)
        data.update({"hot_min": "70", "fit-0-values": "Director\nVP", "ready_buckets": ["hot", "warm"]})
        data["save"] = "1"
        response = client.post(url, data)
        assert response.status_code == 302, response.context and response.context["form"].errors
        draft.refresh_from_db()
        assert (draft.hot_min, draft.ready_buckets) == (70, "hot,warm")
        assert FieldRule.objects.get(definition=draft, field="seniority").values == ["director", "vp"]
        edited = DefinitionEvent.objects.filter(definition=draft, kind="edited")
        assert edited.exists() and all(event.actor == cast.cmo for event in edited)

    def test_a_new_rule_and_a_removed_one(self, cast, draft):
        LeadProperty.objects.create(key="time_on_site", label="Time on website", kind="number")
        client = client_for(cast.marketer)
        url = f"/definitions/{draft.pk}/edit/"
        data = editor_data(client, url)
        data.update(
            {
                "fit-1-DELETE": "on",
                "fit-2-field": "property:time_on_site",
                "fit-2-test": "band",
                "fit-2-part": "engagement",
                "fit-2-minimum": "15",
                "fit-2-points": "20",
                "save": "1",
            }
        )
        assert client.post(url, data).status_code == 302
        rules = [(rule.field, rule.test, rule.part, rule.points) for rule in draft.field_rules.all()]
        assert rules == [("seniority", "one_of", "fit", 40), ("property:time_on_site", "band", "engagement", 20)]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"fit-1-minimum": "9000"}, "minimum (9,000) is not below its maximum"),
            ({"fit-0-test": "table", "fit-0-table": "Enterprise = lots"}, "is not &quot;value = points&quot;"),
            ({"grade_a_min": "10", "grade_b_min": "40"}, "A ≥ B ≥ C"),
            ({"hot_min": "ten"}, "Enter a whole number"),
        ],
    )
    def test_bad_input_is_explained_and_changes_nothing(self, cast, draft, change, message):
        client = client_for(cast.marketer)
        url = f"/definitions/{draft.pk}/edit/"
        before = list(FieldRule.objects.filter(definition=draft).values_list("field", "test", "minimum", "table"))
        data = {**editor_data(client, url), **change, "save": "1"}
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert list(FieldRule.objects.filter(definition=draft).values_list("field", "test", "minimum", "table")) == (
            before
        )
        draft.refresh_from_db()
        assert (draft.grade_a_min, draft.hot_min) == (60, 60)

    def test_adding_a_row_saves_nothing(self, cast, draft):
        client = client_for(cast.marketer)
        url = f"/definitions/{draft.pk}/edit/"
        data = {**editor_data(client, url), "add-fit": "1", "hot_min": "99"}
        page = client.post(url, data)
        assert page.status_code == 200 and len(page.context["rules"].forms) == 4
        draft.refresh_from_db()
        assert draft.hot_min == 60

    def test_an_htmx_save_answers_the_editor_with_its_refreshed_backtest(self, cast, draft):
        leads_with_outcomes(cast.source)
        client = client_for(cast.marketer)
        url = f"/definitions/{draft.pk}/edit/"
        data = {**editor_data(client, url), "save": "1"}
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        page = response.content.decode()
        assert response.status_code == 200 and 'id="saved-notice"' in page
        assert "The backtest beside it is up to date" in page
        assert 'id="evidence-auc"' in page and "300" in page
        evidence = selectors.latest_evidence(draft)
        assert evidence is not None and evidence["result"]["leads"] == 300

    def test_each_rule_shows_the_leads_it_matches_and_its_lift(self, cast, draft):
        leads_with_outcomes(cast.source)
        LeadProperty.objects.filter(key="plan").update(label="Plan")
        FieldRule.objects.create(
            definition=draft, field="property:plan", test="one_of", values=["Enterprise"], points=10, position=3
        )
        services.definition_refresh_evidence(definition=draft, by=cast.marketer)
        result = selectors.latest_evidence(draft)["result"]
        plan_row = next(row for row in result["rules"] if row["of"] == ["field", 2])
        assert plan_row["support"] == 100 and plan_row["lift"] > 1
        page = client_for(cast.marketer).get(f"/definitions/{draft.pk}/edit/").content.decode()
        assert "matches 100 leads with a known outcome" in page
        assert f"{plan_row['lift']:.2f}×" in page
        detail = client_for(cast.marketer).get(f"/definitions/{draft.pk}/").content.decode()
        assert "matches 100 leads with a known outcome" in detail

    def test_a_backtest_of_earlier_rules_is_not_shown_as_theirs(self, cast, draft):
        leads_with_outcomes(cast.source)
        services.definition_refresh_evidence(definition=draft, by=cast.marketer)
        assert selectors.latest_evidence(draft) is not None
        services.definition_update(definition=draft, by=cast.marketer, fields={"hot_min": 61})
        assert selectors.latest_evidence(draft) is None

    def test_only_marketing_and_the_leaders_edit(self, cast, draft):
        for person in (cast.rep, cast.manager):
            client = client_for(person)
            assert client.get(f"/definitions/{draft.pk}/edit/").status_code == 403
            assert client.post(f"/definitions/{draft.pk}/edit/", {"name": "Mine", "save": "1"}).status_code == 403
            assert client.post("/definitions/new/").status_code == 403
        draft.refresh_from_db()
        assert draft.name == "Enterprise fit" and QualificationDefinition.objects.count() == 1

    def test_a_proposed_version_is_not_edited(self, cast, draft):
        services.definition_propose(definition=draft, by=cast.marketer)
        client = client_for(cast.cmo)
        response = client.post(f"/definitions/{draft.pk}/edit/", {"name": "Changed", "save": "1"}, follow=True)
        assert "is proposed and cannot change" in response.content.decode()
        draft.refresh_from_db()
        assert draft.name == "Enterprise fit"

    def test_a_new_draft_copies_the_active_version_and_opens_its_editor(self, cast, draft):
        activate(draft, cast)
        response = client_for(cast.cmo).post("/definitions/new/")
        created = QualificationDefinition.objects.get(status=Status.DRAFT)
        assert response["Location"] == f"/definitions/{created.pk}/edit/"
        assert created.based_on == draft and created.field_rules.count() == 2


class TestTheRoutingEditor:
    def test_a_rule_is_saved_from_choices(self, cast, draft):
        client = client_for(cast.vp)
        url = f"/definitions/{draft.pk}/edit/routing/"
        page = client.get(url).content.decode()
        assert f'value="{cast.source.name}"' in page and "Germany (DE)" in page
        data = editor_data(client, url)
        data.update(
            {
                "route-0-name": "DACH",
                "route-0-team": str(cast.team.pk),
                "route-0-automatic": "on",
                "route-0-countries": ["DE", "AT"],
                "route-0-regions": ["EMEA"],
                "route-0-sources": [cast.source.name],
                "route-0-industries": "Banking\nInsurance",
                "save": "1",
            }
        )
        assert client.post(url, data).status_code == 302
        saved = draft.routing_rules.get()
        assert (saved.name, saved.team, saved.countries, saved.regions, saved.industries) == (
            "DACH",
            cast.team,
            ["DE", "AT"],
            ["EMEA"],
            ["Banking", "Insurance"],
        )
        assert "leads from Germany, Austria or EMEA" in client.get(f"/definitions/{draft.pk}/").content.decode()

    def test_a_rule_without_a_team_is_refused_with_a_message(self, cast, draft):
        client = client_for(cast.marketer)
        url = f"/definitions/{draft.pk}/edit/routing/"
        data = {**editor_data(client, url), "route-0-name": "Nowhere", "save": "1"}
        response = client.post(url, data)
        assert response.status_code == 200
        assert "Choose the sales team that receives the leads." in response.content.decode()
        assert not draft.routing_rules.exists()

    def test_sales_managers_and_reps_add_no_rule(self, cast, draft):
        for person in (cast.manager, cast.rep):
            response = client_for(person).post(
                f"/definitions/{draft.pk}/edit/routing/",
                {"route-TOTAL_FORMS": "1", "route-INITIAL_FORMS": "0", "route-0-name": "X", "save": "1"},
            )
            assert response.status_code == 403
        assert not draft.routing_rules.exists()


class TestWhoSeesWhichButtons:
    def buttons(self, user, definition) -> set[str]:
        page = client_for(user).get(f"/definitions/{definition.pk}/").content.decode()
        names = ("Approve for marketing", "Approve for sales", "Ask for changes", "Edit the draft", "Propose to both")
        return {name for name in names if name in page}

    def test_each_leader_sees_exactly_the_buttons_they_may_use(self, cast, draft):
        services.definition_propose(definition=draft, by=cast.marketer)
        assert self.buttons(cast.cmo, draft) == {"Approve for marketing", "Ask for changes"}
        assert self.buttons(cast.vp, draft) == {"Approve for sales", "Ask for changes"}
        assert self.buttons(cast.marketer, draft) == set()
        assert self.buttons(cast.rep, draft) == set()
        services.definition_approve(definition=draft, by=cast.cmo, side="marketing")
        assert self.buttons(cast.cmo, draft) == set()
        assert self.buttons(cast.vp, draft) == {"Approve for sales", "Ask for changes"}

    def test_a_draft_shows_editing_to_marketing_only(self, cast, draft):
        assert self.buttons(cast.marketer, draft) == {"Edit the draft", "Propose to both"}
        assert self.buttons(cast.rep, draft) == set()

    def test_the_selector_follows_the_service(self, cast, draft):
        draft = services.definition_propose(definition=draft, by=cast.marketer)
        assert selectors.actions_available(draft, cast.vp)["approve"] == ["sales"]
        assert selectors.actions_available(draft, cast.manager)["approve"] == []

    def test_an_action_one_may_not_take_changes_nothing(self, cast, draft):
        services.definition_propose(definition=draft, by=cast.marketer)
        services.definition_approve(definition=draft, by=cast.cmo, side="marketing")
        cmo = client_for(cast.cmo)
        page = cmo.post(f"/definitions/{draft.pk}/approve/", {"side": "marketing"}, follow=True).content.decode()
        assert "Marketing has already approved this proposal" in page
        page = cmo.post(f"/definitions/{draft.pk}/request-changes/", {"comment": "Hm"}, follow=True).content.decode()
        assert "You have already answered" in page
        assert cmo.post(f"/definitions/{draft.pk}/approve/", {"side": "sales"}).status_code == 403
        assert client_for(cast.marketer).post(f"/definitions/{draft.pk}/approve/", {"side": "sales"}).status_code == (
            403
        )
        draft.refresh_from_db()
        assert draft.status == Status.PROPOSED and draft.approvals.count() == 1


class TestCompare:
    def test_an_empty_or_bad_choice_is_a_form_error_on_the_page(self, cast, draft):
        client = client_for(cast.rep)
        for query in ("?a=&b=", "?a=x&b=1", f"?a={draft.pk}&b={draft.pk}", f"?a={draft.pk}&b=999999"):
            response = client.get(f"/definitions/compare/{query}")
            assert response.status_code == 200, query
            assert response.context["form"].errors, query
            assert "invalid-feedback" in response.content.decode()
        assert client.get("/definitions/compare/").status_code == 200

    def test_two_versions_side_by_side_in_plain_language(self, cast, draft):
        second = services.definition_create(by=cast.marketer, name="Stricter", based_on=draft)
        services.definition_update(
            definition=second, by=cast.marketer, fields={"ready_activities": "demo_request,pricing_page_visit"}
        )
        page = client_for(cast.rep).get(f"/definitions/compare/?a={draft.pk}&b={second.pk}").content.decode()
        assert 'for="id_a"' in page and 'for="id_b"' in page
        changed = [row for row in page.split("<tr") if "table-warning" in row]
        assert any("Sales-ready" in row and "pricing-page visit" in row for row in changed)
        assert "pricing_page_visit" not in page and "Seniority is C-level or VP: +40" in page
        assert 'id="compare-backtests"' in page


def count_queries(user, url) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow(definition, cast, n):
    """``n`` more field rules, activity rules, routing rules and known outcomes."""
    from alignment.models import RoutingRule

    start = definition.field_rules.count()
    FieldRule.objects.bulk_create(
        FieldRule(
            definition=definition, field="industry", test="one_of", values=[f"I{i}"], points=1, position=start + i
        )
        for i in range(n)
    )
    EngagementRule.objects.bulk_create(
        EngagementRule(definition=definition, activity="website_visit", points=1, position=start + i) for i in range(n)
    )
    RoutingRule.objects.bulk_create(
        RoutingRule(definition=definition, position=start + i, name=f"R{i}", countries=["DE"], team=cast.team)
        for i in range(n)
    )
    services.definition_refresh_evidence(definition=definition, by=cast.marketer)


def test_the_editor_detail_and_compare_pages_run_a_bounded_number_of_queries(cast, draft):
    leads_with_outcomes(cast.source, n=60)
    second = services.definition_create(by=cast.marketer, name="Next", based_on=draft)
    pages = [
        f"/definitions/{second.pk}/edit/",
        f"/definitions/{second.pk}/edit/routing/",
        f"/definitions/compare/?a={draft.pk}&b={second.pk}",
        "/definitions/",
    ]
    grow(second, cast, 1)
    grow(draft, cast, 1)
    count_queries(cast.marketer, pages[0])  # warm the process's caches
    few = [count_queries(cast.marketer, url) for url in pages]
    grow(second, cast, 25)
    grow(draft, cast, 25)
    leads_with_outcomes(cast.source, n=300)
    many = [count_queries(cast.marketer, url) for url in pages]
    assert few == many
    assert max(many) <= 10, dict(zip(pages, many, strict=True))


def test_the_detail_page_does_not_grow_with_rules_or_outcomes(cast, draft):
    url = f"/definitions/{draft.pk}/"
    grow(draft, cast, 1)
    count_queries(cast.marketer, url)
    few = count_queries(cast.marketer, url)
    grow(draft, cast, 25)
    leads_with_outcomes(cast.source, n=300)
    assert count_queries(cast.marketer, url) == few <= 10


@pytest.mark.parametrize("stage", ["proposed", "active"])
def test_a_signed_or_proposed_version_and_its_figures_stay_within_ten_queries(cast, draft, stage):
    from alignment.models import RoutingRule

    RoutingRule.objects.create(definition=draft, position=1, name="EMEA", regions=["EMEA"], team=cast.team)
    services.definition_propose(definition=draft, by=cast.marketer)
    if stage == "active":
        services.definition_approve(definition=draft, by=cast.cmo, side="marketing")
        services.definition_approve(definition=draft, by=cast.vp, side="sales")
    pages = [f"/definitions/{draft.pk}/", f"/definitions/{draft.pk}/figures/"]
    count_queries(cast.vp, pages[0])
    few = [count_queries(who, url) for who in (cast.vp, cast.marketer) for url in pages]
    grow(draft, cast, 20)
    leads_with_outcomes(cast.source, n=200)
    many = [count_queries(who, url) for who in (cast.vp, cast.marketer) for url in pages]
    assert few == many
    assert max(many) <= 10, many
