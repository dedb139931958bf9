"""The webhook pages of the admin: adding a subscription shows its secret once, the actions go
through the services, the delivery log shows every attempt, and every page runs the same number
of queries however many rows it lists."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leads import services
from tests.webhooks.steps import run_webhooks
from webhooks.models import Delivery, DeliveryAttempt, EventType, Subscription

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_adding_a_subscription_shows_its_secret_once(cast, receiver):
    client = client_for(cast.marketer)
    response = client.post(
        "/admin/webhooks/subscription/add/",
        {"name": "Automation", "url": receiver.url(), "events": [EventType.LEAD_WON, EventType.LEAD_LOST]},
        follow=True,
    )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.created_by == cast.marketer
    assert subscription.events == ["lead.won", "lead.lost"]
    assert subscription.secret in response.content.decode()
    page = client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/").content.decode()
    assert subscription.secret not in page and subscription.secret_hint in page


def test_a_url_inside_the_network_is_refused_on_the_form(cast, settings):
    settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE = False
    response = client_for(cast.marketer).post(
        "/admin/webhooks/subscription/add/",
        {"name": "Internal", "url": "http://127.0.0.1:8000/", "events": [EventType.LEAD_WON]},
    )
    assert response.status_code == 200
    assert "internal address" in response.content.decode()
    assert not Subscription.objects.exists()


def test_bad_input_on_the_form_is_an_error_not_a_500(cast):
    response = client_for(cast.marketer).post(
        "/admin/webhooks/subscription/add/", {"name": "x" * 500, "url": "javascript:alert(1)", "events": ["nope"]}
    )
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_pause_resume_and_rotate_actions(cast, subscribe):
    subscription, secret = subscribe()
    client = client_for(cast.cmo)
    url = "/admin/webhooks/subscription/"
    client.post(url, {"action": "pause_selected", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    client.post(url, {"action": "resume_selected", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    response = client.post(url, {"action": "rotate_secret", "_selected_action": [subscription.pk]}, follow=True)
    subscription.refresh_from_db()
    assert subscription.secret != secret and subscription.secret in response.content.decode()


def test_the_delivery_page_shows_every_attempt_and_send_again_requeues(cast, subscribe, receiver, make_lead):
    subscribe(events=[EventType.HANDOFF_CREATED])
    receiver.answers.append(500)
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)
    client = client_for(cast.marketer)
    page = client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "Delivery log" in page and "500" in page and "receiver is down" in page
    client.post("/admin/webhooks/delivery/", {"action": "send_again", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert DeliveryAttempt.objects.filter(delivery=delivery, kind=DeliveryAttempt.Kind.REQUEUED).count() == 1


def test_sales_cannot_send_again(cast, subscribe, make_lead):
    subscribe(events=[EventType.HANDOFF_CREATED])
    services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
    run_webhooks()
    Delivery.objects.update(status=Delivery.Status.FAILED)
    response = client_for(cast.vp).post(
        "/admin/webhooks/delivery/", {"action": "send_again", "_selected_action": [Delivery.objects.get().pk]}
    )
    assert response.status_code == 403
    assert Delivery.objects.get().status == Delivery.Status.FAILED


def add_deliveries(subscriptions, n):
    from django.utils import timezone

    now = timezone.now()
    start = Delivery.objects.count()
    rows = [
        Delivery(
            subscription=subscriptions[i % len(subscriptions)],
            event_id=f"evt_{start + i}_lead_won",
            seq=start + i,
            type=EventType.LEAD_WON,
            lead_id=start + i,
            payload={},
            status=Delivery.Status.FAILED,
            next_attempt_at=now,
            created_at=now,
        )
        for i in range(n)
    ]
    made = Delivery.objects.bulk_create(rows)
    DeliveryAttempt.objects.bulk_create(
        [DeliveryAttempt(delivery=d, at=now, status_code=500, error="down") for d in made]
    )
    return made


def count_queries(user, url) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["subscriptions", "deliveries", "delivery"])
def test_query_counts_do_not_grow_with_rows(cast, subscribe, page):
    subscriptions = [subscribe(path=f"/{i}")[0] for i in range(3)]
    first = add_deliveries(subscriptions, 10)[0]
    url = {
        "subscriptions": "/admin/webhooks/subscription/",
        "deliveries": "/admin/webhooks/delivery/",
        "delivery": f"/admin/webhooks/delivery/{first.pk}/change/",
    }[page]
    few = count_queries(cast.cmo, url)
    subscriptions += [subscribe(path=f"/more/{i}")[0] for i in range(10)]
    add_deliveries(subscriptions, 500)
    DeliveryAttempt.objects.bulk_create(
        [DeliveryAttempt(delivery=first, at=first.created_at, status_code=500) for _ in range(30)]
    )
    many = count_queries(cast.cmo, url)
    assert few == many, f"{url}: {few} queries, then {many}"
    assert many <= 12
