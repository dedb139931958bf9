"""The dashboard's rollups: the lead journey (insights.LeadJourney), one row per lead with what
the lead figures count, derived from the lead and its event log; and the hand-off outcomes
(insights.HandoffOutcome), one row per hand-off with what the hand-off figures count, derived
from the hand-off, its lead and its reminders. The dashboard reads them instead of joining the
event log and the leads on every request.

They are kept current together, incrementally. Watermarks (RollupState) are the highest
LeadEvent and Reminder ids processed; a refresh recomputes, from scratch, the rows of the leads
that have an event past the watermark, an event or a change (`updated_at`) since
`recheck_from` (the start of the previous refresh less LOOKBACK, which covers transactions that
committed late), the rows of those leads' hand-offs and of the hand-offs with a reminder past
its watermark or since `recheck_from`, and then moves the watermarks. Recomputing a row reads
its sources whole, so a refresh is idempotent and equals a full rebuild. The beat task
(insights.tasks.refresh_lead_journeys) runs it every few minutes; the dashboard runs it on read
when little is pending and otherwise reads the sources itself, so the figures are always exact
and current.

Every writer of the leads app that changes what a row holds (stage moves, cycles, source,
campaign, sourced_by, merges that move events and hand-offs to the survivor, imports, every
change to a hand-off) writes a LeadEvent or bumps the lead's `updated_at`; the sweeps'
reminders are rows of their own. A campaign, user or team deleted sets the column to NULL
without either, so the receivers in insights.receivers clear it here as well.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

NAME = "lead_journey"
TABLE = "insights_leadjourney"
OUTCOMES = "insights_handoffoutcome"
STEPS = ["mql", "handed_off", "accepted", "qualified", "won"]
# Events after the watermark up to which the dashboard refreshes on read; beyond, it reads the
# event log directly (exact, slower) and leaves the catching up to the beat task.
MAX_PENDING_ON_READ = 5000
# Leads changed and events written this long before a refresh started are looked at again.
LOOKBACK = timedelta(minutes=10)
BATCH_LEADS = 50_000
BATCH_EVENTS = 200_000
# Beyond this many pending events and changed leads a refresh rebuilds the whole table.
REBUILD_ABOVE = 500_000

COLUMNS = (
    ["lead_id", "created_at", "week", "source_id", "campaign_id", "sourced_by_id", "cycles"]
    + [f"reached_{s}" for s in STEPS]
    + [f"secs_{s}" for s in STEPS]
)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def journey_select(where: str, connection=default_connection) -> str:
    """SELECT of the journey rows (COLUMNS, in order) of the leads `l` matching `where`."""
    from insights.selectors import _AT_OR_BEYOND, _seconds, _week

    vendor = connection.vendor
    reached = ", ".join(
        f"MIN(CASE WHEN e.to_stage IN ({_in(stages)}) THEN e.created_at END) AS t{k}"
        for k, stages in enumerate(_AT_OR_BEYOND)
        if k
    )
    secs = ", ".join(_seconds(f"t{k}", f"t{k - 1}", vendor) for k in range(1, len(_AT_OR_BEYOND)))
    ts = ", ".join(f"t{k}" for k in range(1, len(_AT_OR_BEYOND)))
    return (
        f"SELECT id, t0, week, source_id, campaign_id, sourced_by_id, cycles, {ts}, {secs} FROM ("
        f"SELECT l.id, l.created_at AS t0, {_week('l.created_at', vendor)} AS week, l.source_id, "
        f"l.campaign_id, l.sourced_by_id, "
        f"CASE WHEN l.cycle_count >= 3 THEN 3 ELSE l.cycle_count END AS cycles, {reached} "
        f"FROM leads_lead l LEFT JOIN leads_leadevent e "
        f"ON e.lead_id = l.id AND e.to_stage IN ({_in(_AT_OR_BEYOND[1])}) "
        f"WHERE {where} GROUP BY l.id) r"
    )


OUTCOME_COLUMNS = [
    "handoff_id",
    "lead_id",
    "created_at",
    "lead_created_at",
    "source_id",
    "campaign_id",
    "sourced_by_id",
    "grade",
    "bucket",
    "won",
    "assigned_to_id",
    "team_id",
    "status",
    "reason_id",
    "definition_id",
    "override",
    "accept_due_at",
    "decided_at",
    "first_touch_due_at",
    "first_touch_at",
    "accept_secs",
    "touch_secs",
    "reminders",
    "escalations",
]


def outcome_select(where: str, connection=default_connection) -> str:
    """SELECT of the outcome rows (OUTCOME_COLUMNS, in order) of the hand-offs `h` (of leads
    `l`) matching `where`. The dashboard also reads it as a derived table when the rollup is
    behind, so both give the same figures."""
    from insights.selectors import _seconds
    from leads.models import Reminder, Stage

    vendor = connection.vendor

    def reminders(level: int) -> str:
        return f"(SELECT COUNT(*) FROM leads_reminder r WHERE r.handoff_id = h.id AND r.level = {int(level)})"

    return (
        f"SELECT h.id AS handoff_id, h.lead_id, h.created_at, l.created_at AS lead_created_at, l.source_id, "
        f"l.campaign_id, l.sourced_by_id, h.grade, h.bucket, (l.stage = '{Stage.WON}') AS won, "
        f"h.assigned_to_id, h.team_id, h.status, h.reason_id, h.definition_id, h.override, h.accept_due_at, "
        f"h.decided_at, h.first_touch_due_at, h.first_touch_at, "
        f"{_seconds('h.decided_at', 'h.created_at', vendor)} AS accept_secs, "
        f"{_seconds('h.first_touch_at', 'h.decided_at', vendor)} AS touch_secs, "
        f"{reminders(Reminder.Level.REMIND)} AS reminders, {reminders(Reminder.Level.ESCALATE)} AS escalations "
        f"FROM leads_handoff h JOIN leads_lead l ON l.id = h.lead_id WHERE {where}"
    )


def _insert(where: str, connection) -> str:
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {journey_select(where, connection)}"


def _insert_outcomes(where: str, connection) -> str:
    return f"INSERT INTO {OUTCOMES} ({', '.join(OUTCOME_COLUMNS)}) {outcome_select(where, connection)}"


def _adapt(connection, value):
    return connection.ops.adapt_datetimefield_value(value)


def _save_state(cursor, connection, watermark: int, reminder_watermark: int, recheck_from, now) -> None:
    cursor.execute(
        "INSERT INTO insights_rollupstate (name, event_watermark, reminder_watermark, recheck_from, refreshed_at) "
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET event_watermark = excluded.event_watermark, "
        "reminder_watermark = excluded.reminder_watermark, "
        "recheck_from = excluded.recheck_from, refreshed_at = excluded.refreshed_at",
        [NAME, watermark, reminder_watermark, _adapt(connection, recheck_from), _adapt(connection, now)],
    )


def rebuild(connection=default_connection, batch: int = BATCH_LEADS) -> int:
    """Recompute every row, in batches of lead ids (raw SQL only, so data migrations use it
    too). Returns the number of leads."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM leads_leadevent), "
            "(SELECT COALESCE(MAX(id), 0) FROM leads_reminder)"
        )
        watermark, reminder_watermark = cursor.fetchone()
        cursor.execute("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM leads_lead")
        low, high, count = cursor.fetchone()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE lead_id > %s OR lead_id < %s", [high, low])
        cursor.execute(f"DELETE FROM {OUTCOMES}")
        start = low
        while start <= high:
            end = start + batch
            cursor.execute(f"DELETE FROM {TABLE} WHERE lead_id >= %s AND lead_id < %s", [start, end])
            cursor.execute(_insert(f"l.id >= {int(start)} AND l.id < {int(end)}", connection))
            cursor.execute(_insert_outcomes(f"h.lead_id >= {int(start)} AND h.lead_id < {int(end)}", connection))
            start = end
        _save_state(cursor, connection, watermark, reminder_watermark, now - LOOKBACK, now)
    return count


