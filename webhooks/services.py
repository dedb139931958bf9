"""Every write of the webhooks app: subscriptions, the dispatcher that turns lead events into
deliveries, and the sender.

Nothing needs a message of its own to be durable: every change in Accord writes a LeadEvent in
its own transaction, and :func:`deliveries_dispatch` reads the event log past a watermark (and
again the ids it found missing, for a transaction that commits late) and writes one Delivery per
subscription that wants the event, unique per (subscription, event id), so reading an event twice
changes nothing. :func:`deliveries_send_due` claims due deliveries by a conditional UPDATE, POSTs
them signed, logs each attempt, and retries failures with exponential backoff and jitter for
ACCORD_WEBHOOKS_RETRY_HOURS before marking them failed. A delivery waits while an earlier one of
the same lead to the same subscription is pending, so each receiver sees a lead's events in order.
"""

import json
import logging
import random
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from alignment.exceptions import NotAllowed
from alignment.roles import GROUP_NAMES, Role, is_marketing
from leads.models import Campaign, Handoff, Lead, LeadEvent, Notification, Source
from leads.notifications import Draft, notify
from outbox.services import PUBLISH_RETRY
from webhooks import events, signing, transport
from webhooks.addresses import RefusedAddress, check_url
from webhooks.models import Delivery, DeliveryAttempt, DispatchState, Subscription

log = logging.getLogger(__name__)

STATE = "deliveries"
# Ids missing when the watermark passed them are looked at again for this long.
LOOKBACK = timedelta(minutes=10)
# At most this many missing ranges are kept (the closest are merged beyond it).
MAX_GAPS = 200
DISPATCH_BATCH = 2000
SEND_BATCH = 200
# How long a sender holds the deliveries it claimed; well above a batch's worst case.
CLAIM_FOR = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=15)
LONGEST_RETRY = timedelta(hours=1)
USER_AGENT = "Accord-Webhooks/1"


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _require_marketing(by) -> None:
    if not (by.is_superuser or is_marketing(by)):
        raise NotAllowed("Only marketing manages webhook subscriptions.")


def _check(subscription: Subscription) -> None:
    subscription.full_clean(exclude=["sources", "campaigns"])
    try:
        check_url(subscription.url)
    except RefusedAddress as error:
        raise ValidationError({"url": str(error)}) from None


# --- Subscriptions ---------------------------------------------------------------------------


def subscription_create(
    *,
    by,
    name: str,
    url: str,
    events: list[str],
    sources: list[Source] | QuerySet | None = None,
    campaigns: list[Campaign] | QuerySet | None = None,
    now: datetime | None = None,
) -> tuple[Subscription, str]:
    """A new active subscription; returns it and its secret, which its owner sees this once."""
    _require_marketing(by)
    subscription = Subscription(
        name=name.strip(),
        url=url.strip(),
        events=[str(item) for item in events],
        secret=_new_secret(),
        created_by=by,
        created_at=now or timezone.now(),
    )
    _check(subscription)
    with transaction.atomic():
        subscription.save()
        subscription.sources.set(sources or [])
        subscription.campaigns.set(campaigns or [])
    return subscription, subscription.secret


def subscription_update(
    *,
    subscription: Subscription,
    by,
    name: str,
    url: str,
    events: list[str],
    sources: list[Source] | QuerySet | None = None,
    campaigns: list[Campaign] | QuerySet | None = None,
) -> Subscription:
    _require_marketing(by)
    subscription.name, subscription.url = name.strip(), url.strip()
    subscription.events = [str(item) for item in events]
    _check(subscription)
    with transaction.atomic():
        subscription.save(update_fields=["name", "url", "events", "updated_at"])
        subscription.sources.set(sources or [])
        subscription.campaigns.set(campaigns or [])
    return subscription


def subscription_rotate_secret(*, subscription: Subscription, by) -> str:
    """A new secret at once (the old one stops verifying); returns it, shown this once."""
    _require_marketing(by)
    subscription.secret = _new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription.secret


def subscription_pause(*, subscription: Subscription, by, reason: str = "Paused by hand") -> bool:
    """Stop sending; pending deliveries wait, and new events are not queued for it meanwhile.
    Returns False when it was paused already."""
    _require_marketing(by)
    return (
        Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.ACTIVE).update(
            status=Subscription.Status.PAUSED, paused_reason=reason[:200], updated_at=timezone.now()
        )
        == 1
    )


