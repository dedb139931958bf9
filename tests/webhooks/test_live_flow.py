"""Leads that arrive live, end to end, with a real worker on Redis: a website form's post and an
API call each become a lead, graded sales-ready, routed by the signed rule and handed off to a
rep, who is told in the app and by email; the rep's accept and reject reach marketing's webhook
receiver on loopback, signed. With the broker down, the API still answers, and its webhooks go
out once the broker is back."""

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.test import Client

from alignment import services as alignment_services
from alignment.models import FieldRule, RoutingRule
from api.models import Scope
from api.services import integration_create
from config.celery import app as celery_app
from leads import services as lead_services
from leads.models import Handoff, Lead, Notification
from tests.webhooks.test_delivery import documented_verifier
from tests.webhooks.test_worker import wait_until
from webforms.services import webform_save
from webhooks.models import EventType
from webhooks.tasks import deliver_webhooks

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EVENTS = [EventType.LEAD_CREATED, EventType.HANDOFF_CREATED, EventType.HANDOFF_ACCEPTED, EventType.HANDOFF_REJECTED]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def routed(cast, reasons):
    """Signed by both leaders: a lead with a known company size is sales-ready, and every lead
    goes automatically to the Enterprise team. (After `reasons`: a version agrees to the
    rejection reasons in the catalogue when it is drafted, which a transactional test before
    this one may have emptied.)"""
    draft = alignment_services.definition_create(by=cast.marketer, name="Routed live")
    alignment_services.definition_update(
        definition=draft,
        by=cast.marketer,
        fields={"ready_grades": "A", "ready_buckets": "hot,warm,cold,unqualified", "grade_a_min": 50},
    )
    FieldRule.objects.create(definition=draft, field="employees", test="band", minimum=1, points=100)
    RoutingRule.objects.create(definition=draft, position=1, name="Everyone", team=cast.team)
    alignment_services.definition_propose(definition=draft, by=cast.marketer)
    alignment_services.definition_approve(definition=draft, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=draft, by=cast.vp, side="sales")


def test_a_form_post_and_an_api_call_are_routed_and_the_reps_decisions_reach_the_receiver_signed(
    redis_broker, cast, routed, subscribe, receiver, reasons, mailoutbox
):
    _, secret = subscribe(events=EVENTS)
    form = webform_save(
        by=cast.marketer,
        name="Contact us",
        fields=["full_name", "email", "company", "employees"],
        source=cast.source,
        campaign=None,
        thank_you_url="https://www.example.com/thanks",
        origins=["https://www.example.com"],
    )
    _, key = integration_create(name="Automation", scopes=list(Scope.values), default_source=cast.source)
    # Everything up to the reps' decisions happens in the requests' own transactions; the tasks
    # they queue on Redis (webhook kicks, emails) wait there for the worker started below. (With
    # the worker running alongside, SQLite's in-memory test database, unlike a real file with its
    # busy timeout, refuses a second writer at once.)
    posted = Client().post(
        f"/forms/{form.key}/",
        {"full_name": "Ada Lovelace", "email": "ada@engines.example", "company": "Engines", "employees": "800"},
        HTTP_ORIGIN="https://www.example.com",
    )
    assert posted.status_code == 303
    answered = Client(HTTP_AUTHORIZATION=f"Api-Key {key}").post(
        "/api/v1/leads/",
        data=json.dumps(
            {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example", "employees": 5000}
        ),
        content_type="application/json",
    )
    assert answered.status_code == 201, answered.content
    body = answered.json()
    assert body["sales_ready"] is True and body["handoff"]["status"] == "pending"

    from_form = Handoff.objects.get(lead__email="ada@engines.example")
    from_api = Handoff.objects.get(pk=body["handoff"]["id"])
    for handoff in (from_form, from_api):
        assert handoff.team == cast.team and handoff.handed_off_by is None  # Accord routed it
        assert Notification.objects.filter(recipient=handoff.assigned_to, link__contains="inbox").exists()
    # The two went to the two reps of the team, least-loaded first.
    assert {from_form.assigned_to, from_api.assigned_to} == {cast.rep, cast.teammate}

    accepting = Client()
    accepting.force_login(from_form.assigned_to)
    assert accepting.post(f"/inbox/{from_form.pk}/accept/").status_code == 302
    lead_services.handoff_reject(
        handoff=from_api, by=from_api.assigned_to, reason=reasons["duplicate"], note="We already talk to her."
    )
    assert receiver.received == [], "no webhook goes out before a worker runs"
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        wait_until(lambda: len(receiver.received) >= 6, what="the six deliveries")
    assert sorted(receiver.types()) == sorted(
        ["lead.created", "lead.created", "handoff.created", "handoff.created", "handoff.accepted", "handoff.rejected"]
    )
    verify = documented_verifier()
    for request in receiver.received:
        assert verify(secret, request.body, request.headers["Accord-Signature"])
    rejected = next(r.json for r in receiver.received if r.headers["Accord-Event-Type"] == "handoff.rejected")
    assert rejected["handoff"]["reason"]["code"] == "duplicate"
    assert {m.to[0] for m in mailoutbox} >= {from_form.assigned_to.email, from_api.assigned_to.email}


def test_with_the_broker_down_the_api_answers_and_its_webhook_follows_once_it_is_back(
    own_redis,
    cast,
    routed,
    subscribe,
    receiver,
):
    subscribe(events=[EventType.HANDOFF_CREATED])
    _, key = integration_create(name="Automation", scopes=list(Scope.values), default_source=cast.source)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        own_redis.stop()
        started = time.monotonic()
        answered = Client(HTTP_AUTHORIZATION=f"Api-Key {key}").post(
            "/api/v1/leads/",
            data=json.dumps({"email": "ada@engines.example", "employees": 800}),
            content_type="application/json",
        )
        assert answered.status_code == 201 and answered.json()["handoff"] is not None
        assert time.monotonic() - started < 10, "the outage held the API up"
        assert receiver.received == []
        own_redis.start()
        deliver_webhooks.apply_async()  # what the beat sends every 10 seconds
        wait_until(lambda: len(receiver.received) == 1, seconds=60, what="the delivery after Redis came back")
    assert receiver.types() == ["handoff.created"]
    assert Lead.objects.count() == 1
