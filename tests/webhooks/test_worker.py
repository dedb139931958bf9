"""Webhooks through Celery for real: a worker on Redis delivers what a change kicks, and what is
written while the broker is down goes out once it is back, by the periodic run."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from config.celery import app as celery_app
from leads import services
from webhooks.models import Delivery, EventType
from webhooks.tasks import deliver_webhooks


def wait_until(condition, seconds: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def _no_kick_pending():
    cache.clear()  # a kick coalesced or paused by an earlier test must not hold this one
    yield
    cache.clear()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_what_a_handoff_kicks(redis_broker, cast, make_lead, subscribe, receiver):
    subscribe(events=[EventType.HANDOFF_CREATED, EventType.HANDOFF_ACCEPTED])
    lead = make_lead()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)  # commits: kicks
        services.handoff_accept(handoff=handoff, by=cast.rep)
        wait_until(lambda: len(receiver.received) == 2, what="both deliveries")
    assert receiver.types() == ["handoff.created", "handoff.accepted"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_events_written_while_the_broker_is_down_go_out_once_it_is_back(
    own_redis, cast, make_lead, subscribe, receiver
):
    from django_celery_beat.models import PeriodicTask

    schedule = PeriodicTask.objects.filter(task="webhooks.tasks.deliver_webhooks").select_related("interval").first()
    if schedule is None:  # a transactional test's flush removed the data migration's rows
        import importlib

        from django.apps import apps

        importlib.import_module("webhooks.migrations.0002_delivery_schedule").schedule(apps, None)
        schedule = PeriodicTask.objects.select_related("interval").get(task="webhooks.tasks.deliver_webhooks")
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (10, "seconds", True)

    subscribe(events=[EventType.HANDOFF_CREATED])
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        own_redis.stop()
        started = time.monotonic()
        for _ in range(3):
            services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)  # each kick fails
        assert time.monotonic() - started < 10, "the broker outage held up the hand-offs"
        assert receiver.received == [] and not Delivery.objects.exists(), "nothing went while it was down"

        own_redis.start()
        deliver_webhooks.apply_async()  # what the beat sends every 10 seconds
        wait_until(lambda: len(receiver.received) == 3, seconds=60, what="the deliveries after Redis came back")
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 3
    assert len({r.headers["Accord-Event-Id"] for r in receiver.received}) == 3
