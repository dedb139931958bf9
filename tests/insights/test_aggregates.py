"""The daily aggregates (insights.aggregates): on a varied data set their figures equal those
the per-row rollups and the sources give (counts exactly, medians within the sketch's bound),
for every lead, one team, two teams and none, and after a campaign and a team are deleted; a
refresh after new events recomputes the days it touched and leaves the others as they were;
reading them writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights import aggregates, rollups, selectors, sketch
from insights.models import HandoffDay, HandoffDayBin, HandoffWeek, LeadDay, LeadDayBin, RollupState
from leads.models import Campaign, Handoff, Lead, LeadEvent
from tests.insights.builders import NOW, at, handoff, lead_with_history, passive_source

pytestmark = pytest.mark.django_db

PATHS = [
    [],
    [("mql", 3)],
    [("mql", 2), ("handed_off", 5)],
    [("handed_off", 7), ("accepted", 9.5)],
    [("mql", 1), ("handed_off", 30), ("accepted", 31), ("qualified", 80)],
    [("mql", 4), ("handed_off", 6), ("accepted", 8), ("qualified", 50), ("won", 200)],
]


def varied(cast) -> list:
    """Sixty leads over twenty days and two sources, with and without a campaign, found by
    marketing or by a rep, recycled 0-4 times, at every step; hand-offs to either team (some
    leads to both) pending, accepted (touched or not, in time or late), rejected or expired."""
    other_source = passive_source()
    campaigns = [
        Campaign.objects.create(name="Spring", source=cast.source),
        Campaign.objects.create(name="Fair", source=other_source),
        None,
    ]
    leads = []
    for i in range(60):
        created = at(-24 * (i % 20) - 3.7 * i)
        lead = lead_with_history(
            source=cast.source if i % 2 else other_source,
            campaign=campaigns[i % 3],
            created=created,
            path=PATHS[i % len(PATHS)],
            cycle_count=i % 5,
            sourced_by=cast.rep if i % 4 == 0 else None,
        )
        leads.append(lead)
        if i % 3 == 0:
            continue
        team, rep = (cast.team, cast.rep) if i % 2 else (cast.other_team, cast.other_rep)
        sent = created + timedelta(hours=1 + i % 4)
        kind = i % 5
        if kind == 0:
            handoff(lead=lead, rep=rep, by=cast.marketer, team=team, created=sent, status="pending")
        elif kind in (1, 2):
            decided = sent + timedelta(hours=2 + i % 11)
            touched = decided + timedelta(hours=i % 7 + 0.5) if kind == 1 else None
            handoff(
                lead=lead, rep=rep, by=cast.marketer, team=team, created=sent, status="accepted",
                decided_at=decided, first_touch_due_at=decided + timedelta(hours=4), first_touch_at=touched,
                override=i % 7 == 0, override_reason="fit" if i % 7 == 0 else "",
            )  # fmt: skip
        elif kind == 3:
            handoff(
                lead=lead, rep=rep, by=cast.marketer, team=team, created=sent, status="rejected",
                decided_at=sent + timedelta(hours=3),
            )  # fmt: skip
            # ... and then to the other team, which accepts it.
            other, other_rep = (cast.other_team, cast.other_rep) if team == cast.team else (cast.team, cast.rep)
            later = sent + timedelta(hours=5)
            handoff(
                lead=lead, rep=other_rep, by=cast.marketer, team=other, created=later, status="accepted",
                decided_at=later + timedelta(hours=1), first_touch_due_at=later + timedelta(hours=9),
                first_touch_at=later + timedelta(hours=2),
            )  # fmt: skip
        else:
            handoff(lead=lead, rep=rep, by=cast.marketer, team=team, created=sent, status="expired")
    return leads


def period(teams) -> selectors.Scope:
    end = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return selectors.Scope(start=end - timedelta(days=30), end=end, teams=teams, now=NOW)


def scopes(cast) -> list[selectors.Scope]:
    return [period(None), period((cast.team.pk,)), period((cast.team.pk, cast.other_team.pk)), period(())]


def in_order(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: repr(sorted(row.items())))


def within_bound(exact: dict) -> dict:
    return {
        key: [None if h is None else pytest.approx(h, rel=sketch.RELATIVE_ERROR) for h in hours]
        for key, hours in exact.items()
    }


def read(scope, monkeypatch, how: str):
    """The lead cells, hand-off cells and service-level medians, read from the daily
    aggregates, the per-row rollups or the sources."""
    with monkeypatch.context() as patch:
        if how == "rows":
            patch.setattr(selectors, "_whole_days", lambda scope: None)
        current = how != "sources"
        return (
            selectors.lead_cells(scope=scope, current=current),
            in_order(selectors.handoff_cells(scope=scope, current=current)),
            selectors._sla_medians(scope, current),
        )


def test_the_aggregates_give_the_figures_of_the_rows_and_of_the_sources(cast, monkeypatch):
    varied(cast)
    rollups.refresh()
    for scope in scopes(cast):
        assert selectors._whole_days(scope) is not None
        days, rows, sources = (read(scope, monkeypatch, how) for how in ("days", "rows", "sources"))
        for exact in (rows, sources):
            assert days[0].cells == exact[0].cells
            assert days[0].cycles == exact[0].cycles
            assert days[1] == exact[1]
            assert dict(days[0].medians) == within_bound(dict(exact[0].medians))
            assert days[2] == {key: pytest.approx(h, rel=sketch.RELATIVE_ERROR) for key, h in exact[2].items()}
    everyone = read(period(None), monkeypatch, "days")[0]
    assert sum(counts[0] for counts in everyone.cells.values()) == 60
    assert set(everyone.cycles) == {0, 1, 2, 3}


def test_a_period_not_of_whole_days_reads_the_rows(cast):
    varied(cast)
    rollups.refresh()
    scope = period(None)
    assert selectors._whole_days(selectors.Scope(scope.start + timedelta(hours=5), scope.end, None, NOW)) is None
    with CaptureQueriesContext(connection) as queries:
        selectors.lead_cells(scope=selectors.Scope(scope.start + timedelta(hours=5), scope.end, None, NOW))
    assert not any(LeadDay._meta.db_table in q["sql"] for q in queries.captured_queries)


MODELS = (LeadDay, LeadDayBin, HandoffDay, HandoffDayBin, HandoffWeek)


def snapshot() -> dict:
    """Each aggregate's rows, with their ids, by (month row, day or week)."""
    rows = {}
    for model in MODELS:
        for row in model.objects.values():
            key = (model.__name__, row.get("month", False), row.get("day", row.get("week")))
            rows.setdefault(key, []).append(tuple(sorted(row.items())))
    return {key: sorted(value, key=repr) for key, value in rows.items()}