# Before any lead: what a missing state starts from (every lead and event is pending).
EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


class _State(NamedTuple):
    watermark: int  # LeadEvent id
    reminder_watermark: int  # Reminder id
    recheck_from: datetime  # the lookback of the beat's refreshes
    since: datetime  # changes from here on are looked at (recheck_from, or the last refresh's start)
    top: int  # the highest LeadEvent id now
    top_reminder: int
    pending: int  # events and reminders past the watermarks, and leads changed since `since`


def _when(value, connection) -> datetime | None:
    if isinstance(value, str):
        return connection.ops.convert_datetimefield_value(value, None, connection)
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _pending(cursor, connection, *, on_read: bool) -> _State:
    """The state and what is pending, in one query that locks the state row on PostgreSQL. On
    read, changes count from the start of the previous refresh; the beat's refreshes look again
    from recheck_from (LOOKBACK before the start of the previous one), for late commits."""
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    since = "COALESCE(s.refreshed_at, s.recheck_from)" if on_read else "s.recheck_from"
    cursor.execute(
        f"SELECT s.event_watermark, s.reminder_watermark, s.recheck_from, {since}, "
        "(SELECT COALESCE(MAX(id), 0) FROM leads_leadevent), "
        "(SELECT COALESCE(MAX(id), 0) FROM leads_reminder), "
        "(SELECT COUNT(*) FROM leads_leadevent WHERE id > s.event_watermark) + "
        "(SELECT COUNT(*) FROM leads_reminder WHERE id > s.reminder_watermark) + "
        f"(SELECT COUNT(*) FROM leads_lead WHERE updated_at >= {since}) "
        "FROM insights_rollupstate s WHERE s.name = %s" + lock,
        [NAME],
    )
    row = cursor.fetchone()
    if row is None:  # no state yet: everything is pending
        cursor.execute(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM leads_leadevent), "
            "(SELECT COALESCE(MAX(id), 0) FROM leads_reminder), "
            "(SELECT COUNT(*) FROM leads_leadevent) + (SELECT COUNT(*) FROM leads_reminder) "
            "+ (SELECT COUNT(*) FROM leads_lead)"
        )
        top, top_reminder, pending = cursor.fetchone()
        return _State(0, 0, EPOCH, EPOCH, top, top_reminder, pending)
    watermark, reminder_watermark, recheck_from, since_value, top, top_reminder, pending = row
    return _State(
        watermark,
        reminder_watermark,
        _when(recheck_from, connection),
        _when(since_value, connection),
        top,
        top_reminder,
        pending,
    )


