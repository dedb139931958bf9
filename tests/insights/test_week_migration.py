"""The migration that adds the week rows fills them from the day rows already there, so the
overview reads them at once, without waiting for the next rebuild. Both databases."""

from datetime import date

import pytest

from insights.models import HandoffWeek
from tests.migrating import migrate, migrate_to_latest

BEFORE = [("insights", "0011_daily_aggregates")]
COUNTS = dict(n=2, accept_judged=2, accept_in_time=1, touch_judged=1, touch_in_time=1, reminders=0, escalations=0)


@pytest.mark.django_db(transaction=True)
def test_the_week_rows_are_filled_from_the_days_already_summed():
    old = migrate(BEFORE)
    Day = old.get_model("insights", "HandoffDay")
    keys = dict(assigned_to_id=5, team_id=3, grade="A", bucket="hot", reason_id=None, definition_id=1, won=False)
    # Tuesday and Sunday of one week, Monday of the next; and a month row, which is no day.
    for day, status in (
        (date(2026, 11, 24), "accepted"),
        (date(2026, 11, 29), "accepted"),
        (date(2026, 11, 30), "rejected"),
    ):
        Day.objects.create(month=False, day=day, status=status, override=False, sourced_by_id=None, **keys, **COUNTS)
    Day.objects.create(
        month=True, day=date(2026, 11, 1), status="accepted", override=False, sourced_by_id=None, **keys, **COUNTS
    )

    migrate_to_latest()

    weeks = sorted(HandoffWeek.objects.values_list("week", "team_id", "status", "n", "accept_in_time"))
    assert weeks == [(date(2026, 11, 23), 3, "accepted", 4, 2), (date(2026, 11, 30), 3, "rejected", 2, 1)]