def without_ids(rows: dict) -> dict:
    return {
        key: sorted((tuple(item for item in row if item[0] != "id") for row in value), key=repr)
        for key, value in rows.items()
    }


def settled(cast) -> list:
    """The varied leads, refreshed, last changed long before the refresh's lookback (so a
    refresh looks again only at what is new)."""
    leads = varied(cast)
    Lead.objects.update(updated_at=timezone.now() - timedelta(days=1))
    rollups.refresh()
    RollupState.objects.filter(name=rollups.NAME).update(recheck_from=timezone.now())
    return leads


def test_a_refresh_after_new_events_recomputes_only_the_days_it_touched(cast):
    leads = settled(cast)
    before = snapshot()
    lead = leads[7]  # accepted; it is now qualified too
    day = lead.created_at.astimezone(UTC).date()
    LeadEvent.objects.create(
        lead=lead, kind="stage_changed", from_stage="accepted", to_stage="qualified", created_at=at(-1)
    )
    rollups.refresh()
    after = snapshot()
    touched = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    # The lead's day (its lead cells and durations, its hand-offs' rows), that day's month and
    # its week.
    assert ("LeadDay", False, day) in touched
    assert {key[2] for key in touched} <= {day, day.replace(day=1), aggregates.monday(day)}
    for key in set(before) - touched:
        assert before[key] == after[key]  # the same rows, ids and all
    assert len(set(before) - touched) > 40
    # What the refresh left is what a rebuild gives.
    rollups.rebuild()
    assert without_ids(snapshot()) == without_ids(after)


def test_a_refresh_with_nothing_new_changes_no_aggregate(cast):
    settled(cast)
    before = snapshot()
    rollups.refresh()
    assert snapshot() == before


