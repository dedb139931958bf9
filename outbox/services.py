"""Writing messages to the outbox and relaying them.

``enqueue_task`` and ``enqueue_email`` write a row in the caller's transaction and, once it
commits, try to send it at once (:func:`relay`). If the broker or the mail server cannot be
reached the row stays unsent, and :func:`relay_due` (the ``outbox.tasks.relay_unsent`` task,
every minute) sends it later, backing off between attempts. Nothing is lost while a broker or
mail server is down, and nothing is sent twice:

- a key per message makes writing it twice a no-op (a retried change, two workers);
- a row is claimed by a conditional UPDATE before it is sent and marked sent right after, so two
  relays never send the same row. Only a sender that dies between sending and marking leaves the
  claim to expire and the row to be sent again; an email then carries the same Message-ID.
"""

import hashlib
import logging
import smtplib
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox.models import OutboxMessage

log = logging.getLogger(__name__)

Kind = OutboxMessage.Kind

# How long a relay holds a claimed row before another may take it.
CLAIM_FOR = timedelta(minutes=5)
# Waits between attempts: 1, 2, 4, 8 minutes, then every 15 minutes.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=15)
# After a failure, the relay on commit leaves that channel to the periodic replay for this long,
# so a broker or mail server outage costs a web request at most one failed attempt per process.
CHANNEL_PAUSE_SECONDS = 30
# Publishing a task: one reconnection (a pooled connection may predate a broker restart), and no
# waiting beyond that.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Keys looked up per query when relaying what a transaction wrote.
RELAY_BATCH = 500
# Errors that concern one email (its recipient, sender or content), not the mail server.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)

_paused_until: dict[str, float] = {}


# --- Writing ---------------------------------------------------------------------------------


def enqueue_task(
    *, task: str, args: list | tuple = (), kwargs: dict | None = None, key: str = "", now: datetime | None = None
) -> str:
    """Enqueue Celery task ``task`` (its name) with ``args``/``kwargs`` (JSON) once the current
    transaction commits. ``key`` names the message (default: a new one each call); a key already
    in the outbox writes nothing. Returns the key."""
    key = key or f"task:{task}:{uuid.uuid4().hex}"
    payload = {"task": task, "args": list(args), "kwargs": kwargs or {}}
    _write(Kind.TASK, [(key, payload)], now=now)
    return key


def enqueue_email(
    *, key: str, to: str, subject: str, body: str, headers: dict | None = None, now: datetime | None = None
) -> bool:
    """Email ``to`` once the current transaction commits, once per ``key`` however often this is
    called. Returns False when there is no address."""
    return bool(enqueue_emails(messages=[(key, to, subject, body)], now=now, headers=headers))


def enqueue_emails(
    *, messages: Iterable[tuple[str, str, str, str]], now: datetime | None = None, headers: dict | None = None
) -> int:
    """Several emails as ``(key, to, subject, body)``, one row each (so one recipient's failure
    never resends to the others), in one INSERT. Messages without an address are left out.
    Returns how many were written or already there."""
    rows = [
        (
            key,
            {
                "to": [to],
                "subject": subject,
                "body": body,
                "headers": {"Message-ID": _message_id(key), **(headers or {})},
            },
        )
        for key, to, subject, body in messages
        if to
    ]
    _write(Kind.EMAIL, rows, now=now)
    return len(rows)


def _message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{settings.ACCORD_OUTBOX_MAIL_DOMAIN}>"


def _write(kind: str, rows: list[tuple[str, dict]], *, now: datetime | None) -> None:
    if not rows:
        return
    now = now or timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(kind=kind, key=key, payload=payload, created_at=now, next_attempt_at=now)
            for key, payload in rows
        ],
        ignore_conflicts=True,
    )
    keys = [key for key, _ in rows]
    transaction.on_commit(lambda: relay(keys=keys, on_commit=True))


# --- Sending ---------------------------------------------------------------------------------


def relay(*, keys: list[str], on_commit: bool = False) -> int:
    """Send the unsent messages among ``keys`` now. Returns how many were sent. Called after the
    transaction that wrote them commits; never raises for a broker or mail server that is down
    (the messages stay for :func:`relay_due`)."""
    try:
        sent = 0
        for start in range(0, len(keys), RELAY_BATCH):  # a sweep may write thousands at once
            chunk = keys[start : start + RELAY_BATCH]
            rows = list(_waiting().filter(key__in=chunk).order_by("id"))
            sent += _send_rows(rows, on_commit=on_commit)
        return sent
    except Exception:  # the change that wrote them is committed: it must not fail now
        log.exception("The outbox could not relay %d message(s); the periodic replay will", len(keys))
        return 0


