"""Outages for real: a Redis of the test's own stopped under a running worker, and an SMTP server
on loopback stopped and started again. What is made meanwhile goes out once they are back, once."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import FieldRule
from config.celery import app as celery_app
from leads import services as lead_services
from leads.demo import ensure_demo_definition
from leads.models import EvaluationRun, Lead
from outbox import services as outbox
from outbox.models import OutboxMessage
from reviews import services as review_services
from reviews.models import Outcome, ReviewMeeting
from reviews.services import ItemOutcome
from tests.reviews import steps

LATER = timedelta(minutes=16)  # past every back-off


def wait_until(condition, seconds: float = 60, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def hand_off(cast, lead, rep):
    # Sales-ready or not under the active version: these tests are about what is sent.
    return lead_services.handoff_create(
        lead=lead, by=cast.marketer, rep=rep, override=True, override_reason="Asked for a call"
    )


def accepted(cast, make_lead, rep, **fields) -> Lead:
    handoff = hand_off(cast, make_lead(**fields), rep)
    lead_services.handoff_accept(handoff=handoff, by=rep)
    return Lead.objects.get(pk=handoff.lead_id)


def meeting_with_outcome(cast, make_lead) -> ReviewMeeting:
    mine = accepted(cast, make_lead, cast.rep, last_name="Lovelace")
    accepted(cast, make_lead, cast.teammate, last_name="Hopper")
    meeting = review_services.review_meeting_open(team=cast.team, by=cast.manager)
    steps.item_record(
        item=meeting.items.get(lead=mine), by=cast.manager, outcome=ItemOutcome(outcome=Outcome.PROGRESSING)
    )
    return meeting


def activate(definition, cast):
    alignment_services.definition_propose(definition=definition, by=cast.marketer)
    alignment_services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=definition, by=cast.vp, side="sales")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_what_is_made_while_redis_is_down_goes_out_once_it_is_back(own_redis, cast, make_lead, mailoutbox):
    active = ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
    meeting = meeting_with_outcome(cast, make_lead)
    draft = alignment_services.definition_create(by=cast.marketer, name="Take two", based_on=active)
    FieldRule.objects.filter(definition=draft, field="seniority").update(points=0)
    lead = make_lead(last_name="Turing")

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        wait_until(
            lambda: not EvaluationRun.objects.exclude(status=EvaluationRun.Status.FINISHED).exists(),
            what="the first version's re-evaluation",
        )
        wait_until(
            lambda: (
                any(m.subject.startswith("Leads re-evaluated") for m in mailoutbox) and not outbox.unsent().exists()
            ),
            seconds=10,
            what="the first version's emails",
        )
        mailoutbox.clear()

        own_redis.stop()
        started = time.monotonic()
        handoff = hand_off(cast, lead, cast.rep)
        definition = activate(draft, cast)
        review_services.review_meeting_close(meeting=meeting, by=cast.manager)
        assert time.monotonic() - started < 10, "the broker outage held up the requests"

        run = EvaluationRun.objects.get(definition=definition)
        assert (run.status, run.done) == (EvaluationRun.Status.RUNNING, 0)
        waiting = outbox.unsent()
        assert [m.payload for m in waiting] == [
            {"task": "leads.tasks.reevaluate_leads", "args": [run.pk], "kwargs": {}}
        ], "only the task waits: emails need no broker"
        assert "Error" in waiting.get().last_error

        own_redis.start()
        assert outbox.relay_due(now=timezone.now() + LATER)["sent"] == 1
        wait_until(
            lambda: EvaluationRun.objects.get(pk=run.pk).status == EvaluationRun.Status.FINISHED,
            what="the re-evaluation after Redis came back",
        )
        wait_until(lambda: not outbox.unsent().exists(), seconds=10, what="the activator's email")
        assert outbox.relay_due(now=timezone.now() + LATER) == {"sent": 0, "failed": 0, "unsent": 0}

    assert set(Lead.objects.values_list("evaluated_with", flat=True)) == {definition.pk}
    emails = [(message.to[0], message.subject.split(":")[0]) for message in mailoutbox]
    assert sorted(emails) == sorted(
        [
            (cast.rep.email, "New lead for you"),  # the hand-off
            (cast.cmo.email, "Please review"),  # the proposal, to both leaders
            (cast.vp.email, "Please review"),
            (cast.manager.email, "Minutes"),  # the minutes, to the manager and both reps
            (cast.rep.email, "Minutes"),
            (cast.teammate.email, "Minutes"),
            (cast.vp.email, "Leads re-evaluated against qualified-lead definition v2 Take two"),
        ]
    ), "every email exactly once"
    assert handoff.pk and OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_mail_made_while_the_mail_server_is_down_goes_out_once_it_is_back(smtp_server, cast, make_lead):
    meeting = meeting_with_outcome(cast, make_lead)
    before = len(smtp_server.received)
    lead = make_lead(last_name="Turing")

    smtp_server.stop()
    started = time.monotonic()
    hand_off(cast, lead, cast.rep)
    review_services.review_meeting_close(meeting=meeting, by=cast.manager)
    assert time.monotonic() - started < 10, "the mail server outage held up the requests"
    assert outbox.unsent(kind=OutboxMessage.Kind.EMAIL).count() == 4  # one hand-off, three minutes

    smtp_server.start()
    assert outbox.relay_due(now=timezone.now() + LATER)["sent"] == 4
    assert outbox.relay_due(now=timezone.now() + 2 * LATER)["sent"] == 0

    received = smtp_server.received[before:]
    assert len(received) == 4
    assert len(smtp_server.to(cast.rep.email, "New lead for you: ", since=before)) == 1
    for person in (cast.manager, cast.rep, cast.teammate):
        assert len(smtp_server.to(person.email, "Minutes: ", since=before)) == 1
    assert len({message.message_id for message in received}) == 4


@pytest.mark.django_db(transaction=True)
def test_a_refused_recipient_is_retried_alone(smtp_server, cast, make_lead):
    meeting = meeting_with_outcome(cast, make_lead)
    smtp_server.handler.refuse = {cast.teammate.email}

    review_services.review_meeting_close(meeting=meeting, by=cast.manager)
    assert len(smtp_server.to(cast.manager.email, "Minutes: ")) == 1
    assert len(smtp_server.to(cast.rep.email, "Minutes: ")) == 1
    refused = outbox.unsent().get()
    assert refused.key == f"minutes:{meeting.pk}:{cast.teammate.pk}"
    assert "SMTPRecipientsRefused" in refused.last_error

    smtp_server.handler.refuse = set()
    assert outbox.relay_due(now=timezone.now() + LATER)["sent"] == 1
    for person in (cast.manager, cast.rep, cast.teammate):
        assert len(smtp_server.to(person.email, "Minutes: ")) == 1, person


@pytest.mark.django_db(transaction=True)
def test_an_address_still_refused_after_the_give_up_time_is_given_up(smtp_server, cast, make_lead, settings):
    """Refused again and again (an address that no longer exists), the email is retried with
    backoff, then given up once it is ACCORD_OUTBOX_GIVE_UP_HOURS old: logged, in the admin, and
    no longer tried."""
    meeting = meeting_with_outcome(cast, make_lead)
    smtp_server.handler.refuse = {cast.teammate.email}
    review_services.review_meeting_close(meeting=meeting, by=cast.manager)
    refused = outbox.unsent().get()
    assert refused.given_up_at is None

    later = timezone.now() + timedelta(hours=settings.ACCORD_OUTBOX_GIVE_UP_HOURS - 1)
    assert outbox.relay_due(now=later)["failed"] == 1
    assert outbox.unsent().get().given_up_at is None  # still within the time: retried

    past = timezone.now() + timedelta(hours=settings.ACCORD_OUTBOX_GIVE_UP_HOURS, minutes=30)
    assert outbox.relay_due(now=past) == {"sent": 0, "failed": 1, "unsent": 0}
    refused.refresh_from_db()
    assert refused.given_up_at is not None and "SMTPRecipientsRefused" in refused.last_error
    attempts = refused.attempts
    smtp_server.handler.refuse = set()
    assert outbox.relay_due(now=past + timedelta(days=1))["sent"] == 0
    refused.refresh_from_db()
    assert refused.attempts == attempts and refused.sent_at is None
