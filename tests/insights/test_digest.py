"""The weekly digest: last week's headline figures and alerts to every leader, once a week."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from insights import digest
from insights.models import WeeklyDigest
from insights.tasks import send_weekly_digest
from tests.insights.builders import lead_with_history, passive_source

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def last_weeks_leads(cast):
    """Last week (16 to 22 Nov): 10 active-interest leads, 4 of them handed off and 1 accepted,
    and 20 passive ones; one passive lead the week before."""
    show = passive_source()
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    for i in range(10):
        path = [("handed_off", 1), ("accepted", 2)] if i == 0 else [("handed_off", 1)] if i < 4 else []
        lead_with_history(source=cast.source, created=wednesday, path=path)
    for _ in range(20):
        lead_with_history(source=show, created=wednesday)
    lead_with_history(source=show, created=wednesday - timedelta(days=7))


def test_last_week_is_the_full_week_before():
    assert digest.last_week(MONDAY) == (date(2026, 11, 16), date(2026, 11, 22))
    assert digest.last_week(MONDAY + timedelta(days=6)) == (date(2026, 11, 16), date(2026, 11, 22))


def test_every_leader_gets_the_headline_figures_and_alerts(
    cast, last_weeks_leads, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_BASE_URL = "https://accord.example/"
    with django_capture_on_commit_callbacks(execute=True):  # written to the outbox, sent after commit
        sent = digest.digest_send(now=MONDAY)
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.cmo.email, cast.vp.email])
    message = mail.outbox[0]
    assert message.subject == "Accord weekly digest: 16 Nov – 22 Nov 2026"
    assert "New leads: 30" in message.body
    assert "Active-interest share: 33.3 %" in message.body
    assert "Handed off: 4" in message.body
    assert "Accepted: 1 (25.0 % of handed off)" in message.body
    assert "Hand-offs pending past their accept time: 0" in message.body
    assert "Active interest below half of new leads" in message.body
    assert (
        "See the passive-interest leads: https://accord.example/leads/?interest=passive"
        "&created_after=2026-11-16&created_before=2026-11-22" in message.body
    )
    assert "/dashboard/?start=2026-11-16&end=2026-11-22" in message.body


def test_it_goes_out_once_a_week(cast, last_weeks_leads, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.digest_send(now=MONDAY) == 2
        assert digest.digest_send(now=MONDAY + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2
    assert WeeklyDigest.objects.get().week_start == date(2026, 11, 16)


def test_reps_managers_and_marketers_do_not_get_it(cast):
    assert set(digest.leaders()) == {cast.cmo, cast.vp}


def test_the_task_sends_it(cast, last_weeks_leads):
    assert send_weekly_digest.apply().get() == 2


def test_beat_runs_it_on_monday_mornings(db):
    task = PeriodicTask.objects.get(task="insights.tasks.send_weekly_digest")
    assert task.enabled
    assert (task.crontab.day_of_week, task.crontab.hour, task.crontab.minute) == ("1", "7", "0")
