"""The weekly digest to leaders: last week's headline figures and the alerts, by email, once a
week (insights.tasks.send_weekly_digest, scheduled by beat)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from alignment.roles import GROUP_NAMES, LEADERS
from insights import diagnostics, selectors
from insights.diagnostics import Alert
from insights.models import WeeklyDigest
from leads.notifications import absolute_url
from outbox.services import enqueue_emails

User = get_user_model()


def leaders() -> QuerySet:
    """Active marketing and sales leaders with an email address."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[GROUP_NAMES[role] for role in LEADERS])
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def last_week(now: datetime) -> tuple[date, date]:
    """Monday and Sunday of the last full week before `now` (site time zone)."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


@dataclass
class Digest:
    week_start: date
    week_end: date
    headline: list[tuple[str, str]]
    hygiene: list[tuple[str, str]]
    alerts: list[Alert]
    link: str

    @property
    def subject(self) -> str:
        return f"Accord weekly digest: {self.week_start:%d %b} – {self.week_end:%d %b %Y}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def digest_build(*, now: datetime | None = None) -> Digest:
    """Last week's figures over every team (what leaders see)."""
    now = now or timezone.now()
    start, end = last_week(now)
    tz = timezone.get_current_timezone()
    scope = selectors.Scope(
        start=datetime.combine(start, time.min, tzinfo=tz),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        teams=None,
        now=now,
    )
    names = ["funnel", "campaigns", "interest", "sla", "definitions", "hygiene", "close_ratio"]
    figures = selectors.figures(scope=scope, names=names)
    counts = figures["funnel"].overall.counts
    interest = selectors.interest_totals(figures["interest"])
    close = figures["close_ratio"]
    teams = figures["sla"].teams
    judged = sum(t.accept_judged for t in teams)
    in_time = sum(t.accept_in_time for t in teams)
    hygiene = figures["hygiene"]
    headline = [
        ("New leads", f"{counts[0]:,}"),
        ("Active-interest share", _pct(interest.active_share if interest else None)),
        ("Handed off", f"{counts[2]:,}"),
        ("Accepted", f"{counts[3]:,} ({_pct(counts[3] / counts[2] if counts[2] else None)} of handed off)"),
        ("Won", f"{counts[5]:,}"),
        ("Close ratio on marketing leads", f"{_pct(close.close_ratio)} ({close.won:,} of {close.accepted:,})"),
        ("Hand-offs decided in time", f"{_pct(in_time / judged if judged else None)} ({in_time:,} of {judged:,})"),
    ]
    hygiene_now = [(title, f"{hygiene[code]:,}") for code, title in selectors.hygiene_titles().items()]
    base = absolute_url("").rstrip("/")
    link = f"{base}/dashboard/?start={start.isoformat()}&end={end.isoformat()}"
    alerts = diagnostics.alerts(figures, scope)
    for alert in alerts:
        alert.list_url = f"{base}{alert.list_url}"
    return Digest(start, end, headline, hygiene_now, alerts, link)


def digest_send(*, now: datetime | None = None) -> int:
    """Email last week's digest to every leader, once per week: returns how many were sent (0 when
    this week's digest already went out or there is nobody to send it to)."""
    now = now or timezone.now()
    recipients = list(leaders())
    if not recipients:
        return 0
    digest = digest_build(now=now)
    body = render_to_string("insights/email/digest.txt", {"digest": digest})
    try:
        with transaction.atomic():
            WeeklyDigest.objects.create(
                week_start=digest.week_start, sent_at=now, recipients=len(recipients), alerts=len(digest.alerts)
            )
            # One outbox row per leader, written with the week's record and sent after commit.
            return enqueue_emails(
                messages=[
                    (f"digest:{digest.week_start.isoformat()}:{person.pk}", person.email, digest.subject, body)
                    for person in recipients
                ],
                now=now,
            )
    except IntegrityError:
        return 0  # already sent for this week