def relay_due(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 20) -> dict[str, int]:
    """The periodic replay: send every unsent message whose next attempt is due, oldest first,
    in batches. Returns ``{"sent", "failed", "unsent"}`` (unsent: still waiting afterwards)."""
    sent = attempted = 0
    last_id = 0
    for _ in range(max_batches):
        moment = now or timezone.now()
        rows = list(
            _waiting()
            .filter(next_attempt_at__lte=moment, id__gt=last_id)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment))
            .order_by("id")[:batch_size]
        )
        if not rows:
            break
        last_id = rows[-1].id
        attempted += len(rows)
        sent += _send_rows(rows, on_commit=False, now=now)
    unsent = _waiting().count()
    return {"sent": sent, "failed": attempted - sent, "unsent": unsent}


def _send_rows(rows: list[OutboxMessage], *, on_commit: bool, now: datetime | None = None) -> int:
    sent = 0
    tasks = [row for row in rows if row.kind == Kind.TASK]
    emails = [row for row in rows if row.kind == Kind.EMAIL]
    if tasks and not (on_commit and _paused(Kind.TASK)):
        sent += _send_tasks(tasks, now=now)
    if emails and not (on_commit and _paused(Kind.EMAIL)):
        sent += _send_emails(emails, now=now)
    return sent


def _send_tasks(rows: list[OutboxMessage], *, now: datetime | None) -> int:
    sent = 0
    for row in rows:
        if not _claim(row, now=now):
            continue
        payload = row.payload
        try:
            current_app.send_task(
                payload["task"],
                args=payload.get("args") or [],
                kwargs=payload.get("kwargs") or {},
                retry=True,
                retry_policy=PUBLISH_RETRY,
            )
        except Exception as error:  # the broker is down (kombu OperationalError, OSError…)
            _failed(row, error, now=now)
            _pause(Kind.TASK)
            break  # the rest wait for the next attempt
        _sent(row, now=now)
        sent += 1
    return sent


def _send_emails(rows: list[OutboxMessage], *, now: datetime | None) -> int:
    sent = 0
    connection = get_connection(timeout=settings.ACCORD_OUTBOX_EMAIL_TIMEOUT) if _smtp() else get_connection()
    opened = False
    try:
        for row in rows:
            if not _claim(row, now=now):
                continue
            payload = row.payload
            message = EmailMessage(
                subject=payload["subject"],
                body=payload["body"],
                to=payload["to"],
                headers=payload.get("headers") or {},
                connection=connection,
            )
            try:
                if not opened:
                    opened = connection.open() is not None  # one connection for the whole pass
                message.send()
            except MESSAGE_ERRORS as error:  # this message only: the others still go
                _failed(row, error, now=now)
                continue
            except Exception as error:  # the mail server is down or went away
                _failed(row, error, now=now)
                _pause(Kind.EMAIL)
                break  # the rest wait for the next attempt
            _sent(row, now=now)
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # closing a connection to a server that went away
            log.debug("Closing the mail connection failed", exc_info=True)
    return sent


def _smtp() -> bool:
    return settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


def _claim(row: OutboxMessage, *, now: datetime | None) -> bool:
    """Take the row for this relay, or False when it is sent or another relay holds it."""
    moment = now or timezone.now()
    return (
        _waiting()
        .filter(pk=row.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment))
        .update(claimed_until=moment + CLAIM_FOR, attempts=F("attempts") + 1)
        == 1
    )


def _sent(row: OutboxMessage, *, now: datetime | None) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(sent_at=now or timezone.now(), claimed_until=None, last_error="")


def _waiting():
    """Messages still to send: not sent, and not given up."""
    return OutboxMessage.objects.filter(sent_at__isnull=True, given_up_at__isnull=True)


def _failed(row: OutboxMessage, error: Exception, *, now: datetime | None) -> None:
    """Try again later, backing off; past ACCORD_OUTBOX_GIVE_UP_HOURS after the message was
    written, stop, so an address refused for good is not tried every quarter of an hour forever."""
    moment = now or timezone.now()
    attempts = OutboxMessage.objects.filter(pk=row.pk).values_list("attempts", flat=True).first() or 1
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    reason = f"{type(error).__name__}: {error}"[:2000]
    if moment - row.created_at >= timedelta(hours=settings.ACCORD_OUTBOX_GIVE_UP_HOURS):
        OutboxMessage.objects.filter(pk=row.pk).update(claimed_until=None, given_up_at=moment, last_error=reason)
        log.error("Outbox message %s given up after %d attempts: %s", row.key, attempts, error)
        return
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_until=None, next_attempt_at=moment + wait, last_error=reason)
    log.warning("Outbox message %s not sent (attempt %d): %s", row.key, attempts, error)


def _pause(kind: str) -> None:
    _paused_until[kind] = time.monotonic() + CHANNEL_PAUSE_SECONDS


def _paused(kind: str) -> bool:
    return _paused_until.get(kind, 0.0) > time.monotonic()


def resume_channels() -> None:
    """Forget the pauses after failures (the replay ignores them anyway)."""
    _paused_until.clear()


def unsent(*, kind: str | None = None):
    """The rows still waiting to be sent, oldest first."""
    rows = _waiting().order_by("id")
    return rows.filter(kind=kind) if kind else rows
