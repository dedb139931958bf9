"""Telling people things. Every notification goes through :func:`notify`, which asks
:func:`channels_for` how each person chose to hear of its kind:

- in the app: a Notification row (with an unread count in the header);
- by email: the row, and an email written to the outbox in the transaction that decided it, sent
  after it commits (a rolled-back sweep sends nothing; a mail server outage delays, never loses);
- in the daily digest: the row, gathered with the day's others into one email per person
  (:func:`digest_send`, run by beat);
- off: nothing.

A person who chose nothing for a kind gets its default from DEFAULT_CHANNELS. Links in emails
are made absolute by :func:`absolute_url`, the one place that knows the site's address."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from leads.models import Notification, NotificationPreference
from outbox.services import enqueue_emails

Kind = Notification.Kind
Channel = Notification.Channel

# How a person hears of each kind until they choose otherwise: what needs them to act comes by
# email, news about their leads in the app.
DEFAULT_CHANNELS: dict[str, str] = {
    Kind.HANDOFF: Channel.EMAIL,
    Kind.REMINDER: Channel.EMAIL,
    Kind.ESCALATION: Channel.EMAIL,
    Kind.ESCALATION_NOTICE: Channel.APP,
    Kind.EXPIRED: Channel.EMAIL,
    Kind.REASSIGNED: Channel.APP,  # a person did it, and usually said so
    Kind.MOVED_BY_ACCORD: Channel.EMAIL,  # nobody told the new owner
    Kind.UNOWNED: Channel.EMAIL,
    Kind.DEFINITION: Channel.EMAIL,
    Kind.EVALUATION: Channel.EMAIL,
    Kind.IMPORT: Channel.APP,
    Kind.WEBHOOK: Channel.EMAIL,
    Kind.HANDOFF_ACCEPTED: Channel.APP,
    Kind.HANDOFF_REJECTED: Channel.EMAIL,
    Kind.LEAD_RECYCLED: Channel.APP,
    Kind.LEAD_WON: Channel.APP,
    Kind.LEAD_LOST: Channel.APP,
}

# People with many notifications of the digest channel are gathered this many at a time.
DIGEST_BATCH = 500


@dataclass(frozen=True)
class Draft:
    recipient: object  # a User
    kind: str
    message: str
    link: str = ""
    subject: str = ""  # the email's subject; empty: the kind's name
    body: str = ""  # the email's text; empty: the message


def absolute_url(link: str, *, request=None) -> str:
    """The address of ``link`` (a path) as people reach the site: the request's own host while
    answering one, else ACCORD_BASE_URL (which follows PORT when not set)."""
    if request is not None:
        return request.build_absolute_uri(link)
    return f"{settings.ACCORD_BASE_URL.rstrip('/')}{link}"


def channels_for(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The channel each (person id, kind) is told by: the person's choice, else the kind's
    default. One query for any number of pairs. The only place that decides a channel."""
    pairs = set(pairs)
    if not pairs:
        return {}
    chosen = {
        (user_id, kind): channel
        for user_id, kind, channel in NotificationPreference.objects.filter(
            user_id__in={user_id for user_id, _ in pairs}, kind__in={kind for _, kind in pairs}
        ).values_list("user_id", "kind", "channel")
    }
    return {pair: chosen.get(pair, DEFAULT_CHANNELS.get(pair[1], Channel.APP)) for pair in pairs}


def notify(drafts: list[Draft], *, request=None) -> list[Notification]:
    """Save each draft its recipient wants (one query to decide, one to save) and email those
    whose recipient chose email, after commit. Returns the notifications saved."""
    if not drafts:
        return []
    channels = channels_for((d.recipient.pk, d.kind) for d in drafts)
    wanted = [(d, channels[(d.recipient.pk, d.kind)]) for d in drafts]
    wanted = [(d, channel) for d, channel in wanted if channel != Channel.OFF]
    if not wanted:
        return []
    now = timezone.now()
    saved = Notification.objects.bulk_create(
        [
            Notification(
                recipient=d.recipient,
                kind=d.kind,
                message=d.message,
                link=d.link,
                created_at=now,
                channel=channel,
            )
            for d, channel in wanted
        ]
    )
    enqueue_emails(
        messages=[
            (
                f"notification:{notification.pk}",
                d.recipient.email,
                d.subject or f"Accord: {Kind(d.kind).label}",
                _email_text(d.body or d.message, d.link, request=request),
            )
            for notification, (d, channel) in zip(saved, wanted, strict=True)
            if channel == Channel.EMAIL and d.recipient.email
        ],
        now=now,
    )
    return saved


def _email_text(text: str, link: str, *, request=None) -> str:
    return f"{text}\n\n{absolute_url(link, request=request)}" if link else text


def preference_rows(*, user) -> list[tuple[str, str, str]]:
    """(kind, its name, the channel in force) for every kind, in the catalogue's order."""
    channels = channels_for((user.pk, kind) for kind in Kind.values)
    return [(kind, Kind(kind).label, channels[(user.pk, kind)]) for kind in Kind.values]


def digest_send(*, now: datetime | None = None, batch_size: int = DIGEST_BATCH) -> int:
    """Gather every notification waiting for the daily digest into one email per person, through
    the outbox. Each batch of people claims its rows with a conditional UPDATE (two runs never
    send the same notification) and costs a fixed number of queries. Returns emails written."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(channel=Channel.DIGEST, digested_at__isnull=True, created_at__lte=now)
    sent = 0
    last_user = 0
    while True:
        people = list(
            waiting.filter(recipient_id__gt=last_user)
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()[:batch_size]
        )
        if not people:
            return sent
        last_user = people[-1]
        with transaction.atomic():
            ids = list(waiting.filter(recipient_id__in=people).values_list("pk", flat=True))
            # The claim: whatever another run marked first is not ours.
            Notification.objects.filter(pk__in=ids, digested_at__isnull=True).update(digested_at=now)
            mine = (
                Notification.objects.filter(pk__in=ids, digested_at=now)
                .select_related("recipient")
                .order_by("recipient_id", "created_at", "id")
            )
            by_person: dict[int, list[Notification]] = defaultdict(list)
            for note in mine:
                by_person[note.recipient_id].append(note)
            sent += enqueue_emails(
                messages=[
                    (
                        f"notification-digest:{user_id}:{notes[0].pk}",
                        notes[0].recipient.email,
                        f"Accord daily digest: {len(notes)} notification(s)",
                        digest_text(notes),
                    )
                    for user_id, notes in by_person.items()
                ],
                now=now,
            )


def digest_text(notes: list[Notification]) -> str:
    lines = [f"What Accord told you since the last digest ({len(notes)}):", ""]
    for note in notes:
        when = timezone.localtime(note.created_at)
        lines.append(f"- {when:%b %d, %H:%M} · {note.get_kind_display()}: {note.message}")
        if note.link:
            lines.append(f"  {absolute_url(note.link)}")
    lines += ["", f"Choose how you hear of each kind: {absolute_url(reverse('notification_preferences'))}"]
    return "\n".join(lines)


def names_preview(names: list[str], limit: int = 5) -> str:
    """'A, B and C' or 'A, B, C, D, E and 7 more'."""
    if len(names) <= limit:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"
