"""The daily aggregates of the dashboard (insights.LeadDay, LeadDayBin, HandoffDay,
HandoffDayBin): the per-row rollups (insights.rollups) summed per UTC day and, from those days,
per month, so a period of whole days reads O(days x keys) rows instead of one per lead or
hand-off; and the hand-off days summed per week at the overview's few keys (HandoffWeek).
Counts are exact sums of the same rows; the medians come from the histograms of
insights.sketch (within ±2 %).

They are written only here, in the same transaction as the rollups they sum: a refresh
recomputes, from the rollup rows, the days whose rows it changed (before and after) and then
those days' months and weeks; a rebuild recomputes all of them. Reading never writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from insights import sql

# A rebuild sums the rollups this many days at a time.
REBUILD_DAYS = 31


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ranges(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days as [first, last + 1) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _handoff_weeks(cursor, connection, start: date, end: date) -> None:
    """Recompute the HandoffWeek rows of the weeks from Monday `start` to Monday `end` (excluded)
    from their day rows."""
    table = sql.tables(connection).handoff_week
    bounds = [connection.ops.adapt_datefield_value(day) for day in (start, end)]
    cursor.execute(f"DELETE FROM {table} WHERE week >= %s AND week < %s", bounds)
    columns = ", ".join(sql.HANDOFF_WEEK_COLUMNS)
    cursor.execute(f"INSERT INTO {table} ({columns}) {sql.handoff_week_select(connection)}", bounds)


def _utc_date(value, connection) -> date:
    if isinstance(value, str):
        value = connection.ops.convert_datetimefield_value(value, None, connection)
    return value.astimezone(UTC).date() if value.tzinfo else value.date()


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


class _Aggregate:
    """An aggregate table, its columns ([month,] day, keys, counts) and the SELECT of its day
    rows, with its parameters for a period ([start, end) as two adapted timestamps)."""

    def __init__(self, table: str, columns: list[str], keys: list[str], select: str, params):
        self.table, self.columns, self.keys, self.select, self.params = table, columns, keys, select, params
        self.has_months = columns[0] == "month"
        self.counts = columns[columns.index("day") + 1 + len(keys) :]

    def days(self, cursor, connection, start: date, end: date) -> None:
        adapt_date, adapt = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
        days = "month = FALSE AND " if self.has_months else ""
        cursor.execute(
            f"DELETE FROM {self.table} WHERE {days}day >= %s AND day < %s", [adapt_date(start), adapt_date(end)]
        )
        period = [adapt(_midnight(start)), adapt(_midnight(end))]
        cursor.execute(f"INSERT INTO {self.table} ({', '.join(self.columns)}) {self.select}", self.params(period))

    def months(self, cursor, connection, months: set[date]) -> None:
        if not self.has_months:
            return
        adapt_date = connection.ops.adapt_datefield_value
        select = sql.month_select(self.table, self.keys, self.counts, connection)
        for first in sorted(months):
            bounds = [adapt_date(first), adapt_date(_next_month(first))]
            cursor.execute(f"DELETE FROM {self.table} WHERE month = TRUE AND day >= %s AND day < %s", bounds)
            cursor.execute(f"INSERT INTO {self.table} ({', '.join(self.columns)}) {select}", bounds)


def _lead_aggregates(connection) -> list[_Aggregate]:
    t = sql.tables(connection)

    def twice(period):  # the teams' hand-offs of the period, then its journeys
        return period * 2

    return [
        _Aggregate(t.lead_day, sql.LEAD_DAY_COLUMNS, sql.LEAD_DAY_KEYS, sql.lead_day_select(connection), twice),
        _Aggregate(t.lead_day_bin, sql.LEAD_BIN_COLUMNS, sql.LEAD_BIN_KEYS, sql.lead_bin_select(connection), twice),
    ]


def _handoff_aggregates(connection, now: datetime) -> list[_Aggregate]:
    t = sql.tables(connection)
    at = connection.ops.adapt_datetimefield_value(now)
    return [
        _Aggregate(
            t.handoff_day,
            sql.HANDOFF_DAY_COLUMNS,
            sql.HANDOFF_DAY_KEYS,
            sql.handoff_day_select(connection),
            lambda period: [at, at, *period],
        ),
        _Aggregate(
            t.handoff_day_bin,
            sql.HANDOFF_BIN_COLUMNS,
            sql.HANDOFF_BIN_KEYS,
            sql.handoff_bin_select(connection),
            lambda period: period,
        ),
    ]


def affected_days(cursor, connection, table: str, key: str, keys_sql: str, params: list) -> set[date]:
    """The UTC days of creation of the rollup rows of `table` whose `key` is among `keys_sql`."""
    cursor.execute(
        f"SELECT DISTINCT {sql.utc_day('created_at', connection.vendor)} FROM {table} WHERE {key} IN ({keys_sql})",
        params,
    )
    return {_as_date(day) for (day,) in cursor.fetchall()}


def refresh_days(cursor, connection, *, lead_days: set[date], handoff_days: set[date], now: datetime) -> None:
    """Recompute the aggregates of the days whose lead journeys (`lead_days`) or hand-off
    outcomes (`handoff_days`) changed, then of their months and weeks. The lead aggregates also read the
    teams of the day's hand-offs, so a hand-off's change counts as its lead's (its lead has an
    event, or the hand-off a reminder, which only its own day reads)."""
    work = ((_lead_aggregates(connection), lead_days), (_handoff_aggregates(connection, now), handoff_days))
    for aggregates, days in work:
        if not days:
            continue
        for start, end in _ranges(days):
            for aggregate in aggregates:
                aggregate.days(cursor, connection, start, end)
        months = {day.replace(day=1) for day in days}
        for aggregate in aggregates:
            aggregate.months(cursor, connection, months)
    for week in sorted({monday(day) for day in handoff_days}):
        _handoff_weeks(cursor, connection, week, week + timedelta(days=7))


def rebuild(cursor, connection, *, now: datetime) -> None:
    """Recompute every aggregate from the rollups."""
    t = sql.tables(connection)
    for table in (t.lead_day, t.lead_day_bin, t.handoff_day, t.handoff_day_bin):
        cursor.execute(f"DELETE FROM {table}")
    spans = []
    work = ((t.journey, _lead_aggregates(connection)), (t.outcome, _handoff_aggregates(connection, now)))
    for table, aggregates in work:
        cursor.execute(f"SELECT MIN(created_at), MAX(created_at) FROM {table}")
        low, high = cursor.fetchone()
        spans.append((low, high, aggregates))
    for low, high, aggregates in spans:
        if low is None:
            continue
        first, last = _utc_date(low, connection), _utc_date(high, connection)
        start = first
        while start <= last:
            end = min(start + timedelta(days=REBUILD_DAYS), last + timedelta(days=1))
            for aggregate in aggregates:
                aggregate.days(cursor, connection, start, end)
            start = end
        months, month = set(), first.replace(day=1)
        while month <= last:
            months.add(month)
            month = _next_month(month)
        for aggregate in aggregates:
            aggregate.months(cursor, connection, months)
    rebuild_weeks(cursor, connection)


def rebuild_weeks(cursor, connection) -> None:
    """Recompute every HandoffWeek row from the day rows (the rebuild, and the migration that
    made the table)."""
    t = sql.tables(connection)
    cursor.execute(f"SELECT MIN(day), MAX(day) FROM {t.handoff_day} WHERE month = FALSE")
    low, high = cursor.fetchone()
    cursor.execute(f"DELETE FROM {t.handoff_week}")
    if low is not None:
        _handoff_weeks(cursor, connection, monday(_as_date(low)), monday(_as_date(high)) + timedelta(days=7))