def subscription_resume(*, subscription: Subscription, by, now: datetime | None = None) -> bool:
    """Send again: the waiting deliveries go now, each with a fresh retry window. Returns False
    when it was active already."""
    _require_marketing(by)
    now = now or timezone.now()
    with transaction.atomic():
        resumed = Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.PAUSED).update(
            status=Subscription.Status.ACTIVE, paused_reason="", consecutive_failures=0, updated_at=now
        )
        if resumed:
            Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING).update(
                next_attempt_at=now, first_attempt_at=None
            )
    if resumed:
        kick()
    return resumed == 1


def deliveries_resend(*, deliveries: QuerySet[Delivery], by, now: datetime | None = None) -> int:
    """Send delivered or failed deliveries once more ("send again"), each with a fresh retry
    window, logged with who asked. Pending ones are left as they are. Returns how many."""
    _require_marketing(by)
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(deliveries.exclude(status=Delivery.Status.PENDING).select_for_update().values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).exclude(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.PENDING, next_attempt_at=now, first_attempt_at=None, delivered_at=None
        )
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(delivery_id=pk, kind=DeliveryAttempt.Kind.REQUEUED, at=now, by=by) for pk in ids]
        )
    if ids:
        kick()
    return len(ids)


# --- Kicking ---------------------------------------------------------------------------------
# The events themselves are the durable record (the dispatcher reads the log), so a kick only
# saves waiting for the beat (every 10 seconds): one task is published after each transaction
# that wrote lead events, however many it wrote. (Not with a countdown to gather several
# transactions into one run: a worker holding such a task across a Redis restart stops
# consuming.) When the broker is down a kick fails fast, further kicks from this process are
# skipped for BROKER_PAUSE, and the beat's run delivers the events once the broker is back. The
# task is sent by name, so this module does not import the tasks that call it.

DELIVER_TASK = "webhooks.tasks.deliver_webhooks"
PAUSE_KEY = "webhooks:broker-down"
BROKER_PAUSE = 30  # seconds


def _publish() -> None:
    if cache.get(PAUSE_KEY):
        return  # the broker was down moments ago: the beat's run will send
    try:
        current_app.send_task(DELIVER_TASK, retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as error:  # the broker is down: the beat delivers once it is back
        cache.set(PAUSE_KEY, 1, timeout=BROKER_PAUSE)
        log.warning("Webhook delivery not kicked (%s); the periodic run will send", error)


def kick() -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is _publish for _, func, _ in connection.run_on_commit):
        return  # one kick per transaction, however many events it writes
    transaction.on_commit(_publish)


# --- Dispatching -----------------------------------------------------------------------------


@dataclass
class _Target:
    subscription: Subscription
    events: frozenset[str]
    sources: frozenset[int]
    campaigns: frozenset[int]

    def wants(self, type: str, lead: Lead, occurred_at: datetime) -> bool:
        return (
            type in self.events
            and occurred_at >= self.subscription.created_at
            and (not self.sources or lead.source_id in self.sources)
            and (not self.campaigns or lead.campaign_id in self.campaigns)
        )


def _targets() -> list[_Target]:
    subscriptions = Subscription.objects.filter(status=Subscription.Status.ACTIVE).prefetch_related(
        "sources", "campaigns"
    )
    return [
        _Target(
            subscription,
            frozenset(subscription.events),
            frozenset(s.pk for s in subscription.sources.all()),
            frozenset(c.pk for c in subscription.campaigns.all()),
        )
        for subscription in subscriptions
    ]


def _mapped(queryset: QuerySet[LeadEvent]) -> QuerySet[LeadEvent]:
    return queryset.filter(Q(kind__in=events.MAPPED_KINDS) | Q(to_stage__in=events.MAPPED_STAGES))


def _deliveries_for(lead_events: list[LeadEvent], targets: list[_Target], now: datetime) -> list[Delivery]:
    """The deliveries ``lead_events`` make, with their payloads as things stand now."""
    typed = [
        (event, type)
        for event in lead_events
        for type in events.event_types(kind=event.kind, from_stage=event.from_stage, to_stage=event.to_stage)
        if any(type in target.events for target in targets)
    ]
    if not typed:
        return []
    lead_ids = {event.lead_id for event, _ in typed}
    leads = Lead.objects.select_related("source", "campaign").in_bulk(lead_ids)
    handoffs: dict[int, list[Handoff]] = {}
    if any(type in events.WITH_HANDOFF for _, type in typed):
        for handoff in Handoff.objects.filter(lead_id__in=lead_ids).select_related("team", "assigned_to", "reason"):
            handoffs.setdefault(handoff.lead_id, []).append(handoff)
    made = []
    for event, type in typed:
        lead = leads.get(event.lead_id)
        if lead is None:
            continue
        wanted = [target for target in targets if target.wants(type, lead, event.created_at)]
        if not wanted:
            continue
        body = events.payload(event=event, type=type, lead=lead, handoffs=handoffs.get(lead.pk, ()))
        made += [
            Delivery(
                subscription=target.subscription,
                event_id=body["id"],
                seq=event.pk,
                type=type,
                lead_id=lead.pk,
                payload=body,
                next_attempt_at=now,
                created_at=now,
            )
            for target in wanted
        ]
    return made


