"""Webhooks hear of lead events as soon as their transaction commits. The events themselves are
the durable record (webhooks.services reads the log), so a kick only saves waiting for the beat
(every 10 seconds): one task is published after each transaction that wrote lead events, however
many it wrote. (Not with a countdown to gather several transactions into one run: a worker
holding such a task across a Redis restart stops consuming.) When the broker is down a kick
fails fast, further kicks from this process are skipped for BROKER_PAUSE, and the beat's run
delivers the events once the broker is back."""

import logging

from django.core.cache import cache
from django.db import transaction

from outbox.services import PUBLISH_RETRY

log = logging.getLogger(__name__)

PAUSE_KEY = "webhooks:broker-down"
BROKER_PAUSE = 30  # seconds


def _publish() -> None:
    if cache.get(PAUSE_KEY):
        return  # the broker was down moments ago: the beat's run will send
    from webhooks.tasks import deliver_webhooks

    try:
        deliver_webhooks.apply_async(retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as error:  # the broker is down: the beat delivers once it is back
        cache.set(PAUSE_KEY, 1, timeout=BROKER_PAUSE)
        log.warning("Webhook delivery not kicked (%s); the periodic run will send", error)


def kick() -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _publish for _, func, _ in connection.run_on_commit):
        return  # one kick per transaction, however many events it writes
    transaction.on_commit(_publish)


def lead_event_saved(sender, instance, created, **kwargs) -> None:
    if created:
        kick()


def leads_became_sales_ready(sender, **kwargs) -> None:
    kick()
