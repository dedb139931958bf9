"""Celery for real: a worker consuming from a real Redis, and a broker outage that must not
fail a web request."""

import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from leads import services
from leads.models import Handoff
from tests.brokers import use_broker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_handoff_emails_the_rep_beside_a_real_worker(redis_broker, cast, make_lead, mailoutbox):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        handoff = services.handoff_create(lead=make_lead(last_name="Lovelace"), by=cast.marketer, rep=cast.rep)
        deadline = time.monotonic() + 20
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(mailoutbox) == 1, "the outbox did not deliver the email"
    message = mailoutbox[0]
    assert message.to == [cast.rep.email]
    assert "Lovelace" in message.subject
    assert handoff.accept_due_at.strftime("%Y-%m-%d") in message.body


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_does_not_fail_the_handoff_nor_hold_its_email(cast, make_lead, mailoutbox):
    previous = celery_app.conf.broker_url
    # Nothing listens on port 9 of loopback: an enqueue fails fast.
    use_broker("redis://127.0.0.1:9/0", max_retries=0)
    try:
        handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    finally:
        use_broker(previous)
    assert Handoff.objects.filter(pk=handoff.pk, status=Handoff.Status.PENDING).exists()
    assert [m.to for m in mailoutbox] == [[cast.rep.email]]  # the email needs no broker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_deactivating_a_rep_gets_their_leads_reassigned_by_a_real_worker(redis_broker, cast, handoff_to_rep):
    from leads.models import Lead

    handoff = handoff_to_rep()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        cast.rep.is_active = False
        cast.rep.save()  # commits: the reassignment task is enqueued on commit
        deadline = time.monotonic() + 20
        while Lead.objects.get(pk=handoff.lead_id).owner_id == cast.rep.pk and time.monotonic() < deadline:
            time.sleep(0.1)
    assert Lead.objects.get(pk=handoff.lead_id).owner == cast.teammate


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_at_deactivation_keeps_the_task_and_the_sweep_catches_up(cast, handoff_to_rep, caplog):
    from leads.models import Lead
    from leads.tasks import reassign_departed_staff
    from outbox.models import OutboxMessage

    handoff = handoff_to_rep()
    previous = celery_app.conf.broker_url
    use_broker("redis://127.0.0.1:9/0", max_retries=0)
    try:
        with caplog.at_level(logging.WARNING, logger="outbox.services"):
            cast.rep.is_active = False
            cast.rep.save()
    finally:
        use_broker(previous)
    assert "not sent" in caplog.text
    message = OutboxMessage.objects.get(payload__task="leads.tasks.reassign_leads_of_person")
    assert (message.payload["args"], message.sent_at, message.attempts) == ([cast.rep.pk], None, 1)
    cast.rep.refresh_from_db()
    assert not cast.rep.is_active, "the deactivation itself is saved"
    assert Lead.objects.get(pk=handoff.lead_id).owner == cast.rep
    reassign_departed_staff()  # what the hourly sweep runs
    assert Lead.objects.get(pk=handoff.lead_id).owner == cast.teammate
