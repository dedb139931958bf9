"""Hostile input is answered with a form error, never a 500: NUL characters (PostgreSQL cannot
store them), over-long text and search terms, ids past any column's range. Run on SQLite and on
PostgreSQL."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from alignment import services as alignment_services
from alignment.models import DefinitionApproval, DefinitionEvent, EngagementRule, FieldRule
from leads import services
from leads.models import Lead, LeadEvent, Stage
from security.limits import NOTE_MAX_LENGTH, SEARCH_MAX_LENGTH, parse_id

pytestmark = pytest.mark.django_db

HUGE_ID = str(10**25)


def client_for(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def accepted(cast, handoff_to_rep):
    handoff = handoff_to_rep()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    return handoff.lead


@pytest.fixture
def proposed(cast):
    definition = alignment_services.definition_create(by=cast.marketer, name="Under signature")
    FieldRule.objects.create(definition=definition, field="seniority", test="one_of", values=["vp"], points=40)
    EngagementRule.objects.create(definition=definition, activity="demo_request", points=50)
    return alignment_services.definition_propose(definition=definition, by=cast.marketer)


class TestAdvancingALead:
    def test_a_nul_in_the_note_is_a_message_and_changes_nothing(self, cast, accepted):
        events = LeadEvent.objects.count()
        response = client_for(cast.rep).post(
            f"/leads/{accepted.pk}/advance/", {"to_stage": Stage.QUALIFIED, "note": "called\x00back"}
        )
        assert response.status_code == 302
        assert any("Null characters are not allowed" in text for text in message_texts(response))
        assert Lead.objects.get(pk=accepted.pk).stage == Stage.ACCEPTED
        assert LeadEvent.objects.count() == events

    def test_an_over_long_note_is_refused(self, cast, accepted):
        response = client_for(cast.rep).post(
            f"/leads/{accepted.pk}/advance/", {"to_stage": Stage.QUALIFIED, "note": "x" * (NOTE_MAX_LENGTH + 1)}
        )
        assert any("at most 2000 characters" in text for text in message_texts(response))
        assert Lead.objects.get(pk=accepted.pk).stage == Stage.ACCEPTED

    def test_an_unknown_stage_is_refused(self, cast, accepted):
        response = client_for(cast.rep).post(f"/leads/{accepted.pk}/advance/", {"to_stage": "nowhere\x00"})
        assert response.status_code == 302
        assert Lead.objects.get(pk=accepted.pk).stage == Stage.ACCEPTED

    def test_a_clean_note_still_moves_the_lead(self, cast, accepted):
        client_for(cast.rep).post(f"/leads/{accepted.pk}/advance/", {"to_stage": Stage.QUALIFIED, "note": "ok"})
        assert Lead.objects.get(pk=accepted.pk).stage == Stage.QUALIFIED


class TestSigningADefinition:
    def test_a_nul_in_an_approval_comment_is_a_message(self, cast, proposed):
        response = client_for(cast.cmo).post(
            f"/definitions/{proposed.pk}/approve/", {"side": "marketing", "comment": "fine\x00"}
        )
        assert response.status_code == 302
        assert any("Null characters are not allowed" in text for text in message_texts(response))
        assert not DefinitionApproval.objects.filter(definition=proposed).exists()

    def test_a_nul_in_the_side_is_a_message(self, cast, proposed):
        response = client_for(cast.cmo).post(f"/definitions/{proposed.pk}/approve/", {"side": "market\x00ing"})
        assert response.status_code == 302
        assert not DefinitionApproval.objects.filter(definition=proposed).exists()

    def test_a_nul_in_a_change_request_is_a_message(self, cast, proposed):
        events = DefinitionEvent.objects.count()
        response = client_for(cast.vp).post(
            f"/definitions/{proposed.pk}/request-changes/", {"comment": "tighten\x00 it"}
        )
        assert response.status_code == 302
        assert any("Null characters are not allowed" in text for text in message_texts(response))
        assert DefinitionEvent.objects.count() == events

    def test_a_clean_comment_still_signs(self, cast, proposed):
        client_for(cast.cmo).post(f"/definitions/{proposed.pk}/approve/", {"side": "marketing", "comment": "fine"})
        assert DefinitionApproval.objects.filter(definition=proposed, comment="fine").exists()


class TestSearching:
    @pytest.mark.parametrize("page", ["/leads/", "/inbox/", "/handoffs/outcomes/"])
    def test_a_100_kb_search_is_a_form_error(self, cast, page, handoff_to_rep):
        handoff_to_rep()
        response = client_for(cast.manager).get(page, {"q": "%_" * 50_000})
        assert response.status_code == 200
        assert f"at most {SEARCH_MAX_LENGTH} characters" in response.content.decode()

    def test_a_nul_in_a_search_is_a_form_error(self, cast):
        response = client_for(cast.marketer).get("/leads/", {"q": "ada\x00"})
        assert response.status_code == 200
        assert "Null characters are not allowed" in response.content.decode()

    def test_a_search_at_the_limit_runs(self, cast, make_lead):
        make_lead(last_name="Lovelace")
        response = client_for(cast.marketer).get("/leads/", {"q": "Lovelace"})
        assert "Lovelace" in response.content.decode()
        assert client_for(cast.marketer).get("/leads/", {"q": "L" * SEARCH_MAX_LENGTH}).status_code == 200


class TestAdminSearch:
    @pytest.mark.parametrize(
        "changelist",
        ["/admin/leads/lead/", "/admin/leads/source/", "/admin/leads/campaign/", "/admin/leads/handoff/"],
    )
    @pytest.mark.parametrize("term", ["%_" * 50_000, "ada\x00"], ids=["100 kB", "NUL"])
    def test_a_hostile_search_is_cut_and_said(self, cast, changelist, term):
        response = client_for(cast.cmo).get(changelist, {"q": term})
        assert response.status_code == 200
        assert f"first {SEARCH_MAX_LENGTH} characters only" in response.content.decode()

    def test_a_plain_search_is_left_alone(self, cast, make_lead):
        make_lead(last_name="Lovelace")
        response = client_for(cast.cmo).get("/admin/leads/lead/", {"q": "Lovelace"})
        assert "Lovelace" in response.content.decode()
        assert "characters only" not in response.content.decode()


class TestIds:
    def test_parse_id_takes_positive_ids_the_column_holds(self):
        assert parse_id("42") == 42
        assert parse_id(str(2**63 - 1)) == 2**63 - 1
        for text in (str(2**63), HUGE_ID, "0", "-1", "4\x002", "١٢", "", None, "1e3"):
            assert parse_id(text) is None

    def test_comparing_versions_past_the_range_is_a_form_error(self, cast):
        client = Client()
        client.force_login(cast.marketer)
        response = client.get("/definitions/compare/", {"a": HUGE_ID, "b": "1"})
        assert response.status_code == 200 and response.context["form"].errors

    def test_exporting_with_a_huge_definition_id_is_a_message(self, cast):
        response = client_for(cast.marketer).get("/leads/export.csv", {"definition": HUGE_ID})
        assert response.status_code == 302

    def test_an_admin_action_on_a_huge_id_acts_on_the_real_rows_only(self, cast, make_lead):
        lead = make_lead()
        response = client_for(cast.cmo).post(
            "/admin/leads/lead/", {"action": "hand_off_to_team", "_selected_action": [lead.pk, HUGE_ID]}
        )
        assert response.status_code == 200
        assert list(response.context["queryset"]) == [lead]

    def test_an_admin_action_on_huge_ids_only_selects_nothing(self, cast):
        response = client_for(cast.cmo).post(
            "/admin/leads/lead/", {"action": "export_csv", "_selected_action": [HUGE_ID]}
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content).decode().strip().count("\n") == 0  # the header row only

    def test_a_huge_foreign_key_id_in_an_admin_form_is_a_form_error(self, cast):
        response = client_for(cast.cmo).post("/admin/leads/lead/add/", {"email": "ada@example.com", "source": HUGE_ID})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not Lead.objects.filter(email="ada@example.com").exists()

    def test_a_huge_rejection_reason_id_is_a_form_error(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = client_for(cast.rep).post(f"/inbox/{handoff.pk}/reject/", {"reason": HUGE_ID, "note": "x"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
