"""Routing: a lead that becomes sales-ready is handed off by the first routing rule of the active
version it matches, in the transaction that made it sales-ready: to the least-loaded working rep
of the rule's team, with the accept time started, the rep told in the app and by email, and
every decision an event on the lead naming the rule."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import FieldRule, Membership, RoutingRule, Team
from leads import evaluation, routing, services, sla, sweeps, tasks
from leads.imports.services import leads_import
from leads.models import Handoff, Lead, LeadEvent, Notification, Stage
from outbox.models import OutboxMessage
from tests.leads.test_imports import SALESFORCE_API, ada_row, csv_bytes

pytestmark = pytest.mark.django_db

# A Tuesday morning in Berlin: the Enterprise team is at work.
TUESDAY = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def in_force(cast, frozen):
    """A version, signed by both leaders, under which a lead with a known company size is
    sales-ready (so is any lead with a demo request), routed: DACH to Enterprise automatically,
    retail to SMB for marketing to hand off, nothing else."""
    definition = alignment_services.definition_create(by=cast.marketer, name="Routed")
    alignment_services.definition_update(
        definition=definition,
        by=cast.marketer,
        fields={
            "ready_grades": "A",
            "ready_buckets": "hot,warm,cold,unqualified",
            "ready_activities": "demo_request",
            "grade_a_min": 50,
            "grade_b_min": 40,
            "grade_c_min": 20,
        },
    )
    FieldRule.objects.create(definition=definition, field="employees", test="band", minimum=1, points=100)
    RoutingRule.objects.create(
        definition=definition, position=1, name="DACH", countries=["DE", "AT", "CH"], team=cast.team
    )
    RoutingRule.objects.create(
        definition=definition, position=2, name="Retail", industries=["Retail"], team=cast.other_team, automatic=False
    )
    alignment_services.definition_propose(definition=definition, by=cast.marketer)
    alignment_services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=definition, by=cast.vp, side="sales")


def new_lead(cast, **fields):
    defaults = {"last_name": "Lovelace", "email": f"ada{Lead.objects.count()}@engines.example", "country": "Germany"}
    return services.lead_create(by=cast.marketer, source=cast.source, **{**defaults, **fields})


def routed_events(lead) -> list[dict]:
    return list(LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ROUTED).values_list("details", flat=True))


class TestAutomaticHandOff:
    def test_a_lead_entered_sales_ready_goes_to_the_least_loaded_rep_at_once(self, cast, in_force):
        lead = new_lead(cast, employees=500)
        lead.refresh_from_db()
        handoff = Handoff.objects.get(lead=lead)
        assert (lead.stage, lead.owner, lead.team) == (Stage.HANDED_OFF, cast.rep, cast.team)
        assert handoff.handed_off_by is None and handoff.status == Handoff.Status.PENDING
        assert handoff.definition == in_force and handoff.grade == "A"
        # The accept clock runs in the team's business hours from the moment it became ready.
        assert handoff.accept_due_at == sla.accept_due(start=timezone.now(), team=cast.team)
        assert routed_events(lead) == [
            {
                "rule": "DACH",
                "rule_id": in_force.routing_rules.get(name="DACH").pk,
                "position": 1,
                "team": "Enterprise",
                "team_id": cast.team.pk,
                "automatic": True,
                "rep": "rep",
            }
        ]
        handed = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.HANDED_OFF)
        assert (handed.actor, handed.actor_name, handed.details["rule"]) == (None, "", "DACH")
        assert Membership.objects.get(team=cast.team, user=cast.rep).last_assigned_at == timezone.now()

    def test_the_rep_is_told_in_the_app_and_by_email_in_the_same_transaction(self, cast, in_force):
        lead = new_lead(cast, employees=500)
        notice = Notification.objects.get(recipient=cast.rep, kind=Notification.Kind.HANDOFF)
        assert "routing rule “DACH”" in notice.message and notice.link == "/inbox/"
        email = OutboxMessage.objects.get(key=f"notification:{notice.pk}")
        assert email.payload["to"] == [cast.rep.email] and str(lead) in email.payload["subject"]

    def test_a_demo_request_logged_makes_it_ready_and_routes_it(self, cast, in_force):
        lead = new_lead(cast, country="AT")
        assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW  # no size, no demo: not ready
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
        assert Lead.objects.get(pk=lead.pk).owner == cast.rep

    def test_turns_go_round_and_load_counts(self, cast, in_force):
        first, second = new_lead(cast, employees=10), new_lead(cast, employees=10)
        third = new_lead(cast, employees=10)
        owners = [Lead.objects.get(pk=lead.pk).owner for lead in (first, second, third)]
        assert owners[:2] == [cast.rep, cast.teammate] and owners[2] in (cast.rep, cast.teammate)

    def test_away_and_deactivated_reps_are_skipped(self, cast, in_force):
        Membership.objects.filter(user=cast.rep).update(away_until=timezone.now() + timedelta(days=7))
        assert Lead.objects.get(pk=new_lead(cast, employees=10).pk).owner == cast.teammate
        type(cast.teammate).objects.filter(pk=cast.teammate.pk).update(is_active=False)
        lead = new_lead(cast, employees=10)
        lead.refresh_from_db()
        # Nobody in the team can take it: it waits for marketing, and its event says why.
        assert (lead.stage, lead.owner) == (Stage.MQL, None)
        assert routed_events(lead)[0]["waiting"] == "nobody in the team can take it"
        Membership.objects.filter(user=cast.rep).update(away_until=timezone.now() - timedelta(minutes=1))
        assert Lead.objects.get(pk=new_lead(cast, employees=10).pk).owner == cast.rep

    def test_an_imported_lead_is_routed(self, cast, in_force):
        leads_import(
            data=csv_bytes(SALESFORCE_API, [ada_row(Country="Germany")]),
            file_name="leads.csv",
            by=cast.marketer,
            default_source=cast.source,
        )
        lead = Lead.objects.get(last_name="Lovelace")
        assert (lead.stage, lead.owner) == (Stage.HANDED_OFF, cast.rep)
        assert routed_events(lead)[0]["rule"] == "DACH"

    def test_a_re_score_routes_every_lead_that_became_ready(self, cast, in_force):
        now = timezone.now()
        leads = Lead.objects.bulk_create(
            Lead(
                email=f"bulk{i}@x.example",
                country="DE",
                employees=50,
                source=cast.source,
                stage_changed_at=now,
                created_at=now,
            )
            for i in range(4)
        )
        evaluation.leads_evaluate_all()
        owners = sorted(
            Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("owner__username", flat=True)
        )
        assert owners == ["rep", "rep", "teammate", "teammate"]


class TestWhatIsNotRouted:
    def test_no_matching_rule_leaves_it_in_the_marketing_queue_and_listed(self, cast, in_force):
        lead = new_lead(cast, employees=500, country="France")
        lead.refresh_from_db()
        assert (lead.stage, lead.owner) == (Stage.MQL, None)
        assert not Handoff.objects.filter(lead=lead).exists()
        assert routed_events(lead) == [
            {
                "rule": None,
                "rule_id": None,
                "position": None,
                "team": None,
                "team_id": None,
                "automatic": None,
                "rep": None,
            }
        ]
        routed_elsewhere = new_lead(cast, employees=500, last_name="Routed")
        client = Client()
        client.force_login(cast.marketer)
        page = client.get("/leads/?queue=no_rule").content.decode()
        assert f"/leads/{lead.pk}/" in page and f"/leads/{routed_elsewhere.pk}/" not in page
        assert f"/leads/{lead.pk}/" in client.get("/leads/?queue=waiting").content.decode()
        history = client.get(f"/leads/{lead.pk}/").content.decode()
        assert "No routing rule matched" in history

    def test_a_rule_that_is_not_automatic_names_the_team_and_marketing_hands_off(self, cast, in_force):
        lead = new_lead(cast, employees=500, country="France", industry="Retail")
        lead.refresh_from_db()
        assert (lead.stage, lead.owner) == (Stage.MQL, None)
        assert routed_events(lead)[0] | {"rule_id": None} == {
            "rule": "Retail",
            "rule_id": None,
            "position": 2,
            "team": "SMB",
            "team_id": cast.other_team.pk,
            "automatic": False,
            "rep": None,
        }
        client = Client()
        client.force_login(cast.marketer)
        form = client.get(f"/leads/{lead.pk}/hand-off/").context["form"]
        assert form.initial["team"] == cast.other_team
        assert f"/leads/{lead.pk}/" not in client.get("/leads/?queue=no_rule").content.decode()

    def test_a_lead_that_is_not_sales_ready_is_not_routed(self, cast, in_force):
        lead = new_lead(cast)
        services.activity_log(lead=lead, by=cast.marketer, kind="content_download")
        assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW
        assert routed_events(lead) == []

    def test_a_lead_already_handed_off_is_not_routed_twice(self, cast, in_force):
        lead = new_lead(cast, employees=500)
        routing.leads_route(lead_ids=[lead.pk])
        assert Handoff.objects.filter(lead=lead).count() == 1 and len(routed_events(lead)) == 1
        by_hand = new_lead(cast, country="France")
        services.handoff_create(
            lead=by_hand, by=cast.marketer, rep=cast.other_rep, override=True, override_reason="Asked for a call"
        )
        Lead.objects.filter(pk=by_hand.pk).update(sales_ready=True)
        routing.leads_route(lead_ids=[by_hand.pk])
        assert routed_events(by_hand) == [] and Handoff.objects.filter(lead=by_hand).count() == 1

    def test_without_routing_rules_nothing_is_routed(self, cast, frozen):
        from leads.demo import ensure_demo_definition

        ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
        lead = new_lead(cast)
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
        lead.refresh_from_db()
        assert lead.sales_ready and lead.stage == Stage.NEW and routed_events(lead) == []

    def test_only_marketing_hands_off_by_hand(self, cast, in_force):
        lead = new_lead(cast, country="France")
        from alignment.exceptions import NotAllowed

        with pytest.raises(NotAllowed):
            services.handoff_create(lead=lead, by=cast.manager, team=cast.team)


def test_an_expired_hand_off_made_by_accord_returns_to_marketing(cast, in_force):
    lead = new_lead(cast, employees=500)
    Handoff.objects.filter(lead=lead).update(accept_due_at=timezone.now() - timedelta(days=30))
    sweeps.sweep_overdue()
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


def _bulk_leads(cast, how_many: int, start: int) -> None:
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            email=f"bulk{i}@x.example",
            # DACH leads for Enterprise, French ones for nobody, retail ones for SMB by hand.
            country=("DE", "FR", "DE")[i % 3],
            industry="Retail" if i % 5 == 0 else "Software",
            employees=50,
            source=cast.source,
            stage_changed_at=now,
            created_at=now,
        )
        for i in range(start, start + how_many)
    )


def test_a_bulk_re_score_routes_in_queries_that_do_not_grow_with_the_leads(cast, in_force):
    counts = {}
    for how_many, start in ((6, 0), (60, 6)):
        _bulk_leads(cast, how_many, start)
        with CaptureQueriesContext(connection) as queries:
            evaluation.leads_evaluate_all()
        counts[how_many] = len(queries)
    # DACH comes first: German retail leads go to Enterprise too; French ones wait.
    handed_off = sum(1 for i in range(66) if i % 3 != 1)
    assert Handoff.objects.count() == handed_off
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.ROUTED).count() == 66
    assert Notification.objects.filter(kind=Notification.Kind.HANDOFF).count() == 4  # per rep, per batch
    assert counts[6] == counts[60], counts


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_a_team_with_a_slack_webhook_gets_a_post(cast, in_force):
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # Saved past the https check: the receiver on loopback speaks plain HTTP.
        Team.objects.filter(pk=cast.team.pk).update(
            slack_webhook_url=f"http://127.0.0.1:{server.server_port}/services/T0/B0/x"
        )
        lead = new_lead(cast, employees=500)
        message = OutboxMessage.objects.get(payload__task="leads.tasks.post_routed_to_slack")
        assert tasks.post_routed_to_slack(*message.payload["args"]) == 1
    finally:
        server.shutdown()
        thread.join()
    path, content_type, body = _Receiver.received[-1]
    assert path == "/services/T0/B0/x" and content_type == "application/json"
    assert body["text"].startswith("New leads routed to Enterprise:") and str(lead) in body["text"]
    assert cast.rep.get_full_name() in body["text"]
