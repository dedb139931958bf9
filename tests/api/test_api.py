"""The REST API: integrations and their keys, leads created and updated through the importer's
rules, bad input answered field by field with nothing saved, idempotent retries, activities,
outcomes read back, throttling and the request log."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment.models import LeadProperty
from api import services as api_services
from api.models import ApiRequest, IdempotentResponse, Integration, Scope
from api.services import integration_create, integration_key_rotate, integration_revoke
from api.throttling import PerCallerThrottle
from leads import services as lead_services
from leads.demo import ensure_demo_definition
from leads.models import Campaign, ExternalId, Handoff, Lead, LeadEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def integration(cast):
    made, key = integration_create(name="Marketing automation", scopes=list(Scope.values), default_source=cast.source)
    return made, key


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


def post(client: Client, path: str, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Engines.example", "company": "Engines Ltd"}


class TestCreatingLeads:
    def test_a_new_lead_is_created_with_its_figures(self, integration):
        _, key = integration
        response = post(api(key), "/api/v1/leads/", {**ADA, "external_ids": [{"system": "hubspot", "id": "901"}]})
        assert response.status_code == 201, response.content
        body = response.json()
        lead = Lead.objects.get(pk=body["id"])
        assert (lead.email, lead.email_normalized, lead.company) == (
            "Ada@Engines.example",
            "ada@engines.example",
            "Engines Ltd",
        )
        assert body["external_ids"] == [{"system": "hubspot", "id": "901"}]
        assert set(body) >= {"grade", "score", "bucket", "priority", "sales_ready", "handoff"}
        event = lead.events.get(kind=LeadEvent.Kind.CREATED)
        assert event.details == {"via": "api", "integration": "Marketing automation", "row": 1}

    def test_the_same_person_again_updates_the_lead_it_matches(self, integration):
        _, key = integration
        first = post(api(key), "/api/v1/leads/", ADA).json()
        again = post(api(key), "/api/v1/leads/", {"email": "ada@engines.example", "title": "CTO"})
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]
        assert Lead.objects.get().title == "CTO"
        unchanged = post(api(key), "/api/v1/leads/", {"email": "ada@engines.example", "title": "CTO"})
        assert (unchanged.status_code, unchanged.json()["id"]) == (200, first["id"])
        assert Lead.objects.count() == 1

    def test_a_lead_made_sales_ready_says_so(self, cast, integration):
        ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
        _, key = integration
        body = post(api(key), "/api/v1/leads/", ADA).json()
        assert body["grade"] in "ABCD" and body["score"] is not None and not body["sales_ready"]
        when = (timezone.now() - timedelta(hours=1)).isoformat()
        logged = post(
            api(key),
            f"/api/v1/leads/{body['id']}/activities/",
            {"activities": [{"kind": "demo_request", "occurred_at": when}]},
        )
        assert logged.status_code == 201, logged.content
        assert logged.json()["lead"]["sales_ready"] is True
        assert Lead.objects.get(pk=body["id"]).events.filter(kind=LeadEvent.Kind.SALES_READY).exists()


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"email": "not-an-email", "first_name": "Ada"}, "email"),
            ({"email": "a@b.example", "employees": "many"}, "employees"),
            ({"email": "a@b.example", "properties": {"no_such_key": 1}}, "properties"),
            ({"email": "a@b.example", "source": "Nowhere"}, "source"),
            ({"email": "a@b.example", "campaign": "Nothing"}, "campaign"),
            ({"email": "a@b.example", "first_name": "A\x00da"}, "first_name"),
            ({"email": "a@b.example", "title": "x" * 300}, "title"),
            ({"email": "a@b.example", "external_ids": [{"system": "a b", "id": "1"}]}, "external_ids"),
            ({"first_name": "Nobody"}, "email"),
        ],
    )
    def test_is_a_400_naming_the_field_and_saves_nothing(self, integration, body, field):
        _, key = integration
        response = post(api(key), "/api/v1/leads/", body)
        assert response.status_code == 400, response.content
        assert field in response.json(), response.json()
        assert not Lead.objects.exists()
        assert not LeadEvent.objects.exists()

    def test_a_body_that_is_no_json_object_is_a_400(self, integration):
        _, key = integration
        response = api(key).post("/api/v1/leads/", data="[1, 2", content_type="application/json")
        assert response.status_code == 400
        assert post(api(key), "/api/v1/leads/", ["a list"]).status_code == 400
        assert not Lead.objects.exists()

    def test_an_update_naming_an_unknown_source_is_refused_and_changes_nothing(self, integration):
        _, key = integration
        assert post(api(key), "/api/v1/leads/", ADA).status_code == 201
        response = post(api(key), "/api/v1/leads/", {**ADA, "title": "CTO", "source": "Nowhere"})
        assert response.status_code == 400
        assert "source" in response.json()
        assert Lead.objects.get().title == ""

    def test_a_property_of_the_wrong_kind_is_refused(self, integration):
        LeadProperty.objects.create(key="seats", label="Seats", kind=LeadProperty.Kind.NUMBER)
        _, key = integration
        response = post(api(key), "/api/v1/leads/", {"email": "a@b.example", "properties": {"seats": "a dozen"}})
        assert response.status_code == 400
        assert "properties.seats" in response.json()
        assert (
            post(api(key), "/api/v1/leads/", {"email": "a@b.example", "properties": {"seats": 12}}).status_code == 201
        )
        assert Lead.objects.get().properties == {"seats": 12}


class TestIdempotency:
    def test_a_retry_with_the_same_key_gets_the_first_answer(self, integration):
        _, key = integration
        first = post(api(key), "/api/v1/leads/", ADA, HTTP_IDEMPOTENCY_KEY="order-1")
        retry = post(api(key), "/api/v1/leads/", ADA, HTTP_IDEMPOTENCY_KEY="order-1")
        assert (first.status_code, retry.status_code) == (201, 201)
        assert retry.json() == first.json()
        assert retry["Idempotent-Replayed"] == "true"
        assert Lead.objects.count() == 1 and LeadEvent.objects.count() == 1

    def test_the_same_key_for_another_body_is_refused(self, integration):
        _, key = integration
        post(api(key), "/api/v1/leads/", ADA, HTTP_IDEMPOTENCY_KEY="order-2")
        other = post(api(key), "/api/v1/leads/", {**ADA, "title": "CEO"}, HTTP_IDEMPOTENCY_KEY="order-2")
        assert other.status_code == 422
        assert Lead.objects.get().title == ""

    def test_keys_belong_to_their_caller(self, cast, integration):
        _, key = integration
        _, other_key = integration_create(name="Ads", scopes=[Scope.CREATE_LEADS], default_source=cast.source)
        post(api(key), "/api/v1/leads/", ADA, HTTP_IDEMPOTENCY_KEY="shared")
        other = post(api(other_key), "/api/v1/leads/", {"email": "bob@example.com"}, HTTP_IDEMPOTENCY_KEY="shared")
        assert other.status_code == 201
        assert IdempotentResponse.objects.count() == 2


class TestBulk:
    def test_each_lead_is_answered_like_a_row_of_an_import(self, integration):
        _, key = integration
        leads = [ADA, {"email": "broken"}, {"email": "bob@example.com", "employees": -1}, {**ADA, "title": "CTO"}]
        response = post(api(key), "/api/v1/leads/bulk/", {"leads": leads})
        assert response.status_code == 200, response.content
        body = response.json()
        assert [row["status"] for row in body["results"]] == ["created", "rejected", "rejected", "updated"]
        assert body["results"][0]["id"] == body["results"][3]["id"]
        assert "email" in body["results"][1]["errors"] and "employees" in body["results"][2]["errors"]
        assert (body["created"], body["updated"], body["rejected"]) == (1, 1, 2)
        assert Lead.objects.get().title == "CTO"

    def test_more_than_a_thousand_is_refused_whole(self, integration):
        _, key = integration
        response = post(api(key), "/api/v1/leads/bulk/", {"leads": [{"email": f"p{i}@x.example"} for i in range(1001)]})
        assert response.status_code == 400
        assert not Lead.objects.exists()


class TestKeysAndScopes:
    def test_no_key_a_wrong_key_and_a_revoked_key_are_refused(self, integration):
        made, key = integration
        assert post(Client(), "/api/v1/leads/", ADA).status_code in (401, 403)
        assert post(api("nope." + "x" * 32), "/api/v1/leads/", ADA).status_code == 401
        integration_revoke(integration=made)
        assert post(api(key), "/api/v1/leads/", ADA).status_code == 401
        assert not Lead.objects.exists()

    def test_a_rotated_key_replaces_the_old_one(self, integration):
        made, key = integration
        new_key = integration_key_rotate(integration=made)
        assert post(api(key), "/api/v1/leads/", ADA).status_code == 401
        assert post(api(new_key), "/api/v1/leads/", ADA).status_code == 201

    def test_an_integration_does_only_what_its_scopes_say(self, cast, integration):
        _, reader = integration_create(name="Reader", scopes=[Scope.READ_OUTCOMES])
        assert post(api(reader), "/api/v1/leads/", ADA).status_code == 403
        assert api(reader).get("/api/v1/handoffs/").status_code == 200
        _, writer = integration_create(name="Writer", scopes=[Scope.CREATE_LEADS], default_source=cast.source)
        lead_id = post(api(writer), "/api/v1/leads/", ADA).json()["id"]
        assert api(writer).get(f"/api/v1/leads/{lead_id}/").status_code == 403
        assert post(api(writer), f"/api/v1/leads/{lead_id}/activities/", {"activities": []}).status_code == 403

    def test_every_call_is_in_the_request_log(self, integration):
        made, key = integration
        post(api(key), "/api/v1/leads/", ADA)
        post(api(key), "/api/v1/leads/", {"email": "broken"})
        logged = list(ApiRequest.objects.order_by("id").values_list("method", "path", "status"))
        assert logged == [("POST", "/api/v1/leads/", 201), ("POST", "/api/v1/leads/", 400)]
        assert Integration.objects.get(pk=made.pk).last_used_at is not None

    @pytest.mark.django_db(transaction=True)
    def test_a_call_that_writes_leads_logs_itself_in_the_transaction_of_its_work(self, integration, monkeypatch):
        # On SQLite each write transaction waits its turn for the write lock: one per call.
        logged_inside = []
        real_log = api_services.api_request_log

        def spy(**call):
            logged_inside.append((call["path"], call["status"], connection.in_atomic_block))
            real_log(**call)

        monkeypatch.setattr(api_services, "api_request_log", spy)
        _, key = integration
        post(api(key), "/api/v1/leads/", ADA)
        post(api(key), "/api/v1/leads/", {"email": "b@b.example", "source": "Nowhere"})  # refused by the intake
        post(api(key), "/api/v1/leads/", ["a list"])  # refused before any work
        post(api(key), "/api/v1/leads/bulk/", {"leads": [ADA]})
        api(key).get("/api/v1/handoffs/")
        assert logged_inside == [
            ("/api/v1/leads/", 201, True),
            ("/api/v1/leads/", 400, True),
            ("/api/v1/leads/", 400, False),
            ("/api/v1/leads/bulk/", 200, True),
            ("/api/v1/handoffs/", 200, False),
        ]
        assert list(ApiRequest.objects.order_by("id").values_list("status", flat=True)) == [201, 400, 400, 200, 200]

    def test_requests_past_the_rate_are_throttled_until_the_minute_ends(self, integration, monkeypatch):
        monkeypatch.setattr(PerCallerThrottle, "THROTTLE_RATES", {"caller": "2/min"})
        _, key = integration
        with time_machine.travel(datetime(2026, 12, 2, 9, 30, 45, tzinfo=UTC), tick=False):
            answers = [api(key).get("/api/v1/handoffs/") for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert answers[2]["Retry-After"] == "15"
        with time_machine.travel(datetime(2026, 12, 2, 9, 31, 1, tzinfo=UTC), tick=False):
            assert api(key).get("/api/v1/handoffs/").status_code == 200

    def test_an_hourly_budget_lasts_the_hour_however_quiet_the_caller(self, integration, monkeypatch):
        monkeypatch.setattr(PerCallerThrottle, "THROTTLE_RATES", {"caller": "2/hour"})
        _, key = integration
        statuses = []
        for minute in (0, 1, 20, 59):  # quieter than the cache's default timeout (five minutes)
            with time_machine.travel(datetime(2026, 12, 2, 9, minute, 10, tzinfo=UTC), tick=False):
                statuses.append(api(key).get("/api/v1/handoffs/").status_code)
        with time_machine.travel(datetime(2026, 12, 2, 10, 0, 5, tzinfo=UTC), tick=False):
            statuses.append(api(key).get("/api/v1/handoffs/").status_code)
        assert statuses == [200, 200, 429, 429, 200]

    def test_the_command_prints_the_key_once(self, capsys, cast):
        call_command("integration_create", "Website", "--scope", "create_leads", "--json")
        printed = json.loads(capsys.readouterr().out)
        assert printed["integration"] == "Website" and printed["scopes"] == ["create_leads"]
        assert Integration.objects.get(name="Website").keys.get().hashed_key != printed["key"]


class TestPeople:
    def test_marketing_may_create_with_their_session_and_reps_may_not(self, cast):
        marketer, rep = Client(), Client()
        marketer.force_login(cast.marketer)
        rep.force_login(cast.rep)
        body = {**ADA, "source": cast.source.name}
        assert post(rep, "/api/v1/leads/", body).status_code == 403
        assert post(marketer, "/api/v1/leads/", body).status_code == 201
        created = Lead.objects.get().events.get(kind=LeadEvent.Kind.CREATED)
        assert created.actor == cast.marketer

    def test_a_rep_reads_only_their_own_handoffs(self, cast, handoff_to_rep):
        mine, theirs = handoff_to_rep(), handoff_to_rep(rep=cast.other_rep)
        rep = Client()
        rep.force_login(cast.rep)
        ids = [row["id"] for row in rep.get("/api/v1/handoffs/").json()["results"]]
        assert ids == [mine.pk]
        assert rep.get(f"/api/v1/leads/{theirs.lead_id}/").status_code == 404


class TestOutcomes:
    def test_handoffs_changed_since_a_time_in_pages(self, cast, handoff_to_rep, integration):
        _, key = integration
        old = handoff_to_rep()
        Handoff.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
        fresh = [handoff_to_rep(last_name=f"Fresh {i}") for i in range(3)]
        lead_services.handoff_accept(handoff=fresh[0], by=cast.rep)
        since = (timezone.now() - timedelta(days=1)).isoformat()
        page = api(key).get("/api/v1/handoffs/", {"updated_since": since, "page_size": 2}).json()
        assert [row["id"] for row in page["results"]] == [fresh[1].pk, fresh[2].pk]
        rest = api(key).get(page["next"]).json()
        assert [row["id"] for row in rest["results"]] == [fresh[0].pk]
        assert rest["results"][0]["status"] == "accepted" and rest["next"] is None
        assert api(key).get("/api/v1/handoffs/", {"updated_since": "yesterday"}).status_code == 400

    def test_a_lead_reads_back_with_its_names_its_ids_in_order_and_its_open_handoff(
        self, cast, handoff_to_rep, integration
    ):
        _, key = integration
        campaign = Campaign.objects.create(name="Spring webinar", source=cast.source)
        handoff = handoff_to_rep(campaign=campaign)
        lead = handoff.lead
        for system, value in [("hubspot", "7"), ("marketo", "12")]:
            ExternalId.objects.create(lead=lead, system=system, value=value)
        api(key).get("/api/v1/handoffs/")  # the first call of the minute also notes last_used_at
        with CaptureQueriesContext(connection) as two_ids:
            body = api(key).get(f"/api/v1/leads/{lead.pk}/").json()
        assert body["external_ids"] == [{"system": "hubspot", "id": "7"}, {"system": "marketo", "id": "12"}]
        assert (body["source"], body["campaign"], body["team"], body["owner"]) == (
            cast.source.name,
            "Spring webinar",
            handoff.team.name,
            cast.rep.username,
        )
        assert (body["handoff"]["id"], body["handoff"]["rep"], body["stage"]) == (
            handoff.pk,
            cast.rep.username,
            "handed_off",
        )
        ExternalId.objects.create(lead=lead, system="pardot", value="3")
        with CaptureQueriesContext(connection) as three_ids:
            again = api(key).get(f"/api/v1/leads/{lead.pk}/").json()
        assert [row["system"] for row in again["external_ids"]] == ["hubspot", "marketo", "pardot"]
        assert len(three_ids.captured_queries) == len(two_ids.captured_queries)
        unrouted = post(api(key), "/api/v1/leads/", ADA).json()
        assert (unrouted["external_ids"], unrouted["campaign"], unrouted["owner"], unrouted["handoff"]) == (
            [],
            None,
            None,
            None,
        )

    def test_reading_handoffs_costs_the_same_queries_for_more_rows(self, handoff_to_rep, integration):
        _, key = integration
        handoff_to_rep()
        api(key).get("/api/v1/handoffs/")  # the first call of the minute also notes last_used_at
        with CaptureQueriesContext(connection) as few:
            api(key).get("/api/v1/handoffs/")
        for i in range(6):
            handoff_to_rep(last_name=f"More {i}")
        with CaptureQueriesContext(connection) as many:
            api(key).get("/api/v1/handoffs/")
        assert len(many.captured_queries) == len(few.captured_queries)


def test_the_schema_and_its_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    content = docs.content.decode()
    assert "cdn" not in content.casefold() and "/static/drf_spectacular_sidecar/" in content
    assert "<script>" not in content  # the start-up script is a file of its own (the CSP)


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/leads/{id}/activities/" in target.read_text()


def test_an_id_no_column_can_hold_is_the_apis_json_404(integration):
    _, key = integration
    for path in ("/api/v1/leads/99999999999999999999999/", "/api/v1/leads/0/", "/api/v1/nothing/"):
        response = api(key).get(path)
        assert (response.status_code, response["Content-Type"]) == (404, "application/json"), path
        assert response.json() == {"detail": "Not found."}


def test_the_nightly_trim_keeps_a_month_of_requests_and_a_day_of_answers(integration):
    from django_celery_beat.models import PeriodicTask

    from api.tasks import trim_api_log

    made, key = integration
    post(api(key), "/api/v1/leads/", ADA, HTTP_IDEMPOTENCY_KEY="kept")
    old = timezone.now() - timedelta(days=31)
    ApiRequest.objects.create(
        integration=made, key_prefix="x", method="GET", path="/api/v1/handoffs/", status=200, duration_ms=1, at=old
    )
    IdempotentResponse.objects.create(
        caller="user:1",
        key="stale",
        fingerprint="f",
        status=200,
        body={},
        created_at=timezone.now() - timedelta(days=2),
    )
    assert trim_api_log() == 2
    assert ApiRequest.objects.count() == 1 and list(IdempotentResponse.objects.values_list("key", flat=True)) == [
        "kept"
    ]
    assert PeriodicTask.objects.filter(task="api.tasks.trim_api_log", enabled=True).exists()
