"""Sending: signed as documented, retried with backoff after a failure, failed and told after
24 hours, paused after failures in a row, in order per lead, and sent again by hand."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from leads import services
from leads.models import Notification
from tests.webhooks.steps import run_webhooks
from webhooks import services as webhooks
from webhooks.models import Delivery, DeliveryAttempt, EventType, Subscription

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_verifier():
    """The ten lines of Python the README gives receivers."""
    code = re.search(r"<!-- verifier -->\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 11, "the README promises about ten lines"
    scope: dict = {}
    exec(code, scope)
    return scope["verify"]


def test_the_receiver_verifies_the_signature_with_the_documented_code(cast, subscribe, receiver, make_lead):
    _subscription, secret = subscribe()
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    (request,) = receiver.received
    verify = documented_verifier()
    header = request.headers["Accord-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(secret, request.body, header)
    assert not verify(secret, request.body + b" ", header), "a changed body fails"
    assert not verify("whsec_wrong", request.body, header)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert not verify(secret, request.body, header), "a replay after the tolerance fails"
    assert request.headers["Accord-Event-Id"] == request.json["id"]
    assert request.headers["Content-Type"] == "application/json"


def test_a_500_is_retried_with_backoff_until_a_200(cast, subscribe, receiver, make_lead):
    subscribe(events=[EventType.HANDOFF_CREATED])
    receiver.answers.extend([500, 500])
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert run_webhooks()["retrying"] == 1
        delivery = Delivery.objects.get()
        first_wait = delivery.next_attempt_at - start
        assert timedelta(seconds=7) <= first_wait <= timedelta(seconds=15)
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
        assert run_webhooks() == {"dispatched": 0, "delivered": 0, "retrying": 0, "failed": 0}, "not due yet"
        clock.move_to(delivery.next_attempt_at)
        assert run_webhooks()["retrying"] == 1
        delivery.refresh_from_db()
        second_wait = delivery.next_attempt_at - timezone.now()
        assert timedelta(seconds=15) <= second_wait <= timedelta(seconds=30), "the wait doubles"
        clock.move_to(delivery.next_attempt_at)
        assert run_webhooks()["delivered"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    assert [a.status_code for a in delivery.log.order_by("at", "id")] == [500, 500, 200]
    assert all(a.duration_ms is not None for a in delivery.log.all())
    assert "receiver is down" in delivery.log.order_by("id").first().response_excerpt
    assert len({r.headers["Accord-Event-Id"] for r in receiver.received}) == 1, "one event id for every attempt"


def test_a_delivery_failing_for_24_hours_is_failed_and_its_owner_and_the_marketing_leaders_told(
    cast, subscribe, receiver, make_lead, settings
):
    subscription, _ = subscribe(events=[EventType.HANDOFF_CREATED])
    receiver.answers.extend([503] * 100)
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        run_webhooks()
        attempts = 1
        while Delivery.objects.get().status == Delivery.Status.PENDING:
            clock.move_to(Delivery.objects.get().next_attempt_at)
            run_webhooks()
            attempts += 1
            assert attempts < 60
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == attempts == len(receiver.received)
    last = delivery.log.order_by("-at").first().at
    assert last - start == timedelta(hours=settings.ACCORD_WEBHOOKS_RETRY_HOURS), "the last try ends the window"
    told = Notification.objects.filter(kind=Notification.Kind.WEBHOOK).values_list("recipient__username", flat=True)
    assert sorted(told) == ["cmo", "marketer"]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.consecutive_failures) == ("active", 1)


def test_failures_in_a_row_pause_the_subscription_and_tell_marketing_ops(
    cast, subscribe, receiver, make_lead, settings
):
    settings.ACCORD_WEBHOOKS_PAUSE_AFTER = 3
    settings.ACCORD_WEBHOOKS_RETRY_HOURS = 1
    subscription, _ = subscribe(events=[EventType.HANDOFF_CREATED])
    receiver.answers.extend([500] * 1000)
    for _ in range(4):
        services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        run_webhooks()
        for minutes in range(0, 70, 5):
            clock.move_to(start + timedelta(minutes=minutes))
            run_webhooks()
        clock.move_to(start + timedelta(hours=1, minutes=1))
        run_webhooks()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    assert subscription.consecutive_failures >= 3
    assert "in a row" in subscription.paused_reason
    paused_notes = Notification.objects.filter(kind=Notification.Kind.WEBHOOK, message__contains="is paused")
    assert sorted(paused_notes.values_list("recipient__username", flat=True)) == ["cmo", "marketer"]
    before = len(receiver.received)
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks(now=timezone.now() + timedelta(hours=3))
    assert len(receiver.received) == before, "a paused subscription is sent nothing"

    receiver.answers.clear()
    assert webhooks.subscription_resume(subscription=subscription, by=cast.marketer)
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
    run_webhooks(now=timezone.now() + timedelta(hours=3))
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == pending
    subscription.refresh_from_db()
    assert (subscription.status, subscription.consecutive_failures) == ("active", 0)


def test_a_leads_events_go_out_in_order_even_when_one_is_retried(
    cast, subscribe, receiver, make_lead, reasons, settings
):
    settings.ACCORD_WEBHOOKS_CONCURRENCY = 1  # one request at a time: the first to arrive is the first lead's
    subscribe()
    first, second = make_lead(last_name="First"), make_lead(last_name="Second")
    receiver.answers.append(500)  # the first request: the first lead's hand-off
    one = services.handoff_create(lead=first, by=cast.marketer, rep=cast.rep)
    services.handoff_accept(handoff=one, by=cast.rep)
    two = services.handoff_create(lead=second, by=cast.marketer, rep=cast.rep)
    services.handoff_accept(handoff=two, by=cast.rep)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            run_webhooks()
        # The second lead's events went; the first lead's acceptance waits behind its retry.
        assert [(r.json["lead"]["id"], r.json["type"]) for r in receiver.received] == [
            (first.pk, "handoff.created"),
            (second.pk, "handoff.created"),
            (second.pk, "handoff.accepted"),
        ]
        clock.move_to(start + timedelta(minutes=1))
        for _ in range(2):
            run_webhooks()
    of_first = [r.json["type"] for r in receiver.received if r.json["lead"]["id"] == first.pk]
    assert of_first == ["handoff.created", "handoff.created", "handoff.accepted"]


def test_send_again_requeues_a_delivered_delivery_and_logs_who_asked(cast, subscribe, receiver, make_lead):
    subscribe(events=[EventType.HANDOFF_CREATED])
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    assert webhooks.deliveries_resend(deliveries=Delivery.objects.all(), by=cast.cmo) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.first_attempt_at) == ("pending", None)
    assert delivery.log.filter(kind=DeliveryAttempt.Kind.REQUEUED, by=cast.cmo).exists()
    assert webhooks.deliveries_resend(deliveries=Delivery.objects.all(), by=cast.cmo) == 0, "pending stays"
    run_webhooks()
    assert len(receiver.received) == 2
    assert receiver.received[0].json == receiver.received[1].json
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_only_marketing_manages_subscriptions(cast, receiver):
    from alignment.exceptions import NotAllowed

    with pytest.raises(NotAllowed):
        webhooks.subscription_create(by=cast.vp, name="x", url=receiver.url(), events=[EventType.LEAD_WON])


def test_internal_addresses_are_refused_unless_allowed(cast, settings):
    from django.core.exceptions import ValidationError

    settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "ftp://x.example/",
    ):
        with pytest.raises(ValidationError):
            webhooks.subscription_create(by=cast.marketer, name="x", url=url, events=[EventType.LEAD_WON])


def test_a_subscription_allowed_once_is_refused_at_send_time_when_it_points_inside(
    cast, subscribe, receiver, make_lead, settings
):
    subscribe(events=[EventType.HANDOFF_CREATED])
    settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE = False
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    assert receiver.received == []
    assert "internal address" in Delivery.objects.get().last_error


def test_a_bad_event_type_is_refused(cast, receiver):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        webhooks.subscription_create(by=cast.marketer, name="x", url=receiver.url(), events=["lead.exploded"])
    with pytest.raises(ValidationError):
        webhooks.subscription_create(by=cast.marketer, name="x", url=receiver.url(), events=[])


def test_a_rotated_secret_signs_from_then_on(cast, subscribe, receiver, make_lead):
    subscription, old = subscribe(events=[EventType.HANDOFF_CREATED])
    new = webhooks.subscription_rotate_secret(subscription=subscription, by=cast.marketer)
    assert new != old and new.startswith("whsec_")
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    verify = documented_verifier()
    (request,) = receiver.received
    assert verify(new, request.body, request.headers["Accord-Signature"])
    assert not verify(old, request.body, request.headers["Accord-Signature"])


def test_a_transaction_kicks_the_delivery_task_once_after_commit(cast, make_lead, django_capture_on_commit_callbacks):
    from django.db import transaction

    from webhooks import services as webhook_services

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
        services.handoff_accept(handoff=handoff, by=cast.rep)
    assert [c for c in callbacks if c is webhook_services._publish] == [webhook_services._publish]
