"""Telling people things: an in-app notification (with an unread count in the header) and,
where it matters, an email. Emails are written to the outbox in the transaction that decided
them, one per notification, and go out after it commits: a rolled-back sweep sends nothing, and
a mail server outage delays them instead of losing them."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from leads.models import Notification
from outbox.services import enqueue_emails


@dataclass(frozen=True)
class Draft:
    recipient: object  # a User
    kind: str
    message: str
    link: str = ""
    subject: str = ""  # empty: in-app only


def notify(drafts: list[Draft]) -> list[Notification]:
    """Save the notifications in one query and email those with a subject after commit."""
    if not drafts:
        return []
    now = timezone.now()
    saved = Notification.objects.bulk_create(
        [
            Notification(recipient=d.recipient, kind=d.kind, message=d.message, link=d.link, created_at=now)
            for d in drafts
        ]
    )
    enqueue_emails(
        messages=[
            (
                f"notification:{notification.pk}",
                d.recipient.email,
                d.subject,
                f"{d.message}\n\n{_absolute(d.link)}" if d.link else d.message,
            )
            for notification, d in zip(saved, drafts, strict=True)
            if d.subject and d.recipient.email
        ],
        now=now,
    )
    return saved


def _absolute(link: str) -> str:
    return f"{settings.ACCORD_BASE_URL.rstrip('/')}{link}"


def names_preview(names: list[str], limit: int = 5) -> str:
    """'A, B and C' or 'A, B, C, D, E and 7 more'."""
    if len(names) <= limit:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"
