"""Tasks call one service each (tested by calling them directly); the beat schedule exists; the
demo step is idempotent."""

from datetime import UTC, datetime

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from reviews import tasks
from reviews.demo import ensure_review_meetings
from reviews.models import ReviewMeeting

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_both_review_tasks_hourly_in_utc(db):
    scheduled = {task.task: task for task in PeriodicTask.objects.select_related("crontab")}
    for name in ("reviews.tasks.open_due_reviews", "reviews.tasks.remind_reps_before_reviews"):
        assert scheduled[name].enabled
        assert scheduled[name].crontab.hour == "*"
        assert str(scheduled[name].crontab.timezone) == "UTC"


def test_the_opening_task_is_idempotent(cast, accepted_lead):
    accepted_lead()
    with time_machine.travel(datetime(2026, 11, 24, 8, 0, tzinfo=UTC), tick=False):
        assert tasks.open_due_reviews() == {"opened": 2, "items": 1, "carried_over": 0}
        assert tasks.open_due_reviews() == {"opened": 0, "items": 0, "carried_over": 0}
        assert tasks.remind_reps_before_reviews() == 0  # both meetings were on Monday


def test_the_minutes_task_ignores_a_missing_meeting(db):
    assert tasks.email_review_minutes(999) == 0


def test_the_demo_meetings_are_made_once(cast, accepted_lead):
    for _ in range(5):
        accepted_lead()
    assert ensure_review_meetings() == 4  # per team: last week closed, this week open
    assert ensure_review_meetings() == 0
    last, this = ReviewMeeting.objects.filter(team=cast.team).order_by("week_start")
    assert not last.is_open and this.is_open
    assert this.items.count() == 5
