"""Every figure of the alignment dashboard, each one a read scoped to the person asking and
aggregated in SQL: the number of queries is the same for ten leads as for a million.

Cohorts. Lead figures count the leads *created* in the period; hand-off figures count the
hand-offs *made* in the period; the hygiene audit is the state of things now, whatever the
period. A team filter (and a sales manager's scope) keeps the leads that were ever handed to
the team, the hand-offs made to it, and for the hygiene lists the leads and hand-offs the team
holds now.

Durations are clock time (not business hours). The figures read, as the beat task last left
them: for a period of whole UTC days (the dashboard's, in a UTC site), the daily aggregates
(insights.aggregates), whose counts are exact and whose medians come from mergeable histograms
within ±2 % (insights.sketch); for other periods, the lead journey and hand-off outcome rollups
(insights.rollups) with exact medians, the middle value(s) of each group taken from the sorted
durations one query reads (see _sorted_values). When the rollups are too far behind
(rollup_freshness), the same rows computed from the sources by the same SQL (insights.sql),
exact. Either way the same number of queries. No read writes.
"""

from __future__ import annotations

import sys
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from alignment import policies
from alignment.models import Membership, QualificationDefinition, RejectionReason, Team
from alignment.roles import Role, has_role, is_leader, is_marketing
from insights import aggregates, rollups, sketch, sql
from insights.models import RollupState
from leads.models import (
    SALES_STAGES,
    WORKING_STAGES,
    Campaign,
    DuplicateCandidate,
    Handoff,
    Lead,
    LeadEvent,
    Reminder,
    Source,
    Stage,
    Touch,
)

User = get_user_model()

DEFAULT_PERIOD_DAYS = 90
HYGIENE_LIST_LIMIT = 500

# The funnel's steps. A lead has reached a step when an event of its log moved it to that stage
# or to any stage further on (insights.sql.journey_select); "qualified" includes opportunities.
FUNNEL_STEPS: list[tuple[str, str]] = [
    ("new", "New"),
    ("mql", "MQL"),
    ("handed_off", "Handed off"),
    ("accepted", "Accepted"),
    ("qualified", "Qualified"),
    ("won", "Won"),
]
OPEN_STAGES = (Stage.NEW, Stage.NURTURING, Stage.MQL, *SALES_STAGES)


# --- Who sees what -----------------------------------------------------------------------------


def may_view_dashboard(user) -> bool:
    """Leaders, marketing (marketers included) and sales managers; never reps or people without
    a role."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or is_leader(user) or is_marketing(user) or has_role(user, Role.SALES_MANAGER)


def teams_visible_to(*, user) -> QuerySet[Team] | None:
    """None means every team (and the leads no team holds): leaders and marketing. A sales
    manager sees the sales teams they manage (alignment.policies)."""
    if not may_view_dashboard(user):
        raise PermissionDenied
    if policies.sees_everything(user):
        return None
    return policies.teams_managed_by(user)


@dataclass(frozen=True)
class Scope:
    """What a figure covers: the period [start, end) and the teams (None: all)."""

    start: datetime
    end: datetime
    teams: tuple[int, ...] | None
    now: datetime

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))


def scope_for(
    *,
    user,
    start: date | None = None,
    end: date | None = None,
    team: Team | None = None,
    now: datetime | None = None,
) -> Scope:
    """The viewer's scope. Dates are whole days in the site's time zone, `end` included. Raises
    PermissionDenied for reps, people without a role, and a team the viewer may not see."""
    now = now or timezone.now()
    visible = teams_visible_to(user=user)
    visible_ids = None if visible is None else tuple(visible.values_list("pk", flat=True))
    if team is not None:
        if visible_ids is not None and team.pk not in visible_ids:
            raise PermissionDenied
        teams: tuple[int, ...] | None = (team.pk,)
    else:
        teams = visible_ids
    today = timezone.localdate(now)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    tz = timezone.get_current_timezone()
    return Scope(
        start=datetime.combine(start, time.min, tzinfo=tz),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        teams=teams,
        now=now,
    )


# --- SQL helpers -------------------------------------------------------------------------------


def _fetch(query: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, list(params))
        return cursor.fetchall()


def _rate(part: int | float, whole: int | float) -> float | None:
    return None if not whole else part / whole


# --- Funnel and campaign quality ----------------------------------------------------------------


@dataclass
class FunnelRow:
    """One funnel: leads that reached each step, the conversion from the step before, and the
    median hours from the step before (among leads that reached both)."""

    key: int | None
    label: str
    counts: list[int]
    median_hours: list[float | None]

    @property
    def conversions(self) -> list[float | None]:
        return [None] + [_rate(self.counts[i], self.counts[i - 1]) for i in range(1, len(self.counts))]

    @property
    def steps(self) -> list[dict]:
        return [
            {"code": code, "label": label, "count": n, "conversion": conv, "median_hours": hours}
            for (code, label), n, conv, hours in zip(
                FUNNEL_STEPS, self.counts, self.conversions, self.median_hours, strict=True
            )
        ]


@dataclass
class Funnel:
    overall: FunnelRow
    by_source: list[FunnelRow]
    by_campaign: list[FunnelRow]
    # (source_id, campaign_id) -> counts per step; the campaign-quality figure reads it.
    cells: dict[tuple[int, int | None], list[int]] = field(default_factory=dict)


@dataclass
class LeadCells:
    """Leads created in the period, counted per (source, campaign, sourced_by, week) — week the
    Monday (UTC) of its creation — and per times recycled (`cycles`: 0-3, 3 meaning three or
    more), as [leads, reached MQL, handed off, accepted, qualified, won]; and the median hours
    between steps per dimension: (0, 0) all leads, (1, source id), (2, campaign id)."""

    cells: dict[tuple, list[int]]
    medians: dict[tuple[int, int], list[float | None]]
    cycles: dict[int, list[int]] = field(default_factory=dict)

    def total(self, keep=lambda key: True) -> list[int]:
        sums = [0] * len(FUNNEL_STEPS)
        for key, counts in self.cells.items():
            if keep(key):
                sums = [x + y for x, y in zip(sums, counts, strict=True)]
        return sums


def _lead_where(scope: Scope, created: str = "l.created_at", lead: str = "l.id") -> tuple[str, list]:
    """The leads created in the period (for teams: ever handed to them), given the columns of
    the lead's creation time and id."""
    where, params = _period(scope, created)
    if scope.teams is not None:
        if not scope.teams:
            return where + " AND 1 = 0", params
        marks = ", ".join(["%s"] * len(scope.teams))
        handoffs, h = sql.tables().handoff, sql.Columns(Handoff, "h")
        if lead == "l.id":
            where += f" AND EXISTS (SELECT 1 FROM {handoffs} h WHERE {h.lead} = {lead} AND {h.team} IN ({marks}))"
        else:
            # The rollup's rows of the leads handed to the teams, looked up by lead: far fewer
            # than the period's rows for one team.
            where += f" AND {lead} IN (SELECT {h.lead} FROM {handoffs} h WHERE {h.team} IN ({marks}))"
        params += list(scope.teams)
    return where, params


def _period(scope: Scope, column: str) -> tuple[str, list]:
    adapt = connection.ops.adapt_datetimefield_value
    return f"{column} >= %s AND {column} < %s", [adapt(scope.start), adapt(scope.end)]