def _missing(seen: list[int], after: int, upto: int) -> list[list[int]]:
    """The id ranges in (after, upto] not in ``seen`` (sorted)."""
    ranges, expected = [], after + 1
    for pk in seen:
        if pk > expected:
            ranges.append([expected, pk - 1])
        expected = pk + 1
    if upto >= expected:
        ranges.append([expected, upto])
    return ranges


def _coarsen(gaps: list[list], limit: int = MAX_GAPS) -> list[list]:
    """At most ``limit`` ranges: the two closest are merged until it fits (looking at a few ids
    again is harmless)."""
    gaps = sorted(gaps)
    while len(gaps) > limit:
        i = min(range(len(gaps) - 1), key=lambda k: gaps[k + 1][0] - gaps[k][1])
        gaps[i : i + 2] = [[gaps[i][0], gaps[i + 1][1], min(gaps[i][2], gaps[i + 1][2])]]
    return gaps


def _state() -> DispatchState:
    state = DispatchState.objects.select_for_update().filter(name=STATE).first()
    if state is None:
        DispatchState.objects.get_or_create(name=STATE)
        state = DispatchState.objects.select_for_update().get(name=STATE)
    return state


def deliveries_dispatch(*, now: datetime | None = None, batch_size: int = DISPATCH_BATCH, max_batches: int = 50) -> int:
    """Write the deliveries of the lead events past the watermark, and of those found since in
    the ranges that were missing, in batches. Idempotent. Returns how many deliveries were
    written (or found written already)."""
    written = 0
    for _ in range(max_batches):
        moment = now or timezone.now()
        with transaction.atomic():
            state = _state()
            targets = _targets()
            if not targets:
                # Nobody listens: skip ahead (a subscription hears events from its creation on).
                top = LeadEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                DispatchState.objects.filter(pk=state.pk).update(watermark=top, gaps=[], dispatched_at=moment)
                return written
            written += _dispatch_gaps(state, targets, moment)
            rows = list(
                LeadEvent.objects.filter(pk__gt=state.watermark)
                .order_by("pk")
                .values_list("pk", "kind", "to_stage")[:batch_size]
            )
            if rows:
                seen = [pk for pk, _, _ in rows]
                top = seen[-1]
                found = _missing(seen, state.watermark, top)
                state.gaps = _coarsen(state.gaps + [[lo, hi, moment.isoformat()] for lo, hi in found])
                wanted = [
                    pk for pk, kind, to_stage in rows if kind in events.MAPPED_KINDS or to_stage in events.MAPPED_STAGES
                ]
                lead_events = list(LeadEvent.objects.filter(pk__in=wanted).order_by("pk")) if wanted else []
                made = _deliveries_for(lead_events, targets, moment)
                Delivery.objects.bulk_create(made, ignore_conflicts=True, batch_size=1000)
                written += len(made)
                state.watermark = top
            state.dispatched_at = moment
            state.save(update_fields=["watermark", "gaps", "dispatched_at"])
        if len(rows) < batch_size:
            break
    return written


def _dispatch_gaps(state: DispatchState, targets: list[_Target], moment: datetime) -> int:
    """Look again at the ids that were missing: those now visible are dispatched and taken out;
    ranges older than LOOKBACK are dropped."""
    oldest = (moment - LOOKBACK).isoformat()
    gaps = [gap for gap in state.gaps if gap[2] >= oldest]
    if not gaps:
        state.gaps = []
        return 0
    within = Q()
    for lo, hi, _ in gaps:
        within |= Q(pk__gte=lo, pk__lte=hi)
    found = sorted(LeadEvent.objects.filter(within).values_list("pk", flat=True))
    written = 0
    if found:
        lead_events = list(_mapped(LeadEvent.objects.filter(pk__in=found)).order_by("pk"))
        made = _deliveries_for(lead_events, targets, moment)
        Delivery.objects.bulk_create(made, ignore_conflicts=True, batch_size=1000)
        written = len(made)
        remaining = []
        for lo, hi, since in gaps:
            inside = [pk for pk in found if lo <= pk <= hi]
            remaining += [[a, b, since] for a, b in _missing(inside, lo - 1, hi)]
        gaps = remaining
    state.gaps = gaps
    return written