def _refresh_range(cursor, connection, events: tuple[int, int], reminders: tuple[int, int], since, now) -> None:
    """Recompute the leads with an event in the `events` id range (after, up to], or an event
    (dated up to now: the seeded or imported future is the watermark's) or a change since
    `since`; then the hand-offs of those leads and those with a reminder in the `reminders` id
    range or made since `since`."""
    since, until = _adapt(connection, since), _adapt(connection, now)
    affected = (
        "SELECT lead_id FROM leads_leadevent WHERE id > %s AND id <= %s "
        "UNION SELECT lead_id FROM leads_leadevent WHERE created_at >= %s AND created_at <= %s "
        "UNION SELECT id FROM leads_lead WHERE updated_at >= %s"
    )
    params = [*events, since, until, since]
    cursor.execute(f"DELETE FROM {TABLE} WHERE lead_id IN ({affected})", params)
    cursor.execute(_insert(f"l.id IN ({affected})", connection), params)
    handoffs = (
        f"SELECT id FROM leads_handoff WHERE lead_id IN ({affected}) "
        "UNION SELECT handoff_id FROM leads_reminder WHERE id > %s AND id <= %s "
        "UNION SELECT handoff_id FROM leads_reminder WHERE created_at >= %s AND created_at <= %s"
    )
    params += [*reminders, since, until]
    cursor.execute(f"DELETE FROM {OUTCOMES} WHERE handoff_id IN ({handoffs})", params)
    cursor.execute(_insert_outcomes(f"h.id IN ({handoffs})", connection), params)


def refresh(*, max_pending: int | None = None, connection=default_connection) -> bool:
    """Bring the rollups up to date. With max_pending (on read), do nothing and return False
    when more than that many events, reminders and changed leads are pending (the caller reads
    the sources instead), otherwise catch up with what changed since the previous refresh began
    and return True, in a constant number of queries whatever the size of the data. Without it
    (the beat task), work through the pending events in batches, looking again at LOOKBACK
    before the previous beat's refresh, so a change a transaction committed late is counted at
    the latest by the next beat (on read, leads changed in the last minutes are not recomputed
    on every request)."""
    on_read = max_pending is not None
    while True:
        now = timezone.now()
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            state = _pending(cursor, connection, on_read=on_read)
            if on_read and state.pending > max_pending:
                return False
            if not on_read and state.pending > REBUILD_ABOVE:
                break
            upto = state.top if on_read else min(state.top, state.watermark + BATCH_EVENTS)
            _refresh_range(
                cursor,
                connection,
                (state.watermark, upto),
                (state.reminder_watermark, state.top_reminder),
                state.since,
                now,
            )
            done = upto >= state.top
            # The lookback moves on only when the beat has processed every batch.
            recheck_from = now - LOOKBACK if done and not on_read else state.recheck_from
            _save_state(cursor, connection, upto, state.top_reminder, recheck_from, now)
        if done:
            return True
    rebuild(connection)  # cheaper than recomputing most leads batch after batch
    return True


def forget_campaign(campaign_id: int, connection=default_connection) -> None:
    """A deleted campaign leaves its leads without one (SET NULL, no event)."""
    with connection.cursor() as cursor:
        for table in (TABLE, OUTCOMES):
            cursor.execute(f"UPDATE {table} SET campaign_id = NULL WHERE campaign_id = %s", [campaign_id])


def forget_sourced_by(user_id: int, connection=default_connection) -> None:
    """A deleted user leaves the leads they found without a finder (SET NULL, no event)."""
    with connection.cursor() as cursor:
        for table in (TABLE, OUTCOMES):
            cursor.execute(f"UPDATE {table} SET sourced_by_id = NULL WHERE sourced_by_id = %s", [user_id])


def forget_team(team_id: int, connection=default_connection) -> None:
    """A deleted team leaves its hand-offs without one (SET NULL, no event)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {OUTCOMES} SET team_id = NULL WHERE team_id = %s", [team_id])