def test_reading_the_aggregates_writes_nothing(cast):
    varied(cast)
    rollups.refresh()
    with CaptureQueriesContext(connection) as queries:
        for scope in scopes(cast):
            selectors.figures(scope=scope)
    statements = [q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries]
    assert set(statements) <= {"SELECT", "WITH"}
    assert any(LeadDay._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_a_deleted_campaign_and_team_leave_the_figures_the_rows_give(cast, monkeypatch):
    varied(cast)
    rollups.refresh()
    Campaign.objects.get(name="Spring").delete()
    cast.other_team.delete()  # cleared in place by the receivers, before any refresh
    for scope in (period(None), period((cast.team.pk,))):
        days, rows = read(scope, monkeypatch, "days"), read(scope, monkeypatch, "rows")
        assert (days[0].cells, days[0].cycles, days[1]) == (rows[0].cells, rows[0].cycles, rows[1])
        assert dict(days[0].medians) == within_bound(dict(rows[0].medians))
        assert overview_rows(scope, monkeypatch, "weeks", scope.start + timedelta(days=17)) == overview_rows(
            scope, monkeypatch, "rows", scope.start + timedelta(days=17)
        )


def overview_rows(scope, monkeypatch, how: str, split: datetime) -> list[dict]:
    """The overview's hand-off rows (by week and status, split at `split`), read from the week
    and day rows or from the per-row rollups."""
    with monkeypatch.context() as patch:
        if how == "rows":
            patch.setattr(selectors, "_whole_days", lambda scope: None)
        return in_order(selectors.handoff_cells(scope=scope, by_week=True, split=split, keys=("status",)))


def test_the_week_rows_give_the_overview_the_figures_of_the_rows(cast, monkeypatch):
    varied(cast)
    rollups.refresh()
    assert HandoffWeek.objects.count() < HandoffDay.objects.filter(month=False).count()
    end = period(None).end
    # Periods starting and ending on a Monday and mid-week, with hand-offs made just before and
    # after them.
    shorter = [
        selectors.Scope(start=end - timedelta(days=days + cut), end=end - timedelta(days=cut), teams=None, now=NOW)
        for days in (16, 17)
        for cut in (0, 3, 4)
    ]
    for scope in [*scopes(cast), *shorter]:
        # The split mid-week, on a Monday, and so near the start that no whole week precedes it.
        mondays = [
            scope.start + timedelta(days=d) for d in range(7, 14) if (scope.start + timedelta(days=d)).weekday() == 0
        ]
        for split in (scope.start + timedelta(days=2), scope.start + timedelta(days=17, hours=0), *mondays):
            with CaptureQueriesContext(connection) as queries:
                weeks = overview_rows(scope, monkeypatch, "weeks", split)
            assert HandoffWeek._meta.db_table in queries.captured_queries[-1]["sql"]
            assert weeks == overview_rows(scope, monkeypatch, "rows", split)
    everyone = overview_rows(period(None), monkeypatch, "weeks", period(None).start + timedelta(days=17))
    assert sum(row["n"] for row in everyone) == Handoff.objects.count()
    assert len({row["week"] for row in everyone}) >= 3


def test_a_rebuild_gives_the_week_rows_a_refresh_left(cast):
    varied(cast)
    rollups.refresh()
    refreshed = without_ids({k: v for k, v in snapshot().items() if k[0] == "HandoffWeek"})
    rollups.rebuild()
    assert without_ids({k: v for k, v in snapshot().items() if k[0] == "HandoffWeek"}) == refreshed
    assert refreshed


def test_the_sketch_median_is_within_its_bound():
    import random

    values = [random.Random(7).lognormvariate(10, 2) for _ in range(999)]
    values += [0.0, 0.3, 5.0]
    counts: dict[int, int] = {}
    for value in values:
        counts[sketch.bin_of(value)] = counts.get(sketch.bin_of(value), 0) + 1
    ordered = sorted(values)
    exact = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
    assert sketch.median(counts) == pytest.approx(exact, rel=sketch.RELATIVE_ERROR)
    assert sketch.median({}) is None
    assert sketch.RELATIVE_ERROR < 0.02