# --- Sending ---------------------------------------------------------------------------------


def due(*, now: datetime) -> QuerySet[Delivery]:
    """Deliveries to send now: pending, due, unclaimed, of an active subscription, and with no
    earlier pending delivery of the same lead to the same subscription. One lead event can make
    two deliveries (a rejection that recycles): the first made goes first, the other after it,
    since the senders of a batch run at once."""
    earlier = Delivery.objects.filter(
        Q(seq__lt=OuterRef("seq")) | Q(seq=OuterRef("seq"), pk__lt=OuterRef("pk")),
        subscription=OuterRef("subscription"),
        lead_id=OuterRef("lead_id"),
        status=Delivery.Status.PENDING,
    )
    return (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__status=Subscription.Status.ACTIVE,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(~Exists(earlier))
        .order_by("seq", "pk")
    )


def _body(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def _send(delivery: Delivery, checked: set[str]) -> transport.Answer:
    body = _body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.sign(secret=delivery.subscription.secret, body=body),
        "Accord-Event-Id": delivery.event_id,
        "Accord-Event-Type": delivery.type,
        "Accord-Delivery": str(delivery.pk),
        "Accord-Attempt": str(delivery.attempts + 1),
    }
    return transport.post(
        url=delivery.subscription.url,
        body=body,
        headers=headers,
        timeout=settings.ACCORD_WEBHOOKS_TIMEOUT,
        checked=checked,
    )


def _backoff(attempts: int) -> timedelta:
    """Waits double from FIRST_RETRY up to LONGEST_RETRY, each between half and all of it, so
    receivers coming back are not hit by every sender at the same second."""
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    return wait * random.uniform(0.5, 1.0)


@dataclass
class _Outcome:
    delivered: int = 0
    retrying: int = 0
    failed: list[Delivery] = field(default_factory=list)


def deliveries_send_due(
    *, now: datetime | None = None, batch_size: int = SEND_BATCH, max_batches: int = 100, budget_seconds: float = 60
) -> dict[str, int]:
    """Send what is due, batch after batch, until nothing is or ``budget_seconds`` passed.
    Returns ``{"delivered", "retrying", "failed"}``."""
    totals = {"delivered": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    checked: set[str] = set()  # hosts whose address was checked in this call
    with ThreadPoolExecutor(max_workers=max(1, settings.ACCORD_WEBHOOKS_CONCURRENCY)) as pool:
        for _ in range(max_batches):
            moment = now or timezone.now()
            token = uuid.uuid4().hex
            ids = list(due(now=moment).values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment)
            ).update(claim=token, claimed_until=moment + CLAIM_FOR)
            rows = list(Delivery.objects.filter(claim=token).select_related("subscription").order_by("seq", "pk"))
            answers = list(pool.map(_send, rows, [checked] * len(rows)))
            outcome = _record(rows, answers, now=now)
            totals["delivered"] += outcome.delivered
            totals["retrying"] += outcome.retrying
            totals["failed"] += len(outcome.failed)
            if time.monotonic() - started > budget_seconds:
                break
    return totals


def _record(rows: list[Delivery], answers: list[transport.Answer], *, now: datetime | None) -> _Outcome:
    """Log each attempt and move each delivery on: delivered, retried later, or failed."""
    moment = now or timezone.now()
    window = timedelta(hours=settings.ACCORD_WEBHOOKS_RETRY_HOURS)
    outcome = _Outcome()
    # Per subscription, in order: True delivered, False failed for good.
    results: dict[int, list[bool]] = {}
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    delivery=row,
                    at=moment,
                    status_code=answer.status,
                    duration_ms=answer.duration_ms,
                    error=answer.error,
                    response_excerpt=answer.excerpt,
                )
                for row, answer in zip(rows, answers, strict=True)
            ],
            batch_size=1000,
        )
        delivered: dict[int | None, list[int]] = {}
        for row, answer in zip(rows, answers, strict=True):
            first = row.first_attempt_at or moment
            if answer.ok:
                delivered.setdefault(answer.status, []).append(row.pk)
                results.setdefault(row.subscription_id, []).append(True)
                continue
            error = answer.error or f"HTTP {answer.status}: {answer.excerpt[:200]}"
            deadline = first + window
            wait = _backoff(row.attempts + 1)
            fields = {
                "attempts": F("attempts") + 1,
                "first_attempt_at": first,
                "last_status": answer.status,
                "last_error": error[: transport.ERROR_CHARS],
                "claim": "",
                "claimed_until": None,
            }
            if moment >= deadline:
                Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.FAILED, **fields)
                row.last_error = error
                outcome.failed.append(row)
                results.setdefault(row.subscription_id, []).append(False)
            else:
                # The last attempt falls at the end of the window.
                Delivery.objects.filter(pk=row.pk).update(next_attempt_at=min(moment + wait, deadline), **fields)
                outcome.retrying += 1
        for status, ids in delivered.items():
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.DELIVERED,
                delivered_at=moment,
                attempts=F("attempts") + 1,
                first_attempt_at=Coalesce(F("first_attempt_at"), Value(moment, output_field=DateTimeField())),
                last_status=status,
                last_error="",
                claim="",
                claimed_until=None,
            )
            outcome.delivered += len(ids)
        _count_failures(results, outcome.failed, moment)
    return outcome


