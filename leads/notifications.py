"""Telling people things: an in-app notification (with an unread count in the header) and,
where it matters, an email through Django's email backend. Emails go out after the transaction
that decided them commits, so a rolled-back sweep sends nothing."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from leads.models import Notification

log = logging.getLogger(__name__)


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
    emails = [
        EmailMessage(
            subject=d.subject,
            body=f"{d.message}\n\n{_absolute(d.link)}" if d.link else d.message,
            to=[d.recipient.email],
        )
        for d in drafts
        if d.subject and d.recipient.email
    ]
    if emails:
        transaction.on_commit(lambda: _send(emails))
    return saved


def _absolute(link: str) -> str:
    return f"{settings.ACCORD_BASE_URL.rstrip('/')}{link}"


def _send(emails: list[EmailMessage]) -> None:
    try:
        get_connection().send_messages(emails)
    except OSError:  # the in-app notification is saved; a mail outage must not undo the sweep
        log.exception("Could not send %d notification email(s)", len(emails))


def names_preview(names: list[str], limit: int = 5) -> str:
    """'A, B and C' or 'A, B, C, D, E and 7 more'."""
    if len(names) <= limit:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"