@dataclass(frozen=True)
class Freshness:
    """Whether the figures read the rollups (`current`) and when those were last brought up to
    date (`as_of`: the start of the beat's last refresh; None before the first)."""

    current: bool
    as_of: datetime | None


def rollup_freshness() -> Freshness:
    """One read, no writes: the rollup state's watermarks against the latest lead event and
    reminder ids. The rollups are read, as of their last refresh, when that began at most
    rollups.MAX_AGE_ON_READ ago and at most rollups.MAX_PENDING_ON_READ events and reminders
    came after it; otherwise (the beat is behind, a large import just landed, never refreshed)
    the figures read the sources."""
    latest_event = LeadEvent.objects.order_by("-pk").values("pk")[:1]
    latest_reminder = Reminder.objects.order_by("-pk").values("pk")[:1]
    row = (
        RollupState.objects.filter(name=rollups.NAME)
        .annotate(latest_event=Subquery(latest_event), latest_reminder=Subquery(latest_reminder))
        .values_list("event_watermark", "reminder_watermark", "refreshed_at", "latest_event", "latest_reminder")
        .first()
    )
    if row is None or row[2] is None:
        return Freshness(current=False, as_of=None)
    watermark, reminder_watermark, as_of, latest_event_id, latest_reminder_id = row
    pending = max(0, (latest_event_id or 0) - watermark) + max(0, (latest_reminder_id or 0) - reminder_watermark)
    current = pending <= rollups.MAX_PENDING_ON_READ and as_of >= timezone.now() - rollups.MAX_AGE_ON_READ
    return Freshness(current=current, as_of=as_of)


def _current(current: bool | None) -> bool:
    return rollup_freshness().current if current is None else current


def _journeys(scope: Scope, current: bool) -> tuple[str, str, list]:
    """The lead journey rows of the period's leads, as `j`: FROM, WHERE and parameters. The
    rollup when it is current, otherwise the same rows computed from the leads and their event
    log (the funnel query, insights.sql.journey_select), filtered inside the derived table."""
    if current:
        where, params = _lead_where(scope, created="j.created_at", lead="j.lead_id")
        return f"{sql.tables().journey} j", where, params
    where, params = _lead_where(scope)
    return f"({sql.journey_select(where)}) j", "1 = 1", params


