"""The outbox on its own: rows written with the change, sent after commit, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.celery import app as celery_app
from outbox import services
from outbox.models import OutboxMessage
from outbox.tasks import relay_unsent
from tests.brokers import use_broker

pytestmark = pytest.mark.django_db


def email(key="minutes:1:2", to="ada@example.test"):
    return services.enqueue_email(key=key, to=to, subject="Minutes", body="Ada, here are the minutes.")


def test_it_sends_an_email_only_after_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email()
        assert mail.outbox == []
        assert OutboxMessage.objects.get().sent_at is None
    assert [m.to for m in mail.outbox] == [["ada@example.test"]]
    message = OutboxMessage.objects.get()
    assert (message.sent_at is not None, message.attempts, message.claimed_until) == (True, 1, None)
    assert mail.outbox[0].extra_headers["Message-ID"] == message.payload["headers"]["Message-ID"]


def test_a_rolled_back_change_writes_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                email()
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert (callbacks, OutboxMessage.objects.count(), mail.outbox) == ([], 0, [])


def test_a_key_written_twice_is_one_message_sent_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email()
    with django_capture_on_commit_callbacks(execute=True):
        email()  # a retried change
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    assert services.relay_due(now=timezone.now() + timedelta(hours=1)) == {"sent": 0, "failed": 0, "unsent": 0}


def test_a_message_another_relay_holds_is_not_sent_again():
    email()
    message = OutboxMessage.objects.get()
    assert services._claim(message, now=None)  # another relay, sending it right now
    assert services.relay(keys=[message.key]) == 0
    assert services.relay_due()["sent"] == 0
    assert mail.outbox == []
    later = timezone.now() + services.CLAIM_FOR + timedelta(seconds=1)
    assert services.relay_due(now=later)["sent"] == 1  # that relay died: its claim expired
    assert len(mail.outbox) == 1


def test_a_mail_server_outage_keeps_the_email_and_backs_off(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False  # nothing listens
    email()
    assert services.relay_due() == {"sent": 0, "failed": 1, "unsent": 1}
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "Connection refused" in message.last_error or "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert services.relay_due()["failed"] == 0  # not due yet

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.relay_due(now=message.next_attempt_at)["sent"] == 1
    assert len(mail.outbox) == 1


def test_the_back_off_doubles_up_to_a_quarter_of_an_hour(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    email()
    waits = []
    moment = timezone.now()
    for _ in range(6):
        services.relay_due(now=moment)
        message = OutboxMessage.objects.get()
        waits.append(round((message.next_attempt_at - moment).total_seconds() / 60))
        moment = message.next_attempt_at
    assert waits == [1, 2, 4, 8, 15, 15]


def test_a_broker_outage_keeps_the_task_and_the_replay_sends_it():
    previous = celery_app.conf.broker_url
    use_broker("redis://127.0.0.1:9/0", max_retries=0)  # nothing listens there
    try:
        key = services.enqueue_task(task="leads.tasks.reassign_departed_staff")
        assert services.relay(keys=[key]) == 0
    finally:
        use_broker(previous)
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert relay_unsent.apply(kwargs={}).get() == {"sent": 0, "failed": 0, "unsent": 1}  # backing off
    assert services.relay_due(now=message.next_attempt_at)["sent"] == 1
    assert OutboxMessage.objects.get().sent_at is not None


def test_after_a_failure_the_relay_on_commit_leaves_that_channel_to_the_replay(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    email(key="first")
    assert services.relay(keys=["first"], on_commit=True) == 0
    email(key="second")
    assert services.relay(keys=["second"], on_commit=True) == 0
    assert OutboxMessage.objects.get(key="second").attempts == 0  # not even tried: the server is down
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.relay_due(now=timezone.now() + timedelta(minutes=2))["sent"] == 2


def test_the_replay_runs_every_minute():
    task = PeriodicTask.objects.get(task="outbox.tasks.relay_unsent")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "minutes")


@pytest.mark.parametrize(
    ("who", "status"),
    [("cmo", 200), ("vp", 200), ("marketer", 403), ("manager", 403), ("rep", 403)],
)
def test_only_superusers_and_leaders_see_the_outbox_in_the_admin(cast, who, status):
    email()
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get("/admin/outbox/outboxmessage/").status_code == status


def test_the_outbox_admin_is_read_only(cast, admin_client):
    email()
    message = OutboxMessage.objects.get()
    page = admin_client.get("/admin/outbox/outboxmessage/?sent_at__isempty=1")
    assert page.status_code == 200 and message.key in page.content.decode()
    assert admin_client.get("/admin/outbox/outboxmessage/add/").status_code == 403
    response = admin_client.post(f"/admin/outbox/outboxmessage/{message.pk}/change/", {"key": "changed"})
    assert response.status_code == 403
    assert OutboxMessage.objects.get().key == message.key


def test_a_transaction_that_writes_thousands_of_emails_sends_them_all(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        written = services.enqueue_emails(
            messages=[(f"reminder:{n}", f"rep{n}@example.test", "Overdue", "Please call back.") for n in range(1200)]
        )
    assert written == 1200
    assert len(mail.outbox) == 1200
    assert not services.unsent().exists()
