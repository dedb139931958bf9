"""The meeting's emails, written to the outbox in the transaction of the change that causes them:
the reps' reminders the day before, and the minutes once."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from leads.notifications import absolute_url
from outbox.services import enqueue_email, enqueue_emails
from reviews import selectors
from reviews.models import ReviewEvent, ReviewItem, ReviewMeeting, ReviewReminder
from reviews.services.common import review_event_record


def _base_url() -> str:
    """Where links in emails point (the one rule: leads.notifications.absolute_url)."""
    return absolute_url("").rstrip("/")


def review_reminders_send(*, meeting: ReviewMeeting, now: datetime | None = None) -> int:
    """Remind each rep who has items without an update, once per meeting however often this
    runs: the reminder row and its email (in the outbox) are written in one transaction, and the
    reminder's unique constraint turns a second attempt into a no-op."""
    if not meeting.is_open:
        return 0
    now = now or timezone.now()
    sent = []
    for rep, missing in selectors.reps_to_remind(meeting=meeting):
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(meeting=meeting, rep=rep, sent_at=now)
                enqueue_email(
                    key=f"review-reminder:{meeting.pk}:{rep.pk}",
                    to=rep.email,
                    subject=f"Lead review {meeting.week}: {missing} lead(s) still need your update",
                    body=render_to_string(
                        "reviews/email/reminder.txt",
                        {"meeting": meeting, "rep": rep, "missing": missing, "base_url": _base_url()},
                    ),
                    now=now,
                )
        except IntegrityError:
            continue  # already reminded (another worker, or an earlier run)
        sent.append(rep.username)
    if sent:
        review_event_record(meeting=meeting, kind=ReviewEvent.Kind.REMINDED, details={"reps": sent}, at=now)
    return len(sent)


def review_reminders_send_due(*, now: datetime | None = None) -> int:
    """The periodic task's work: remind reps of every open meeting that takes place within the
    next 24 hours (the day before)."""
    now = now or timezone.now()
    meetings = ReviewMeeting.objects.filter(
        status=ReviewMeeting.Status.OPEN, scheduled_at__gt=now, scheduled_at__lte=now + timedelta(hours=24)
    ).select_related("team")
    return sum(review_reminders_send(meeting=meeting, now=now) for meeting in meetings)


def review_minutes_email(*, meeting: ReviewMeeting, now: datetime | None = None) -> int:
    """Email the minutes of a closed meeting to its attendees, once: the manager receives every
    item, each rep their own. The emails are outbox rows, one per person, written with the claim
    on ``minutes_sent_at`` and sent after commit, so a mail server failing on the third person
    never resends to the first two. Returns the number of emails written."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = ReviewMeeting.objects.filter(
            pk=meeting.pk, status=ReviewMeeting.Status.CLOSED, minutes_sent_at__isnull=True
        ).update(minutes_sent_at=now)
        if claimed != 1:
            return 0  # not closed, or already sent
        meeting = ReviewMeeting.objects.select_related("team__manager", "closed_by").get(pk=meeting.pk)
        items = list(selectors.minutes_items(meeting=meeting))
        by_rep: dict[int, list[ReviewItem]] = {}
        for item in items:
            by_rep.setdefault(item.rep_id, []).append(item)
        recipients = []
        manager = meeting.team.manager
        if manager is not None and manager.email:
            recipients.append((manager, items))
        recipients += [(rep_items[0].rep, rep_items) for rep_items in by_rep.values() if rep_items[0].rep.email]
        subject = f"Minutes: {meeting.team} lead review {meeting.week}"
        enqueue_emails(
            messages=[
                (
                    f"minutes:{meeting.pk}:{person.pk}",
                    person.email,
                    subject,
                    render_to_string(
                        "reviews/email/minutes.txt",
                        {
                            "meeting": meeting,
                            "person": person,
                            "decided": [item for item in person_items if item.discussed_at],
                            "not_discussed": sum(1 for item in person_items if not item.discussed_at),
                            "full": person == manager,
                            "base_url": _base_url(),
                        },
                    ),
                )
                for person, person_items in recipients
            ],
            now=now,
        )
        review_event_record(
            meeting=meeting,
            kind=ReviewEvent.Kind.MINUTES_SENT,
            details={"to": [person.username for person, _ in recipients]},
            at=now,
        )
    return len(recipients)