def lead_cells(
    *, scope: Scope, current: bool | None = None, medians: bool = True, split: datetime | None = None
) -> LeadCells | tuple[LeadCells, LeadCells]:
    """Every lead figure (funnel, campaign quality, active interest, recycling, close ratio,
    leads reps found) adds these cells up. A lead has reached a step at its first move to that
    stage or any further one. Read from the lead journey rollup when it is current (`current`
    says whether; by default rollup_freshness decides), otherwise the same rows from the event
    log: one query for the cells, one for the medians (left out when `medians` is False: the
    overview's tiles only count), either way.

    With `split` (a moment inside the scope; no medians), the same single query returns the
    cells of the leads created before it and of those created from it: (before, from)."""
    current = _current(current)
    days = _whole_days(scope) if current else None
    if days is not None:
        return _lead_cells_from_days(scope, days, medians=medians, split=split)
    journeys, where, params = _journeys(scope, current)
    n = len(FUNNEL_STEPS)
    # A step has a duration exactly when it was reached (the step before always was): the
    # counts read the covering index alone.
    counts = ", ".join(f"COUNT(j.secs_{step})" for step in sql.STEPS)
    flag, flag_params = _split_flag("j.created_at", split)
    cells_sql = (
        f"SELECT {flag}, j.source_id, j.campaign_id, j.sourced_by_id, j.cycles, j.week, COUNT(*), {counts} "
        f"FROM {journeys} WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    split_cells: tuple[dict, dict] = ({}, {})
    split_cycles: tuple[dict, dict] = ({}, {})
    step_medians: dict[tuple[int, int], list[float | None]] = defaultdict(lambda: [None] * n)
    for after, source, campaign, sourced_by, cycles, week, *values in _fetch(cells_sql, flag_params + params):
        key = (source, campaign, None if sourced_by is None else int(sourced_by), _date(week))
        _add(split_cells[int(after)], key, values)
        _add(split_cycles[int(after)], int(cycles), values)
    if split is not None:
        return tuple(LeadCells(split_cells[i], defaultdict(lambda: [None] * n), split_cycles[i]) for i in (0, 1))
    cells, by_cycles = split_cells[0], split_cycles[0]
    if medians:
        for (dim, key, k), secs in _journey_medians(journeys, where, params).items():
            step_medians[(dim, key)][k] = None if secs is None else float(secs) / 3600
    return LeadCells(cells=cells, medians=step_medians, cycles=by_cycles)


def _split_flag(column: str, split: datetime | date | None) -> tuple[str, list]:
    """A column that is 1 for the rows from `split` on, 0 before it (always 0 without one)."""
    if split is None:
        return "0", []
    if isinstance(split, datetime):
        return f"CASE WHEN {column} >= %s THEN 1 ELSE 0 END", [connection.ops.adapt_datetimefield_value(split)]
    return f"CASE WHEN {column} >= %s THEN 1 ELSE 0 END", [connection.ops.adapt_datefield_value(split)]


def _date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _add(cells: dict, key, values) -> None:
    total = cells.get(key)
    if total is None:
        cells[key] = [int(v) for v in values]
    else:
        cells[key] = [x + int(y) for x, y in zip(total, values, strict=True)]


# --- The daily aggregates: a period of whole days ----------------------------------------------------


def _whole_days(scope: Scope) -> tuple[date, date] | None:
    """The period as UTC days [first, last + 1) when it starts and ends at UTC midnights (the
    daily aggregates' days), else None: the figures then read the rows."""
    start, end = scope.start.astimezone(UTC), scope.end.astimezone(UTC)
    if start.time() != time.min or end.time() != time.min or end <= start:
        return None
    return start.date(), end.date()


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _spans(days: tuple[date, date], months: bool = True) -> tuple[str, list]:
    """The aggregate rows `a` of the period: its whole months from the month rows (`months`),
    the days before and after them from the day rows."""
    adapt = connection.ops.adapt_datefield_value
    start, end = days
    first = start if start.day == 1 else _next_month(start)
    last = end.replace(day=1)
    if not months:
        return "a.day >= %s AND a.day < %s", [adapt(start), adapt(end)]
    if first >= last:
        return "(a.month = FALSE AND a.day >= %s AND a.day < %s)", [adapt(start), adapt(end)]
    where = (
        "((a.month = TRUE AND a.day >= %s AND a.day < %s) "
        "OR (a.month = FALSE AND ((a.day >= %s AND a.day < %s) OR (a.day >= %s AND a.day < %s))))"
    )
    return where, [adapt(d) for d in (first, last, start, first, last, end)]


def _weeks_and_days(days: tuple[date, date], split: date | None) -> tuple[tuple[str, list] | None, tuple[str, list]]:
    """The hand-off aggregate rows of a period read by week: its whole weeks from the week rows
    `w`, but for the week the split falls inside (if it does not fall on a Monday); the days
    before, after and inside that week from the day rows `a`."""
    adapt = connection.ops.adapt_datefield_value
    start, end = days
    first, last = aggregates.monday(start + timedelta(days=6)), aggregates.monday(end)
    ranges = [(start, first), (last, end)] if first < last else [(start, end)]
    weeks = None
    if first < last:
        weeks = ("w.week >= %s AND w.week < %s", [adapt(first), adapt(last)])
        cut = aggregates.monday(split) if split is not None else None
        if cut is not None and cut != split and first <= cut < last:
            weeks = (weeks[0] + " AND w.week <> %s", [*weeks[1], adapt(cut)])
            ranges.append((cut, cut + timedelta(days=7)))
    ranges = [(a, b) for a, b in ranges if a < b]
    if not ranges:
        return weeks, ("1 = 0", [])
    where = " OR ".join(["(a.day >= %s AND a.day < %s)"] * len(ranges))
    return weeks, (f"a.month = FALSE AND ({where})", [adapt(day) for pair in ranges for day in pair])


def _lead_teams(scope: Scope) -> tuple[str, list]:
    """The lead aggregate rows `a` of the scope: every lead ("*"), or the leads whose set of
    teams holds one of the scope's (each lead is in one set)."""
    if scope.teams is None:
        return "a.teams = '*'", []
    if not scope.teams:
        return "1 = 0", []
    return "(" + " OR ".join(["a.teams LIKE %s"] * len(scope.teams)) + ")", [f"%,{int(t)},%" for t in scope.teams]


def _handoff_teams(scope: Scope, alias: str = "a") -> tuple[str, list]:
    if scope.teams is None:
        return "1 = 1", []
    if not scope.teams:
        return "1 = 0", []
    return f"{alias}.team_id IN ({', '.join(['%s'] * len(scope.teams))})", list(scope.teams)


def _lead_cells_from_days(
    scope: Scope, days: tuple[date, date], medians: bool = True, split: datetime | None = None
) -> LeadCells | tuple[LeadCells, LeadCells]:
    """lead_cells from the daily aggregates: one query for the cells, one for the medians."""
    t = sql.tables()
    span, span_params = _spans(days, months=False)
    teams, team_params = _lead_teams(scope)
    week = sql.week_of("a.day")
    sums = ", ".join(f"SUM(a.{count})" for count in sql.LEAD_DAY_COUNTS)
    flag, flag_params = _split_flag("a.day", None if split is None else split.astimezone(UTC).date())
    group = f"a.source_id, a.campaign_id, a.sourced_by_id, a.cycles, {week}"
    rows = _fetch(
        f"SELECT {flag}, {group}, {sums} FROM {t.lead_day} a WHERE {span} AND {teams} GROUP BY 1, 2, 3, 4, 5, 6",
        flag_params + span_params + team_params,
    )
    split_cells: tuple[dict, dict] = ({}, {})
    split_cycles: tuple[dict, dict] = ({}, {})
    for after, source, campaign, sourced_by, cycles, week_day, *values in rows:
        if cycles is None:
            key = (source, campaign, None if sourced_by is None else int(sourced_by), _date(week_day))
            _add(split_cells[int(after)], key, values)
        else:
            _add(split_cycles[int(after)], int(cycles), values)
    if split is not None:
        empty = len(FUNNEL_STEPS)
        return tuple(LeadCells(split_cells[i], defaultdict(lambda: [None] * empty), split_cycles[i]) for i in (0, 1))
    cells, by_cycles = split_cells[0], split_cycles[0]
    if not medians:
        return LeadCells(cells=cells, medians=defaultdict(lambda: [None] * len(FUNNEL_STEPS)), cycles=by_cycles)
    span, span_params = _spans(days)
    bins = _fetch(
        f"SELECT a.source_id, a.campaign_id, a.step, a.bin, SUM(a.count) FROM {t.lead_day_bin} a "
        f"WHERE {span} AND {teams} GROUP BY a.source_id, a.campaign_id, a.step, a.bin",
        span_params + team_params,
    )
    histograms: dict[tuple[int, int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for source, campaign, step, k, n in bins:
        if source is not None:
            histograms[(1, source, step)][k] += n
            histograms[(0, 0, step)][k] += n
        else:
            histograms[(2, campaign, step)][k] += n
    medians: dict[tuple[int, int], list[float | None]] = defaultdict(lambda: [None] * len(FUNNEL_STEPS))
    for (dim, key, step), counts in histograms.items():
        medians[(dim, key)][step] = sketch.median(counts) / 3600
    return LeadCells(cells=cells, medians=medians, cycles=by_cycles)


def _journey_medians(journeys: str, where: str, params: list) -> dict[tuple[int, int, int], float | None]:
    """Median seconds between steps of the journeys (`journeys`, as `j`) matching `where`, per
    (dim, key, step): (0, 0) all leads, (1, source id), (2, campaign id). The durations of each
    (source, campaign) cell are read sorted and merged per source, per campaign and overall."""
    cells = _sorted_values(
        journeys,
        where,
        params,
        ["j.source_id", "j.campaign_id"],
        [f"j.secs_{s}" for s in sql.STEPS],
    )
    groups: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for (source, campaign), lists in cells.items():
        for k, values in enumerate(lists, start=1):
            if not values:
                continue
            groups[(0, 0, k)] += values
            groups[(1, source, k)] += values
            if campaign is not None:
                groups[(2, campaign, k)] += values
    return {key: _middle(values) for key, values in groups.items()}


def _sorted_values(
    source: str, where: str, params: list, keys: list[str], columns: list[str]
) -> dict[tuple, list[list[float]]]:
    """Per distinct value of `keys` among the rows of `source` matching `where`, the values of
    each of `columns` that are not NULL, sorted: the exact medians are taken from them (merging
    sorted runs is cheap), which over 250,000 rows takes a fraction of the time of
    percentile_cont on PostgreSQL or of an ordered window on SQLite. PostgreSQL gathers each
    group's values; SQLite, which has no such aggregate, returns the rows and they are grouped
    here."""
    width = len(keys)
    if connection.vendor == "postgresql":
        # Each group's values come as one bytea of big-endian doubles (float8send), unpacked by
        # array.array: a fifth of the time of parsing the same values from text arrays.
        packed = ", ".join(f"string_agg(float8send({c}), ''::bytea) FILTER (WHERE {c} IS NOT NULL)" for c in columns)
        group = ", ".join(keys)
        query = f"SELECT {group}, {packed} FROM {source} WHERE {where} GROUP BY {group}"
        cells = {tuple(row[:width]): [_doubles(blob) for blob in row[width:]] for row in _fetch(query, params)}
    else:
        cells = {}
        query = f"SELECT {', '.join(keys + columns)} FROM {source} WHERE {where}"
        for row in _fetch(query, params):
            lists = cells.get(row[:width])
            if lists is None:
                lists = cells[row[:width]] = [[] for _ in columns]
            for values, value in zip(lists, row[width:], strict=True):
                if value is not None:
                    values.append(value)
    for lists in cells.values():
        for values in lists:
            values.sort()
    return cells


def _doubles(blob: bytes | None) -> list[float]:
    """The big-endian doubles PostgreSQL's float8send wrote, as floats."""
    if not blob:
        return []
    values = array("d", bytes(blob))
    if sys.byteorder == "little":
        values.byteswap()
    return values.tolist()


def _middle(values: list[float]) -> float:
    """The median of a non-empty list (sorted here; sorted runs make that a merge)."""
    values.sort()
    n = len(values)
    return (values[(n - 1) // 2] + values[n // 2]) / 2


def lead_cells_from_events(*, scope: Scope) -> LeadCells:
    """The lead cells computed from the leads and their event log, whatever the rollups hold."""
    return lead_cells(scope=scope, current=False)


def funnel(*, scope: Scope, cells: LeadCells | None = None) -> Funnel:
    """Leads created in the period: how many reached new → MQL → handed off → accepted →
    qualified → won, stage-to-stage conversion and the median time between steps, overall, per
    source and per campaign (leads without a campaign are left out of the campaign rows). The
    times come from the stage changes in the lead event log."""
    cells = cells or lead_cells(scope=scope)
    keys = list(cells.cells)
    sources, campaigns = {k[0] for k in keys}, {k[1] for k in keys if k[1]}
    names = _names(sources=sources, campaigns=campaigns)
    overall = FunnelRow(None, "All leads", cells.total(), cells.medians[(0, 0)])
    by_source = [
        FunnelRow(s, names["source"].get(s, "?"), cells.total(lambda k, s=s: k[0] == s), cells.medians[(1, s)])
        for s in sorted(sources, key=lambda s: names["source"].get(s, ""))
    ]
    by_campaign = [
        FunnelRow(c, names["campaign"].get(c, "?"), cells.total(lambda k, c=c: k[1] == c), cells.medians[(2, c)])
        for c in sorted(campaigns, key=lambda c: names["campaign"].get(c, ""))
    ]
    by_cell: dict[tuple[int, int | None], list[int]] = {}
    for key, counts in cells.cells.items():
        total = by_cell.setdefault(key[:2], [0] * len(counts))
        by_cell[key[:2]] = [x + y for x, y in zip(total, counts, strict=True)]
    return Funnel(overall=overall, by_source=by_source, by_campaign=by_campaign, cells=by_cell)


def _names(*, sources=(), campaigns=()) -> dict[str, dict]:
    return {
        "source": dict(Source.objects.filter(pk__in=list(sources)).values_list("pk", "name")),
        "campaign": dict(Campaign.objects.filter(pk__in=list(campaigns)).values_list("pk", "name")),
    }


@dataclass
class CampaignQuality:
    """A campaign (or a source's leads without a campaign): leads created in the period
    (volume), leads handed off and accepted, acceptance rate (accepted ÷ handed off), the
    rejection reasons given on its hand-offs, wins, and the campaign's cost per accepted lead
    (its whole recorded cost, not prorated to the period)."""

    source: str
    campaign: str
    campaign_id: int | None
    volume: int
    handed_off: int
    accepted: int
    won: int
    cost: float | None
    reasons: list[tuple[str, int]]

    @property
    def acceptance_rate(self) -> float | None:
        return _rate(self.accepted, self.handed_off)

    @property
    def win_rate(self) -> float | None:
        return _rate(self.won, self.volume)

    @property
    def cost_per_accepted(self) -> float | None:
        if self.cost is None or not self.accepted:
            return None
        return self.cost / self.accepted


def campaign_quality(
    *, scope: Scope, funnel_figure: Funnel | None = None, current: bool | None = None
) -> list[CampaignQuality]:
    """Per campaign and source, most leads first. Reuses the funnel's counts when given."""
    current = _current(current)
    cells = (funnel_figure or funnel(scope=scope, cells=lead_cells(scope=scope, current=current))).cells
    where, params = _lead_where(scope, created="o.lead_created_at", lead="o.lead_id")
    rejected = _fetch(
        f"SELECT o.source_id, o.campaign_id, o.reason_id, COUNT(*) FROM {_outcomes(current)} "
        f"WHERE {where} AND o.reason_id IS NOT NULL "
        f"GROUP BY o.source_id, o.campaign_id, o.reason_id",
        params,
    )
    labels = dict(RejectionReason.objects.filter(pk__in={r for _, _, r, _ in rejected}).values_list("pk", "label"))
    reasons: dict[tuple[int, int | None], list[tuple[str, int]]] = defaultdict(list)
    for source_id, campaign_id, reason_id, n in sorted(rejected, key=lambda r: (-r[3], labels[r[2]])):
        reasons[(source_id, campaign_id)].append((labels[reason_id], n))
    sources = dict(Source.objects.filter(pk__in={s for s, _ in cells}).values_list("pk", "name"))
    campaigns = {
        c.pk: c for c in Campaign.objects.filter(pk__in={c for _, c in cells if c}).only("name", "cost", "source_id")
    }
    rows = []
    for (source_id, campaign_id), counts in cells.items():
        campaign = campaigns.get(campaign_id)
        rows.append(
            CampaignQuality(
                source=sources.get(source_id, "?"),
                campaign=campaign.name if campaign else "(no campaign)",
                campaign_id=campaign_id,
                volume=counts[0],
                handed_off=counts[2],
                accepted=counts[3],
                won=counts[5],
                cost=float(campaign.cost) if campaign else None,
                reasons=reasons.get((source_id, campaign_id), []),
            )
        )
    return sorted(rows, key=lambda r: (-r.volume, r.source, r.campaign))


# --- Active interest, grade and bucket mix ---------------------------------------------------------


@dataclass
class InterestWeek:
    week: date
    active: int
    passive: int
    # The week runs past the end of the period or past today (the current, unfinished week), or
    # began before the period: its share is of the days it has, not of a whole week.
    partial: bool = False

    @property
    def total(self) -> int:
        return self.active + self.passive

    @property
    def active_share(self) -> float | None:
        return _rate(self.active, self.total)


def interest_share(*, scope: Scope, cells: LeadCells | None = None) -> list[InterestWeek]:
    """New leads per week (weeks start on Monday, UTC) from active-interest and from
    passive-interest sources; the share of active interest is measured against 50 %."""
    cells = cells or lead_cells(scope=scope)
    interest = dict(Source.objects.filter(pk__in={k[0] for k in cells.cells}).values_list("pk", "interest"))
    return _interest_weeks(scope, cells, interest)


def _interest_weeks(scope: Scope, cells: LeadCells, interest: dict[int, str]) -> list[InterestWeek]:
    weeks: dict[date, InterestWeek] = {}
    for (source_id, _, _, week), counts in cells.cells.items():
        entry = weeks.setdefault(week, InterestWeek(week, 0, 0, partial=week_is_partial(scope, week)))
        if interest.get(source_id) == Source.Interest.ACTIVE:
            entry.active += counts[0]
        else:
            entry.passive += counts[0]
    return [weeks[week] for week in sorted(weeks)]


def week_is_partial(scope: Scope, week: date) -> bool:
    """Whether the week starting that Monday (UTC) is only partly inside the period, or not over
    yet."""
    start = datetime.combine(week, time.min, tzinfo=UTC)
    return start < scope.start or start + timedelta(days=7) > min(scope.end, scope.now)


def interest_totals(weeks: list[InterestWeek]) -> InterestWeek | None:
    if not weeks:
        return None
    return InterestWeek(weeks[0].week, sum(w.active for w in weeks), sum(w.passive for w in weeks))


@dataclass
class Mix:
    """Hand-offs made in the period, and those of them accepted, per grade and per bucket their
    lead had when it was handed off (what marketing sent, whatever it is graded now)."""

    grades: dict[str, tuple[int, int]]  # grade -> (handed off, accepted)
    buckets: dict[str, tuple[int, int]]

    @staticmethod
    def shares(counts: dict[str, tuple[int, int]], index: int) -> dict[str, float | None]:
        total = sum(pair[index] for pair in counts.values())
        return {key: _rate(pair[index], total) for key, pair in counts.items()}


GRADE_KEYS = ["A", "B", "C", "D", ""]
BUCKET_KEYS = ["hot", "warm", "cold", "unqualified", ""]


def grade_bucket_mix(*, scope: Scope, handoff_rows: list[dict] | None = None) -> Mix:
    rows = handoff_rows if handoff_rows is not None else handoff_cells(scope=scope)
    grades = {g: [0, 0] for g in GRADE_KEYS}
    buckets = {b: [0, 0] for b in BUCKET_KEYS}
    for row in rows:
        accepted = row["n"] if row["status"] == Handoff.Status.ACCEPTED else 0
        for target, key in ((grades, row["grade"]), (buckets, row["bucket"])):
            pair = target.setdefault(key or "", [0, 0])
            pair[0] += row["n"]
            pair[1] += accepted
    return Mix(
        grades={k: tuple(v) for k, v in grades.items() if k or v[0]},
        buckets={k: tuple(v) for k, v in buckets.items() if k or v[0]},
    )


def _outcomes(current: bool) -> str:
    """The hand-off outcome rows, as `o`: the rollup when it is current, otherwise the same rows
    computed from the hand-offs, their leads and reminders (the conditions on `o` reach into
    that derived table)."""
    return f"{sql.tables().outcome} o" if current else f"({sql.outcome_select('1 = 1')}) o"


def _handoff_where(scope: Scope) -> tuple[str, list]:
    """The hand-offs made in the period (for teams: made to them)."""
    where, params = _period(scope, "o.created_at")
    if scope.teams is not None:
        if not scope.teams:
            return where + " AND 1 = 0", params
        where += f" AND o.team_id IN ({', '.join(['%s'] * len(scope.teams))})"
        params += list(scope.teams)
    return where, params


HANDOFF_KEYS = sql.HANDOFF_KEYS
HANDOFF_FLAGS = ("override", "won", "marketing")
HANDOFF_COUNTS = sql.HANDOFF_COUNTS
# The keys of HANDOFF_KEYS the week rows (insights.HandoffWeek) keep.
WEEK_KEYS = {"team_id", "status"}


def _summed(
    scope: Scope, alias: str, rows: tuple[str, list], names, by_week: bool, split_day: date | None
) -> tuple[str, list]:
    """The SELECT (to be grouped) of the hand-off aggregate rows `rows` of the day rows ("a") or
    the week rows ("w"), in the columns of handoff_cells."""
    table, day = (sql.tables().handoff_week, "w.week") if alias == "w" else (sql.tables().handoff_day, "a.day")
    where, params = rows
    columns = [*(f"{alias}.{key}" for key in names), f"{alias}.override", f"{alias}.won"]
    columns.append(f"{alias}.sourced_by_id IS NULL")
    if by_week:
        columns.append(day if alias == "w" else sql.week_of(day))
    flag, flag_params = _split_flag(day, split_day)
    columns.append(flag)
    teams, team_params = _handoff_teams(scope, alias)
    sums = ", ".join(f"SUM({alias}.{count})" for count in HANDOFF_COUNTS)
    return (
        f"SELECT {', '.join(columns)}, {sums} FROM {table} {alias} WHERE {where} AND {teams}",
        [*flag_params, *params, *team_params],
    )


def handoff_cells(
    *,
    scope: Scope,
    current: bool | None = None,
    by_week: bool = False,
    split: datetime | None = None,
    keys: tuple[str, ...] = HANDOFF_KEYS,
) -> list[dict]:
    """One pass over the hand-offs made in the period (one query): counts per rep, team, grade
    and bucket the lead was sent with, status, reason, definition version, override, whether
    the lead was won and whether marketing found it, with how many were judged against and met
    each service level and the reminders and escalations they drew. The hand-off figures (mix,
    reasons, service levels, definitions, close ratios per rep) add these rows up. Read from
    the hand-off outcome rollup when it is current: for a period of whole days, from its daily
    aggregates, beside the outcome rows whose counts depend on the time of reading. `by_week`
    adds the Monday (UTC) of the week each hand-off was made in, as "week" (the overview's
    sparklines). With `split` (a moment inside the scope), each row also says whether its
    hand-offs were made from that moment on ("after"), in the same single query. `keys` narrows
    the grouping to some of HANDOFF_KEYS (the overview needs the status alone: far fewer rows)."""
    current = _current(current)
    now = connection.ops.adapt_datetimefield_value(scope.now)
    where, params = _handoff_where(scope)
    names = keys
    columns = [*(f"o.{key}" for key in names), "o.override", "o.won", "o.sourced_by_id IS NULL"]
    if by_week:
        columns.append(sql.week("o.created_at"))
    flag, flag_params = _split_flag("o.created_at", split)
    columns.append(flag)
    group = ", ".join(columns)
    by = ", ".join(str(i) for i in range(1, len(columns) + 1))
    counts = ", ".join(sql.handoff_counts())
    days = _whole_days(scope) if current else None
    if days is None:
        query = f"SELECT {group}, {counts} FROM {_outcomes(current)} WHERE {where} GROUP BY {by}"
        params = [*flag_params, now, now, *params]
    else:
        split_day = None if split is None else split.astimezone(UTC).date()
        if by_week and set(names) <= WEEK_KEYS:
            weeks, day_rows = _weeks_and_days(days, split_day)
        else:  # split, the month rows could straddle the moment: the day rows alone
            weeks, day_rows = None, _spans(days, months=split is None)
        parts = [_summed(scope, "a", day_rows, names, by_week, split_day)]
        if weeks is not None:
            parts.append(_summed(scope, "w", weeks, names, by_week, split_day))
        query = " UNION ALL ".join(
            [
                *(f"{part} GROUP BY {by}" for part, _ in parts),
                f"SELECT {group}, {counts} FROM {_outcomes(True)} WHERE {where} AND {sql.unsettled()} GROUP BY {by}",
            ]
        )
        params = [*(p for _, part_params in parts for p in part_params), *flag_params, now, now, *params]
    width, extra = len(names), 2 if by_week else 1
    rows: dict[tuple, dict] = {}
    for row in _fetch(query, params):
        key = (*row[:width], *(bool(value) for value in row[width : width + 3]))
        if by_week:
            key = (*key, _date(row[width + 3]))
        key = (*key, bool(int(row[width + extra + 2])))
        values = [int(value) for value in row[width + 3 + extra :]]
        if key in rows:  # the same key among the aggregates and the unsettled rows
            for count, value in zip(HANDOFF_COUNTS, values, strict=True):
                rows[key][count] += value
            continue
        rows[key] = {
            **dict(zip(names, key[:width], strict=True)),
            **dict(zip(HANDOFF_FLAGS, key[width : width + 3], strict=True)),
            **dict(zip(HANDOFF_COUNTS, values, strict=True)),
            **({"week": key[-2]} if by_week else {}),
            "after": key[-1],
        }
    return list(rows.values())


# --- Rejection reasons -------------------------------------------------------------------------


@dataclass
class ReasonCount:
    code: str
    label: str
    phase: str
    count: int
    cumulative_share: float = 0.0


def rejection_pareto(*, scope: Scope, handoff_rows: list[dict] | None = None) -> dict[str, list[ReasonCount]]:
    """Reasons given on hand-offs made in the period, most frequent first with the cumulative
    share, split into before working (rejected hand-offs) and after working (accepted leads
    given up)."""
    rows = handoff_rows if handoff_rows is not None else handoff_cells(scope=scope)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        if row["reason_id"] is not None:
            counts[row["reason_id"]] += row["n"]
    reasons = {r.pk: r for r in RejectionReason.objects.filter(pk__in=list(counts))}
    result: dict[str, list[ReasonCount]] = {phase: [] for phase in RejectionReason.Phase.values}
    for pk, n in sorted(counts.items(), key=lambda item: (-item[1], reasons[item[0]].label)):
        reason = reasons[pk]
        result[reason.phase].append(ReasonCount(reason.code, reason.label, reason.phase, n))
    for listed in result.values():
        total, running = sum(r.count for r in listed), 0
        for reason in listed:
            running += reason.count
            reason.cumulative_share = running / total
    return result


# --- Service levels ------------------------------------------------------------------------------


@dataclass
class SlaRow:
    """A rep's (or a team's) hand-offs made in the period: median hours to accept and from
    acceptance to first touch, the share decided within the accept time (among those decided,
    expired or still pending past due) and touched within the first-touch time (among accepted
    ones touched or past due), and the reminders and escalations their hand-offs drew."""

    key: int | None
    label: str
    handoffs: int = 0
    accept_judged: int = 0
    accept_in_time: int = 0
    touch_judged: int = 0
    touch_in_time: int = 0
    reminders: int = 0
    escalations: int = 0
    median_accept_hours: float | None = None
    median_touch_hours: float | None = None

    @property
    def accept_share(self) -> float | None:
        return _rate(self.accept_in_time, self.accept_judged)

    @property
    def touch_share(self) -> float | None:
        return _rate(self.touch_in_time, self.touch_judged)

    @property
    def breaches(self) -> int:
        return (self.accept_judged - self.accept_in_time) + (self.touch_judged - self.touch_in_time)

    def add(self, other: SlaRow) -> None:
        for name in ("handoffs", "accept_judged", "accept_in_time", "touch_judged", "touch_in_time"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reminders += other.reminders
        self.escalations += other.escalations


@dataclass
class Sla:
    reps: list[SlaRow]
    teams: list[SlaRow]

    @property
    def overall(self) -> SlaRow:
        """Every hand-off of the figure (each is in one team's row), as sla_overall counts them."""
        total = SlaRow(None, "All hand-offs")
        for row in self.teams:
            total.add(row)
        return total


def sla_overall(handoff_rows: list[dict]) -> SlaRow:
    """Every hand-off the service-level figure counts, as one row (the overview's tile and the
    figure page's total)."""
    total = SlaRow(None, "All hand-offs")
    for cell in _sla_cells(handoff_rows).values():
        total.add(cell)
    return total


def _sla_cells(rows: list[dict]) -> dict[tuple[int, int | None], SlaRow]:
    """The service-level counts per (rep, team) of the hand-off rows; withdrawn hand-offs are
    left out (nobody was asked to decide them)."""
    cells: dict[tuple[int, int | None], SlaRow] = {}
    for row in rows:
        if row["status"] == Handoff.Status.WITHDRAWN:
            continue
        cell = cells.setdefault((row.get("assigned_to_id"), row.get("team_id")), SlaRow(None, ""))
        cell.add(
            SlaRow(
                None,
                "",
                handoffs=row["n"],
                accept_judged=row["accept_judged"],
                accept_in_time=row["accept_in_time"],
                touch_judged=row["touch_judged"],
                touch_in_time=row["touch_in_time"],
                reminders=row["reminders"],
                escalations=row["escalations"],
            )
        )
    return cells


def sla_compliance(*, scope: Scope, handoff_rows: list[dict] | None = None, current: bool | None = None) -> Sla:
    rows = handoff_rows if handoff_rows is not None else handoff_cells(scope=scope, current=current)
    cells = _sla_cells(rows)
    medians = _sla_medians(scope, current)
    people = _people({rep for rep, _ in cells})
    team_names = dict(Team.objects.filter(pk__in={t for _, t in cells if t}).values_list("pk", "name"))
    reps: dict[int, SlaRow] = {}
    teams: dict[int | None, SlaRow] = {}
    for (rep, team), cell in cells.items():
        reps.setdefault(rep, SlaRow(rep, people.get(rep, "?"))).add(cell)
        teams.setdefault(team, SlaRow(team, team_names.get(team, "(no team)"))).add(cell)
    for row in reps.values():
        row.median_accept_hours = medians.get((0, row.key, 0))
        row.median_touch_hours = medians.get((0, row.key, 1))
    for row in teams.values():
        row.median_accept_hours = medians.get((1, row.key, 0))
        row.median_touch_hours = medians.get((1, row.key, 1))
    return Sla(
        reps=sorted(reps.values(), key=lambda r: r.label.casefold()),
        teams=sorted(teams.values(), key=lambda r: r.label.casefold()),
    )


def _sla_medians(scope: Scope, current: bool | None = None) -> dict[tuple[int, int | None, int], float]:
    """Median hours of the accepted hand-offs made in the period, per (dim, key, k): per rep
    (dim 0) and per team (dim 1), to accept (k 0) and from acceptance to first touch (k 1).
    Exact from the rows, or from the daily histograms (within ±2 %) for a period of whole days."""
    current = _current(current)
    days = _whole_days(scope) if current else None
    if days is not None:
        span, params = _spans(days)
        teams, team_params = _handoff_teams(scope)
        histograms: dict[tuple[int, int | None, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for rep, team, k, b, n in _fetch(
            f"SELECT a.assigned_to_id, a.team_id, a.k, a.bin, SUM(a.count) FROM {sql.tables().handoff_day_bin} a "
            f"WHERE {span} AND {teams} GROUP BY a.assigned_to_id, a.team_id, a.k, a.bin",
            params + team_params,
        ):
            histograms[(0, rep, k)][b] += n
            histograms[(1, team, k)][b] += n
        return {key: sketch.median(counts) / 3600 for key, counts in histograms.items()}
    where, params = _handoff_where(scope)
    cells = _sorted_values(
        _outcomes(current),
        f"{where} AND o.status = '{Handoff.Status.ACCEPTED}'",
        params,
        ["o.assigned_to_id", "o.team_id"],
        ["o.accept_secs", "o.touch_secs"],
    )
    merged: dict[tuple[int, int | None, int], list[float]] = defaultdict(list)
    for (rep, team), lists in cells.items():
        for k, values in enumerate(lists):
            merged[(0, rep, k)] += values
            merged[(1, team, k)] += values
    return {key: _middle(values) / 3600 for key, values in merged.items() if values}


def _full_name():
    from django.db.models import Value
    from django.db.models.functions import Concat

    return Concat("first_name", Value(" "), "last_name")


# --- Recycling and rep skills ------------------------------------------------------------------------


@dataclass
class Recycling:
    """Leads created in the period by how often they went back to nurture (0, 1, 2, 3 or more),
    with the wins among them (leads that reached "won"); the share of wins from leads cycled
    twice or more."""

    leads: dict[int, int]  # cycles (3 = three or more) -> leads
    wins: dict[int, int]

    @property
    def won(self) -> int:
        return sum(self.wins.values())

    @property
    def wins_from_twice_or_more(self) -> int:
        return self.wins[2] + self.wins[3]

    @property
    def share_of_wins_cycled_twice(self) -> float | None:
        return _rate(self.wins_from_twice_or_more, self.won)


def recycling(*, scope: Scope, cells: LeadCells | None = None) -> Recycling:
    cells = cells or lead_cells(scope=scope)
    leads, wins = dict.fromkeys(range(4), 0), dict.fromkeys(range(4), 0)
    for cycles, counts in cells.cycles.items():
        leads[cycles] += counts[0]
        wins[cycles] += counts[-1]
    return Recycling(leads=leads, wins=wins)


@dataclass
class RepSkill:
    """Finding vs closing: leads the rep found themselves (created in the period; for a team,
    those handed to it) and how many of them were won, beside the marketing leads they accepted
    (accepted hand-offs made in the period, lead not self-sourced) and how many of those are
    won."""

    rep_id: int
    name: str
    sourced: int = 0
    sourced_won: int = 0
    marketing_accepted: int = 0
    marketing_won: int = 0

    @property
    def close_ratio(self) -> float | None:
        return _rate(self.marketing_won, self.marketing_accepted)


def rep_skills(
    *, scope: Scope, cells: LeadCells | None = None, handoff_rows: list[dict] | None = None
) -> list[RepSkill]:
    cells = cells or lead_cells(scope=scope)
    handoff_rows = handoff_rows if handoff_rows is not None else handoff_cells(scope=scope)
    rows: dict[int, RepSkill] = {}
    for (_, _, sourced_by, _), counts in cells.cells.items():
        if sourced_by is not None:
            skill = rows.setdefault(sourced_by, RepSkill(sourced_by, ""))
            skill.sourced += counts[0]
            skill.sourced_won += counts[-1]
    for row in handoff_rows:
        if row["status"] == Handoff.Status.ACCEPTED and row["marketing"]:
            skill = rows.setdefault(row["assigned_to_id"], RepSkill(row["assigned_to_id"], ""))
            skill.marketing_accepted += row["n"]
            skill.marketing_won += row["n"] if row["won"] else 0
    names = _people(rows)
    for skill in rows.values():
        skill.name = names.get(skill.rep_id, "?")
    return sorted(rows.values(), key=lambda r: r.name.casefold())


def _people(ids) -> dict[int, str]:
    return {
        pk: full.strip() or username
        for pk, full, username in User.objects.filter(pk__in=list(ids))
        .annotate(full=_full_name())
        .values_list("pk", "full", "username")
    }


@dataclass
class MarketingCloseRatio:
    """Marketing leads (not self-sourced) created in the period, how many sales accepted and how
    many were won (both read from the event log): the close ratio is won ÷ accepted."""

    volume: int
    accepted: int
    won: int

    @property
    def close_ratio(self) -> float | None:
        return _rate(self.won, self.accepted)


def marketing_close_ratio(*, scope: Scope, cells: LeadCells | None = None) -> MarketingCloseRatio:
    cells = cells or lead_cells(scope=scope)
    counts = cells.total(lambda key: key[2] is None)
    return MarketingCloseRatio(volume=counts[0], accepted=counts[3], won=counts[5])


# --- Hygiene audit -------------------------------------------------------------------------------

HYGIENE_CODES = ["no_touch", "departed_owner", "duplicates", "never_closed", "overdue_handoffs", "unchanged"]


def hygiene_titles() -> dict[str, str]:
    """Each check's title, with the thresholds in force (ACCORD_NO_TOUCH_DAYS and
    ACCORD_UNCHANGED_DAYS)."""
    return {
        "no_touch": f"Accepted leads with no touch in {settings.ACCORD_NO_TOUCH_DAYS} days",
        "departed_owner": "Open leads owned by people who left",
        "duplicates": "Open duplicate candidates",
        "never_closed": "Leads worked and disqualified, hand-off never closed",
        "overdue_handoffs": "Hand-offs pending past their accept time",
        "unchanged": f"Open leads whose stage has not changed in {settings.ACCORD_UNCHANGED_DAYS} days",
    }


def _leads_of_teams(leads: QuerySet[Lead], scope: Scope, path: str = "team_id") -> QuerySet:
    return leads if scope.teams is None else leads.filter(**{f"{path}__in": scope.teams})


def hygiene_list(*, scope: Scope, check: str) -> QuerySet:
    """The records failing one check, now (the period does not apply): a queryset of leads, of
    hand-offs (overdue_handoffs) or of duplicate candidates (duplicates)."""
    now = scope.now
    if check == "no_touch":
        cutoff = now - timedelta(days=settings.ACCORD_NO_TOUCH_DAYS)
        # NOT IN over the few recent touches, rather than a lookup per worked lead.
        recent = Touch.objects.filter(happened_at__gte=cutoff).values("lead_id")
        leads = Lead.objects.filter(stage__in=WORKING_STAGES, stage_changed_at__lt=cutoff).exclude(pk__in=recent)
        return _leads_of_teams(leads, scope).order_by("stage_changed_at", "id")
    if check == "departed_owner":
        current = Membership.objects.filter(user=OuterRef("pk"), ended_at__isnull=True)
        ended = Membership.objects.filter(user=OuterRef("pk"), ended_at__isnull=False)
        # The few people who left first, then their leads through the owner index.
        departed = User.objects.filter(Q(is_active=False) | (Exists(ended) & ~Exists(current))).values("pk")
        leads = Lead.objects.filter(owner_id__in=departed, stage__in=OPEN_STAGES)
        return _leads_of_teams(leads, scope).order_by("owner_id", "id")
    if check == "duplicates":
        duplicates = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
        return _leads_of_teams(duplicates, scope, "lead__team_id").order_by("-found_at", "-id")
    if check == "never_closed":
        open_accepted = Handoff.objects.filter(
            lead=OuterRef("pk"), status=Handoff.Status.ACCEPTED, closed_at__isnull=True
        )
        leads = Lead.objects.filter(stage=Stage.DISQUALIFIED).filter(Exists(open_accepted))
        if scope.teams is not None:
            leads = leads.filter(Exists(open_accepted.filter(team_id__in=scope.teams)))
        return leads.order_by("stage_changed_at", "id")
    if check == "overdue_handoffs":
        handoffs = Handoff.objects.filter(status=Handoff.Status.PENDING, accept_due_at__lt=now)
        return _leads_of_teams(handoffs, scope).order_by("accept_due_at", "id")
    if check == "unchanged":
        cutoff = now - timedelta(days=settings.ACCORD_UNCHANGED_DAYS)
        leads = Lead.objects.filter(stage__in=OPEN_STAGES, stage_changed_at__lt=cutoff)
        return _leads_of_teams(leads, scope).order_by("stage_changed_at", "id")
    raise KeyError(check)


def hygiene_counts(*, scope: Scope) -> dict[str, int]:
    """How many records fail each check: one count query per check."""
    return {check: hygiene_list(scope=scope, check=check).order_by().count() for check in HYGIENE_CODES}


# --- Definition effectiveness ----------------------------------------------------------------------


@dataclass
class DefinitionRow:
    """Hand-offs made in the period under one definition version, sales-ready ones beside
    overridden ones: how many, accepted and won (acceptance and win rate over hand-offs)."""

    definition_id: int | None
    label: str
    ready: tuple[int, int, int]  # hand-offs, accepted, won
    overridden: tuple[int, int, int]

    @staticmethod
    def rates(triple: tuple[int, int, int]) -> tuple[float | None, float | None]:
        return _rate(triple[1], triple[0]), _rate(triple[2], triple[0])

    @property
    def ready_rates(self):
        return self.rates(self.ready)

    @property
    def overridden_rates(self):
        return self.rates(self.overridden)


def definition_effectiveness(*, scope: Scope, handoff_rows: list[dict] | None = None) -> list[DefinitionRow]:
    rows = handoff_rows if handoff_rows is not None else handoff_cells(scope=scope)
    cells: dict[int | None, dict[bool, list[int]]] = defaultdict(lambda: {False: [0, 0, 0], True: [0, 0, 0]})
    for row in rows:
        triple = cells[row["definition_id"]][bool(row["override"])]
        triple[0] += row["n"]
        if row["status"] == Handoff.Status.ACCEPTED:
            triple[1] += row["n"]
            triple[2] += row["n"] if row["won"] else 0
    labels = {d.pk: str(d) for d in QualificationDefinition.objects.filter(pk__in=[k for k in cells if k])}
    result = [
        DefinitionRow(key, labels.get(key, "No definition in force"), tuple(pair[False]), tuple(pair[True]))
        for key, pair in cells.items()
    ]
    return sorted(result, key=lambda r: -(r.definition_id or 0))


# --- The overview --------------------------------------------------------------------------------


def previous_scope(scope: Scope) -> Scope:
    """The period of the same length just before the scope's, for the same teams."""
    length = scope.end - scope.start
    return Scope(start=scope.start - length, end=scope.start, teams=scope.teams, now=scope.now)


def handoff_acceptance(handoff_rows: list[dict]) -> tuple[int, int]:
    """(accepted, made): hand-offs made in the period and how many of them sales accepted (the
    acceptance of the definition figure, over all its versions)."""
    made = sum(row["n"] for row in handoff_rows)
    accepted = sum(row["n"] for row in handoff_rows if row["status"] == Handoff.Status.ACCEPTED)
    return accepted, made


@dataclass
class OverviewInputs:
    """What the overview's tiles are computed from, for one period: the lead cells (without
    medians), the hand-off rows per week, and the period's interest weeks."""

    scope: Scope
    cells: LeadCells
    handoff_rows: list[dict]
    weeks: list[InterestWeek]


def overview_inputs(*, scope: Scope, freshness: Freshness | None = None) -> tuple[OverviewInputs, OverviewInputs]:
    """The inputs of the period and of the one before it: one read of the lead cells and one of
    the hand-off rows over both periods, split at the period's start, and one of the sources'
    interest, whatever the number of leads."""
    current = (freshness or rollup_freshness()).current
    before = previous_scope(scope)
    both = Scope(start=before.start, end=scope.end, teams=scope.teams, now=scope.now)
    cells = lead_cells(scope=both, current=current, medians=False, split=scope.start)
    rows = handoff_cells(scope=both, current=current, by_week=True, split=scope.start, keys=("status",))
    read = [
        (period, cells[after], [row for row in rows if row["after"] == bool(after)])
        for period, after in ((scope, 1), (before, 0))
    ]
    sources = {key[0] for _, period_cells, _ in read for key in period_cells.cells}
    interest = dict(Source.objects.filter(pk__in=sources).values_list("pk", "interest"))
    return tuple(
        OverviewInputs(period, cells, rows, _interest_weeks(period, cells, interest)) for period, cells, rows in read
    )


# --- Everything at once ------------------------------------------------------------------------

FIGURES: dict[str, str] = {
    "funnel": "Funnel: where leads go",
    "campaigns": "Campaign quality",
    "interest": "Active-interest share of new leads",
    "mix": "Grade and bucket mix of handed-off and accepted leads",
    "reasons": "Rejection reasons",
    "sla": "Service levels per team and rep",
    "recycling": "Recycling",
    "skills": "Rep skills: finding and closing",
    "hygiene": "Hygiene audit",
    "definitions": "Definition effectiveness",
}


def figures(*, scope: Scope, names: list[str] | None = None, freshness: Freshness | None = None) -> dict[str, object]:
    """The named figures (all by default; "close_ratio" is the marketing close ratio the
    diagnostics read), from the rollups or from the sources as `freshness` (by default
    rollup_freshness) says. The lead figures share one query (lead_cells), the hand-off figures
    another (handoff_cells)."""
    wanted = list(FIGURES) if names is None else names
    lead_figures = {"funnel", "campaigns", "interest", "recycling", "skills", "close_ratio"}
    handoff_figures = {"mix", "reasons", "sla", "skills", "definitions"}
    reads_rollups = bool((lead_figures | handoff_figures) & set(wanted))
    current = (freshness or rollup_freshness()).current if reads_rollups else False
    cells = lead_cells(scope=scope, current=current) if lead_figures & set(wanted) else None
    rows = handoff_cells(scope=scope, current=current) if handoff_figures & set(wanted) else None
    shared_funnel = funnel(scope=scope, cells=cells) if {"funnel", "campaigns"} & set(wanted) else None
    readers = {
        "funnel": lambda: shared_funnel,
        "campaigns": lambda: campaign_quality(scope=scope, funnel_figure=shared_funnel, current=current),
        "interest": lambda: interest_share(scope=scope, cells=cells),
        "mix": lambda: grade_bucket_mix(scope=scope, handoff_rows=rows),
        "reasons": lambda: rejection_pareto(scope=scope, handoff_rows=rows),
        "sla": lambda: sla_compliance(scope=scope, handoff_rows=rows, current=current),
        "recycling": lambda: recycling(scope=scope, cells=cells),
        "skills": lambda: rep_skills(scope=scope, cells=cells, handoff_rows=rows),
        "hygiene": lambda: hygiene_counts(scope=scope),
        "definitions": lambda: definition_effectiveness(scope=scope, handoff_rows=rows),
        "close_ratio": lambda: marketing_close_ratio(scope=scope, cells=cells),
        # What the figures above were computed from (None when none of them needed it): the
        # figure pages state the overview's tiles from the same reads.
        "lead_cells": lambda: cells,
        "handoff_rows": lambda: rows,
    }
    return {name: readers[name]() for name in wanted}
