"""The lead page's history reads in sentences with people's full names, for every kind of event,
and resolves the names of a page's events in a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads import selectors, services
from leads.models import Handoff, LeadEvent, Stage
from leads.timeline import SENTENCES, timeline

pytestmark = pytest.mark.django_db

# Details as each writer stores them (leads.services, sweeps, routing, imports, reviews, merges).
DETAILS = {
    LeadEvent.Kind.CREATED: {},
    LeadEvent.Kind.UPDATED: {"changes": {"company": ["Old", "New"], "employees": ["", "40"]}},
    LeadEvent.Kind.STAGE_CHANGED: {"note": "Signed"},
    LeadEvent.Kind.HANDED_OFF: {"handoff": 1, "assigned_to": "rep", "team": "Enterprise", "note": ""},
    LeadEvent.Kind.ACCEPTED: {"handoff": 1},
    LeadEvent.Kind.REJECTED: {
        "reason": "not-now",
        "reason_label": "Not now",
        "disposition": "recycle",
        "handoff": 1,
        "note": "",
    },
    LeadEvent.Kind.TOUCHED: {"touch": 1, "kind": "call", "result": "no_answer", "note": ""},
    LeadEvent.Kind.REASSIGNED: {"from": "rep", "to": "teammate", "reason": "holiday cover"},
    LeadEvent.Kind.INHERITED: {"from": "rep", "to": "teammate", "reason": "departed: rep was deactivated"},
    LeadEvent.Kind.GIVEN_UP: {
        "reason": "no-budget",
        "reason_label": "No budget",
        "disposition": "recycle",
        "note": "Next year",
    },
    LeadEvent.Kind.EXPIRED: {"reason": "accept time ran out"},
    LeadEvent.Kind.RETURNED: {"reason": "departed: nobody left in the team"},
    LeadEvent.Kind.REVIEWED: {
        "meeting": 3,
        "week": "2026-W48",
        "outcome": "progressing",
        "reason": "",
        "reassigned_to": "",
        "next_step": "Send the proposal",
        "next_step_due": "2026-12-04",
        "note": "",
    },
    LeadEvent.Kind.ACTIVITY: {"activity": 1, "kind": "demo_request", "note": ""},
    LeadEvent.Kind.IMPORTED: {"file": "leads.csv", "row": 12, "import": 5, "changes": {"title": ["", "CTO"]}},
    LeadEvent.Kind.MERGED: {"merged_lead": 9, "merged_name": "Ada L.", "moved": {}, "filled": {}},
    LeadEvent.Kind.SALES_READY: {"version": 1},
    LeadEvent.Kind.ROUTED: {"rule": "DACH", "rule_id": 1, "team": "Enterprise", "team_id": 1, "rep": "rep"},
}
RAW = re.compile(r"\b(reason_label|disposition|assigned_to|handoff|rule_id|team_id|merged_lead)\b|[a-z]+_[a-z]+:")


def test_every_kind_of_event_has_a_sentence():
    assert set(SENTENCES) == set(LeadEvent.Kind.values) == set(DETAILS)


@pytest.mark.parametrize("kind", LeadEvent.Kind.values)
def test_each_kind_reads_as_a_sentence_without_raw_keys_or_usernames(cast, make_lead, kind):
    lead = make_lead()
    cast.marketer.first_name, cast.marketer.last_name = "Milo", "Kent"
    cast.marketer.save()
    event = services.lead_event_record(lead=lead, kind=kind, actor=cast.marketer, details=DETAILS[kind])
    (entry,) = timeline([event], viewer=cast.cmo)
    assert entry.sentence.endswith(".")
    assert not RAW.search(entry.sentence), entry.sentence
    # Usernames in the details are shown as the person's full name.
    for username in ("rep", "teammate"):
        assert not re.search(rf"\b{username}\b", entry.sentence), entry.sentence


def test_the_hand_off_and_the_decisions_read_as_sentences(cast, handoff_to_rep, reasons):
    cast.marketer.first_name, cast.marketer.last_name = "Clara", "Moreau"
    cast.marketer.save()
    cast.rep.first_name, cast.rep.last_name = "Ravi", "Shah"
    cast.rep.save()
    handoff = handoff_to_rep(first_name="Ada")
    Handoff.objects.filter(pk=handoff.pk).update(grade="A", bucket="hot")
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
    again = services.handoff_create(lead=handoff.lead, by=cast.marketer, rep=cast.rep)
    services.handoff_accept(handoff=again, by=cast.rep)
    services.lead_give_up(lead=handoff.lead, by=cast.rep, reason=reasons["not-now"])
    handoffs = list(Handoff.objects.filter(lead=handoff.lead))
    entries = timeline(handoff.lead.events.order_by("-created_at", "-id"), handoffs=handoffs, viewer=cast.rep)
    sentences = [entry.sentence for entry in entries]
    assert "Clara Moreau handed this lead to Ravi Shah (Enterprise) as A · hot." in sentences
    assert "Ravi Shah rejected it: Bad contact data — back to nurture." in sentences
    assert "Ravi Shah accepted it." in sentences
    assert "Ravi Shah gave it up after working it: Not now — back to nurture." in sentences
    handed = [entry.link for entry in entries if entry.kind == LeadEvent.Kind.HANDED_OFF]
    assert handed == [f"#handoff-{again.pk}", f"#handoff-{handoff.pk}"]


def test_links_point_to_what_the_event_is_about(cast, make_lead):
    lead = make_lead()
    events = [
        services.lead_event_record(lead=lead, kind=kind, details=DETAILS[kind])
        for kind in (LeadEvent.Kind.REVIEWED, LeadEvent.Kind.MERGED, LeadEvent.Kind.IMPORTED)
    ]
    from alignment import services as alignment_services

    definition = alignment_services.definition_create(by=cast.marketer, name="Linked")
    services.lead_event_record(lead=lead, kind=LeadEvent.Kind.SALES_READY, details={"version": definition.version})
    events = list(selectors.lead_events(lead=lead))
    links = {entry.kind: entry.link for entry in timeline(events, viewer=cast.cmo)}
    assert links[LeadEvent.Kind.SALES_READY] == f"/definitions/{definition.pk}/"
    assert links[LeadEvent.Kind.REVIEWED] == "/reviews/3/"
    assert links[LeadEvent.Kind.MERGED] == "/leads/9/"
    assert links[LeadEvent.Kind.IMPORTED].endswith("/leads/leadimport/5/change/")
    # A rep cannot open the admin's import pages: no link is offered.
    rep_links = {entry.kind: entry.link for entry in timeline(events, viewer=cast.rep)}
    assert rep_links[LeadEvent.Kind.IMPORTED] == ""


def _lead_page_queries(user, lead) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    return len(queries)


def _add_history(lead, people, n):
    now = timezone.now()
    kinds = list(LeadEvent.Kind.values)
    LeadEvent.objects.bulk_create(
        LeadEvent(
            lead=lead,
            kind=kinds[i % len(kinds)],
            actor=people[i % len(people)],
            actor_name=people[i % len(people)].get_full_name(),
            created_at=now,
            details=DETAILS[kinds[i % len(kinds)]],
        )
        for i in range(n)
    )


def test_the_lead_page_reads_in_sentences_in_constant_queries(cast, handoff_to_rep):
    handoff = handoff_to_rep(first_name="Ada")
    services.handoff_accept(handoff=handoff, by=cast.rep)
    people = [cast.marketer, cast.rep, cast.teammate, cast.manager]
    _add_history(handoff.lead, people, 5)
    few = _lead_page_queries(cast.rep, handoff.lead)
    _add_history(handoff.lead, people, 200)
    many = _lead_page_queries(cast.rep, handoff.lead)
    assert few == many <= 10
    content = Client()
    content.force_login(cast.rep)
    page = content.get(f"/leads/{handoff.lead.pk}/").content.decode()
    assert "reason_label" not in page and "assigned_to" not in page
    assert f"handed this lead to {cast.rep.get_full_name()} (Enterprise)" in page
    assert Stage.ACCEPTED.label in page
