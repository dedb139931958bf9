"""Every webhook event type, made by the real service calls that change leads and hand-offs,
dispatched from the lead event log and delivered to a receiver on loopback."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads import services
from leads.demo import ensure_demo_definition
from leads.models import Handoff, LeadEvent, Stage
from leads.sweeps import sweep_overdue
from tests.webhooks.steps import run_webhooks
from webhooks import events
from webhooks.models import Delivery, EventType

pytestmark = pytest.mark.django_db


def delivered(receiver) -> list[tuple[str, int]]:
    return [(r.json["type"], r.json["lead"]["id"]) for r in receiver.received]


def test_a_created_lead_is_lead_created(cast, subscribe, receiver):
    subscribe()
    lead = services.lead_create(by=cast.marketer, source=cast.source, last_name="Lovelace", email="ada@x.example")
    run_webhooks()
    assert delivered(receiver) == [("lead.created", lead.pk)]
    body = receiver.received[0].json
    assert body["lead"]["email"] == "ada@x.example"
    assert body["lead"]["source"] == {"id": cast.source.pk, "name": cast.source.name}
    assert body["handoff"] is None
    assert body["id"] == f"evt_{lead.events.get().pk}_lead_created"


def test_a_handoff_accept_and_win(cast, subscribe, receiver, make_lead):
    subscribe()
    lead = make_lead(last_name="Hopper")
    handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    services.handoff_accept(handoff=handoff, by=cast.rep)
    services.lead_advance(lead=lead, by=cast.rep, to_stage=Stage.WON)
    run_webhooks()
    assert delivered(receiver) == [("handoff.created", lead.pk), ("handoff.accepted", lead.pk), ("lead.won", lead.pk)]
    created, _accepted, won = (r.json for r in receiver.received)
    assert created["handoff"]["id"] == handoff.pk
    assert created["handoff"]["rep"]["username"] == "rep"
    assert created["handoff"]["team"] == {"id": cast.team.pk, "name": "Enterprise"}
    assert won["lead"]["stage"] == "won" and won["handoff"]["status"] == "accepted"


def test_a_lost_lead(cast, subscribe, receiver, handoff_to_rep):
    handoff = handoff_to_rep()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    subscribe()
    services.lead_advance(lead=handoff.lead, by=cast.rep, to_stage=Stage.LOST)
    run_webhooks()
    assert delivered(receiver) == [("lead.lost", handoff.lead_id)]


def test_a_rejection_that_recycles_is_a_rejection_and_a_recycle(cast, subscribe, receiver, reasons, handoff_to_rep):
    handoff = handoff_to_rep()
    subscribe()
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"], note="Wrong number")
    run_webhooks()
    assert delivered(receiver) == [("handoff.rejected", handoff.lead_id), ("lead.recycled", handoff.lead_id)]
    rejected, recycled = (r.json for r in receiver.received)
    assert rejected["handoff"]["reason"]["code"] == "bad-contact-data"
    assert rejected["handoff"]["disposition"] == "recycle"
    assert recycled["lead"]["cycles"] == 1 and recycled["lead"]["stage"] == "nurturing"
    assert rejected["id"] != recycled["id"], "each webhook event has an id of its own"


def test_a_rejection_that_disqualifies(cast, subscribe, receiver, reasons, handoff_to_rep):
    disqualifying = reasons["not-our-profile"]
    handoff = handoff_to_rep()
    subscribe()
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=disqualifying)
    run_webhooks()
    assert delivered(receiver) == [("handoff.rejected", handoff.lead_id), ("lead.disqualified", handoff.lead_id)]
    assert receiver.received[1].json["handoff"]["disposition"] == "disqualify"


def test_giving_up_after_working_recycles(cast, subscribe, receiver, reasons, handoff_to_rep):
    recycling = reasons["not-now"]
    handoff = handoff_to_rep()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    subscribe()
    services.lead_give_up(lead=handoff.lead, by=cast.rep, reason=recycling)
    run_webhooks()
    assert delivered(receiver) == [("lead.recycled", handoff.lead_id)]
    assert receiver.received[0].json["handoff"]["reason"]["code"] == recycling.code


def test_an_expired_handoff(cast, subscribe, receiver, handoff_to_rep, settings):
    handoff = handoff_to_rep()
    subscribe()
    later = handoff.accept_due_at + timedelta(hours=settings.ACCORD_EXPIRE_AFTER_HOURS + 1)
    assert sweep_overdue(now=later)["expired"] == 1
    run_webhooks()
    assert delivered(receiver) == [("handoff.expired", handoff.lead_id)]
    body = receiver.received[0].json
    assert body["handoff"]["id"] == handoff.pk and body["handoff"]["status"] == Handoff.Status.EXPIRED
    assert body["lead"]["stage"] == "mql"


def test_an_import_that_creates_is_lead_created_and_one_that_updates_is_nothing(cast, subscribe, receiver):
    from leads.imports.services import leads_import

    subscribe()
    data = b"FirstName,LastName,Email,Company,LeadSource\nAda,Lovelace,ada@import.example,Engines,Web\n"
    leads_import(data=data, file_name="a.csv", by=cast.marketer, default_source=cast.source)
    leads_import(
        data=data.replace(b"Engines", b"Engines Ltd"), file_name="b.csv", by=cast.marketer, default_source=None
    )
    run_webhooks()
    assert receiver.types() == ["lead.created"]
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.IMPORTED).count() == 2


def test_becoming_sales_ready(cast, subscribe, receiver):
    ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
    subscribe(events=[EventType.LEAD_SALES_READY])
    lead = services.lead_create(
        by=cast.marketer, source=cast.source, last_name="Ready", email="r@x.example", title="Analyst", industry="Retail"
    )
    services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
    run_webhooks()
    assert delivered(receiver) == [("lead.sales_ready", lead.pk)]
    assert receiver.received[0].json["lead"]["sales_ready"] is True


def test_a_subscription_hears_only_its_events_and_its_sources(cast, subscribe, receiver, make_lead):
    from leads.models import Campaign
    from tests.factories import SourceFactory

    other = SourceFactory(name="Trade show")
    subscribe(events=[EventType.HANDOFF_CREATED], path="/shows", sources=[other])
    campaign = Campaign.objects.create(name="Spring webinar", source=cast.source)
    subscribe(events=[EventType.HANDOFF_CREATED, EventType.LEAD_CREATED], path="/campaign", campaigns=[campaign])
    from tests.factories import LeadFactory

    from_show = LeadFactory(source=other)
    in_campaign = make_lead(campaign=campaign)
    plain = make_lead()
    for lead in (from_show, in_campaign, plain):
        services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    run_webhooks()
    assert [(r.path, r.json["lead"]["id"]) for r in receiver.received if r.path == "/shows"] == [
        ("/shows", from_show.pk)
    ]
    assert [r.json["lead"]["id"] for r in receiver.received if r.path == "/campaign"] == [in_campaign.pk]


def test_the_mapping_table():
    K = LeadEvent.Kind
    assert events.event_types(kind=K.TOUCHED, from_stage="", to_stage="") == ()
    assert events.event_types(kind=K.IMPORTED, from_stage="", to_stage="") == ()
    assert events.event_types(kind=K.IMPORTED, from_stage="", to_stage=Stage.NEW) == (EventType.LEAD_CREATED,)
    assert events.event_types(kind=K.STAGE_CHANGED, from_stage=Stage.MQL, to_stage=Stage.NURTURING) == ()
    assert events.event_types(kind=K.STAGE_CHANGED, from_stage=Stage.LOST, to_stage=Stage.NURTURING) == (
        EventType.LEAD_RECYCLED,
    )
    assert events.event_types(kind=K.EXPIRED, from_stage=Stage.HANDED_OFF, to_stage=Stage.MQL) == (
        EventType.HANDOFF_EXPIRED,
    )
    assert events.event_types(kind=K.MERGED, from_stage=Stage.NEW, to_stage=Stage.MERGED) == ()


def test_dispatching_twice_delivers_once(cast, subscribe, receiver, make_lead):
    subscribe()
    subscribe(path="/second")
    handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    assert services_dispatch() == 2
    from webhooks.models import DispatchState

    DispatchState.objects.update(watermark=0)  # as if the log were read again from the start
    services_dispatch()
    run_webhooks()
    run_webhooks(now=timezone.now() + timedelta(hours=1))
    assert Delivery.objects.count() == 2
    assert sorted(r.path for r in receiver.received) == ["/hook", "/second"]
    ids = {r.headers["Accord-Event-Id"] for r in receiver.received}
    assert len(ids) == 1, "the same event keeps its id for every subscription"
    assert handoff.pk


def services_dispatch() -> int:
    from webhooks.services import deliveries_dispatch

    return deliveries_dispatch()