def _count_failures(results: dict[int, list[bool]], failed: list[Delivery], moment: datetime) -> None:
    """Keep each subscription's run of failed deliveries; tell its owner and the marketing
    leaders of deliveries that failed for good, and pause it at ACCORD_WEBHOOKS_PAUSE_AFTER."""
    for subscription_id, run in results.items():
        if True in run:
            tail = len(run) - 1 - run[::-1].index(True)
            Subscription.objects.filter(pk=subscription_id).update(consecutive_failures=len(run) - 1 - tail)
        elif run:
            Subscription.objects.filter(pk=subscription_id).update(
                consecutive_failures=F("consecutive_failures") + len(run)
            )
    if not failed:
        return
    by_subscription: dict[int, list[Delivery]] = {}
    for row in failed:
        by_subscription.setdefault(row.subscription_id, []).append(row)
    leaders = list(_people(Role.MARKETING_LEADER))
    ops = list(_people(Role.MARKETING_LEADER, Role.MARKETER))
    limit = settings.ACCORD_WEBHOOKS_PAUSE_AFTER
    drafts = []
    for rows in by_subscription.values():
        subscription = rows[0].subscription
        link = (
            reverse("admin:webhooks_delivery_changelist")
            + f"?subscription__id__exact={subscription.pk}&status__exact=failed"
        )
        message = (
            f"{len(rows)} webhook deliver{'y' if len(rows) == 1 else 'ies'} to “{subscription.name}” failed after "
            f"{settings.ACCORD_WEBHOOKS_RETRY_HOURS} hours of retries. Last error: {rows[-1].last_error[:200]}"
        )
        subject = f"Webhook deliveries to {subscription.name} failed"
        drafts += [
            Draft(recipient=person, kind=Notification.Kind.WEBHOOK, message=message, link=link, subject=subject)
            for person in _unique([subscription.created_by, *leaders])
        ]
        paused = Subscription.objects.filter(
            pk=subscription.pk, status=Subscription.Status.ACTIVE, consecutive_failures__gte=limit
        ).update(
            status=Subscription.Status.PAUSED,
            paused_reason=f"{limit} deliveries in a row failed",
            updated_at=moment,
        )
        if paused:
            drafts += [
                Draft(
                    recipient=person,
                    kind=Notification.Kind.WEBHOOK,
                    message=f"The webhook subscription “{subscription.name}” is paused: {limit} deliveries in a row "
                    "failed. Fix the receiver, then resume it; what waits is sent then.",
                    link=reverse("admin:webhooks_subscription_change", args=[subscription.pk]),
                    subject=f"Webhook subscription {subscription.name} paused",
                )
                for person in _unique([subscription.created_by, *ops])
            ]
    notify(drafts)


def _people(*roles: Role):
    return get_user_model().objects.filter(is_active=True, groups__name__in=[GROUP_NAMES[r] for r in roles]).distinct()


def _unique(people) -> list:
    seen, unique = set(), []
    for person in people:
        if person.is_active and person.pk not in seen:
            seen.add(person.pk)
            unique.append(person)
    return unique


def webhooks_run(*, budget_seconds: float = 50) -> dict[str, int]:
    """What the task does: dispatch new events, send what is due, and again while there is
    work, within ``budget_seconds``."""
    totals = {"dispatched": 0, "delivered": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    while True:
        dispatched = deliveries_dispatch()
        sent = deliveries_send_due(budget_seconds=max(1.0, budget_seconds - (time.monotonic() - started)))
        totals["dispatched"] += dispatched
        for key, value in sent.items():
            totals[key] += value
        if not (dispatched or sent["delivered"]) or time.monotonic() - started > budget_seconds:
            return totals
