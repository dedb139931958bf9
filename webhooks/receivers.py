"""Webhooks hear of lead events as soon as their transaction commits. The events themselves are
the durable record (webhooks.services reads the log), so a kick only saves waiting for the beat
(every 10 seconds): it is published after commit, at most once per KICK_WINDOW per process, with
a countdown of that window, so the task starts after every commit that asked for it within the
window and sees them all. When the broker is down a kick fails fast, further kicks are skipped
for BROKER_PAUSE, and the beat's run delivers the events once the broker is back."""

import logging

from django.core.cache import cache
from django.db import transaction

from outbox.services import PUBLISH_RETRY

log = logging.getLogger(__name__)

KICK_KEY = "webhooks:kick"
KICK_WINDOW = 1  # seconds
BROKER_PAUSE = 30  # seconds


def _publish() -> None:
    if not cache.add(KICK_KEY, 1, timeout=KICK_WINDOW):
        return  # a task is already on its way for this window
    from webhooks.tasks import deliver_webhooks

    try:
        deliver_webhooks.apply_async(countdown=KICK_WINDOW, retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as error:  # the broker is down: the beat delivers once it is back
        cache.set(KICK_KEY, 1, timeout=BROKER_PAUSE)
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
