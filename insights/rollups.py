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
its sources whole, so a refresh is idempotent and equals a full rebuild. Only the beat task
(insights.tasks.refresh_lead_journeys, every five minutes) and the refresh_rollups command
refresh them: the dashboard never writes. It reads the rollups as they are, "as of" their last
refresh, when they are at most MAX_PENDING_ON_READ events and reminders and MAX_AGE_ON_READ
behind, and otherwise the same rows computed from the sources (insights.sql).

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

from insights import aggregates
from insights.sql import COLUMNS, OUTCOME_COLUMNS, Columns, journey_select, outcome_select, tables

NAME = "lead_journey"
# Events and reminders past the watermarks, and time since the last refresh began, up to which
# the dashboard reads the rollups (saying "as of" when); beyond either, it reads the sources
# (exact, slower) and leaves the catching up to the beat task, which runs every five minutes.
MAX_PENDING_ON_READ = 5000
MAX_AGE_ON_READ = timedelta(minutes=15)
# Leads changed and events written this long before a refresh started are looked at again.
LOOKBACK = timedelta(minutes=10)
BATCH_LEADS = 50_000
BATCH_EVENTS = 200_000
# Beyond this many pending events and changed leads a refresh rebuilds the whole table.
REBUILD_ABOVE = 500_000


def _insert(where: str, connection) -> str:
    journeys = tables(connection).journey
    return f"INSERT INTO {journeys} ({', '.join(COLUMNS)}) {journey_select(where, connection)}"


def _insert_outcomes(where: str, connection) -> str:
    outcomes = tables(connection).outcome
    return f"INSERT INTO {outcomes} ({', '.join(OUTCOME_COLUMNS)}) {outcome_select(where, connection)}"


def _adapt(connection, value):
    return connection.ops.adapt_datetimefield_value(value)


def _save_state(cursor, connection, watermark: int, reminder_watermark: int, recheck_from, now) -> None:
    cursor.execute(
        f"INSERT INTO {tables(connection).state} "
        "(name, event_watermark, reminder_watermark, recheck_from, refreshed_at) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET event_watermark = excluded.event_watermark, "
        "reminder_watermark = excluded.reminder_watermark, "
        "recheck_from = excluded.recheck_from, refreshed_at = excluded.refreshed_at",
        [NAME, watermark, reminder_watermark, _adapt(connection, recheck_from), _adapt(connection, now)],
    )


def rebuild(connection=default_connection, batch: int = BATCH_LEADS) -> int:
    """Recompute every row, in batches of lead ids (raw SQL only, so data migrations use it
    too). Returns the number of leads."""
    from leads.models import Handoff, Lead, LeadEvent, Reminder

    now = timezone.now()
    t = tables(connection)
    ev, rem, leads = (Columns(model, connection=connection) for model in (LeadEvent, Reminder, Lead))
    lead, h = Columns(Lead, "l", connection), Columns(Handoff, "h", connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COALESCE(MAX({ev.id}), 0) FROM {t.event}), "
            f"(SELECT COALESCE(MAX({rem.id}), 0) FROM {t.reminder})"
        )
        watermark, reminder_watermark = cursor.fetchone()
        cursor.execute(f"SELECT COALESCE(MIN({leads.id}), 0), COALESCE(MAX({leads.id}), 0), COUNT(*) FROM {t.lead}")
        low, high, count = cursor.fetchone()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {t.journey} WHERE lead_id > %s OR lead_id < %s", [high, low])
        cursor.execute(f"DELETE FROM {t.outcome}")
        start = low
        while start <= high:
            end = start + batch
            cursor.execute(f"DELETE FROM {t.journey} WHERE lead_id >= %s AND lead_id < %s", [start, end])
            cursor.execute(_insert(f"{lead.id} >= {int(start)} AND {lead.id} < {int(end)}", connection))
            cursor.execute(_insert_outcomes(f"{h.lead} >= {int(start)} AND {h.lead} < {int(end)}", connection))
            start = end
        aggregates.rebuild(cursor, connection, now=now)
        _save_state(cursor, connection, watermark, reminder_watermark, now - LOOKBACK, now)
    return count


# Before any lead: what a missing state starts from (every lead and event is pending).
EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


class _State(NamedTuple):
    watermark: int  # LeadEvent id
    reminder_watermark: int  # Reminder id
    recheck_from: datetime  # changes from here on are looked at (the lookback of the refreshes)
    top: int  # the highest LeadEvent id now
    top_reminder: int
    pending: int  # events and reminders past the watermarks, and leads changed since recheck_from


def _when(value, connection) -> datetime | None:
    if isinstance(value, str):
        return connection.ops.convert_datetimefield_value(value, None, connection)
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _pending(cursor, connection) -> _State:
    """The state and what is pending, in one query that locks the state row on PostgreSQL.
    Changes count from recheck_from (LOOKBACK before the start of the previous refresh), for
    late commits."""
    from leads.models import Lead, LeadEvent, Reminder

    t = tables(connection)
    ev, rem, lead = (Columns(model, connection=connection) for model in (LeadEvent, Reminder, Lead))
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    cursor.execute(
        "SELECT s.event_watermark, s.reminder_watermark, s.recheck_from, "
        f"(SELECT COALESCE(MAX({ev.id}), 0) FROM {t.event}), "
        f"(SELECT COALESCE(MAX({rem.id}), 0) FROM {t.reminder}), "
        f"(SELECT COUNT(*) FROM {t.event} WHERE {ev.id} > s.event_watermark) + "
        f"(SELECT COUNT(*) FROM {t.reminder} WHERE {rem.id} > s.reminder_watermark) + "
        f"(SELECT COUNT(*) FROM {t.lead} WHERE {lead.updated_at} >= s.recheck_from) "
        f"FROM {t.state} s WHERE s.name = %s" + lock,
        [NAME],
    )
    row = cursor.fetchone()
    if row is None:  # no state yet: everything is pending
        cursor.execute(
            f"SELECT (SELECT COALESCE(MAX({ev.id}), 0) FROM {t.event}), "
            f"(SELECT COALESCE(MAX({rem.id}), 0) FROM {t.reminder}), "
            f"(SELECT COUNT(*) FROM {t.event}) + (SELECT COUNT(*) FROM {t.reminder}) "
            f"+ (SELECT COUNT(*) FROM {t.lead})"
        )
        top, top_reminder, pending = cursor.fetchone()
        return _State(0, 0, EPOCH, top, top_reminder, pending)
    watermark, reminder_watermark, recheck_from, top, top_reminder, pending = row
    return _State(watermark, reminder_watermark, _when(recheck_from, connection), top, top_reminder, pending)


def _refresh_range(cursor, connection, events: tuple[int, int], reminders: tuple[int, int], since, now) -> None:
    """Recompute the leads with an event in the `events` id range (after, up to], or an event
    (dated up to now: the seeded or imported future is the watermark's) or a change since
    `since`; then the hand-offs of those leads and those with a reminder in the `reminders` id
    range or made since `since`."""
    from leads.models import Handoff, Lead, LeadEvent, Reminder

    t = tables(connection)
    e, lead = Columns(LeadEvent, connection=connection), Columns(Lead, connection=connection)
    h, r = Columns(Handoff, connection=connection), Columns(Reminder, connection=connection)
    since, until = _adapt(connection, since), _adapt(connection, now)
    affected = (
        f"SELECT {e.lead} FROM {t.event} WHERE {e.id} > %s AND {e.id} <= %s "
        f"UNION SELECT {e.lead} FROM {t.event} WHERE {e.created_at} >= %s AND {e.created_at} <= %s "
        f"UNION SELECT {lead.id} FROM {t.lead} WHERE {lead.updated_at} >= %s"
    )
    params = [*events, since, until, since]
    handoffs = (
        f"SELECT {h.id} FROM {t.handoff} WHERE {h.lead} IN ({affected}) "
        f"UNION SELECT {r.handoff} FROM {t.reminder} WHERE {r.id} > %s AND {r.id} <= %s "
        f"UNION SELECT {r.handoff} FROM {t.reminder} WHERE {r.created_at} >= %s AND {r.created_at} <= %s"
    )
    handoff_params = [*params, *reminders, since, until]

    def days() -> tuple[set, set]:  # the days of creation of the rows recomputed
        return (
            aggregates.affected_days(cursor, connection, t.journey, "lead_id", affected, params),
            aggregates.affected_days(cursor, connection, t.outcome, "handoff_id", handoffs, handoff_params),
        )

    lead_days, handoff_days = days()
    cursor.execute(f"DELETE FROM {t.journey} WHERE lead_id IN ({affected})", params)
    cursor.execute(_insert(f"{Columns(Lead, 'l', connection).id} IN ({affected})", connection), params)
    cursor.execute(f"DELETE FROM {t.outcome} WHERE handoff_id IN ({handoffs})", handoff_params)
    cursor.execute(
        _insert_outcomes(f"{Columns(Handoff, 'h', connection).id} IN ({handoffs})", connection), handoff_params
    )
    new_lead_days, new_handoff_days = days()
    aggregates.refresh_days(
        cursor, connection, lead_days=lead_days | new_lead_days, handoff_days=handoff_days | new_handoff_days, now=now
    )


def refresh(*, connection=default_connection) -> bool:
    """Bring the rollups up to date (the beat task and the refresh_rollups command; never a
    read): work through the pending events in batches, looking again at LOOKBACK before the
    previous refresh, so a change a transaction committed late is counted at the latest by the
    next one; with more than REBUILD_ABOVE pending, rebuild instead. Returns True."""
    while True:
        now = timezone.now()
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            state = _pending(cursor, connection)
            if state.pending > REBUILD_ABOVE:
                break
            upto = min(state.top, state.watermark + BATCH_EVENTS)
            _refresh_range(
                cursor,
                connection,
                (state.watermark, upto),
                (state.reminder_watermark, state.top_reminder),
                state.recheck_from,
                now,
            )
            done = upto >= state.top
            # The lookback moves on only when every batch is processed.
            recheck_from = now - LOOKBACK if done else state.recheck_from
            _save_state(cursor, connection, upto, state.top_reminder, recheck_from, now)
        if done:
            return True
    rebuild(connection)  # cheaper than recomputing most leads batch after batch
    return True


def forget_campaign(campaign_id: int, connection=default_connection) -> None:
    """A deleted campaign leaves its leads without one (SET NULL, no event)."""
    t = tables(connection)
    with connection.cursor() as cursor:
        for table in (t.journey, t.outcome, t.lead_day):
            cursor.execute(f"UPDATE {table} SET campaign_id = NULL WHERE campaign_id = %s", [campaign_id])
        # Its leads' durations stay under their source; a lead without a campaign has no others.
        cursor.execute(f"DELETE FROM {t.lead_day_bin} WHERE campaign_id = %s", [campaign_id])


def forget_sourced_by(user_id: int, connection=default_connection) -> None:
    """A deleted user leaves the leads they found without a finder (SET NULL, no event)."""
    t = tables(connection)
    with connection.cursor() as cursor:
        for table in (t.journey, t.outcome, t.lead_day, t.handoff_day, t.handoff_week):
            cursor.execute(f"UPDATE {table} SET sourced_by_id = NULL WHERE sourced_by_id = %s", [user_id])


def forget_team(team_id: int, connection=default_connection) -> None:
    """A deleted team leaves its hand-offs without one (SET NULL, no event)."""
    t = tables(connection)
    with connection.cursor() as cursor:
        for table in (t.outcome, t.handoff_day, t.handoff_day_bin, t.handoff_week):
            cursor.execute(f"UPDATE {table} SET team_id = NULL WHERE team_id = %s", [team_id])
        # Out of the leads' sets of teams (",3,7,"): a set left empty (",") matches no team.
        mark = f",{int(team_id)},"
        for table in (t.lead_day, t.lead_day_bin):
            cursor.execute(
                f"UPDATE {table} SET teams = REPLACE(teams, %s, ',') WHERE teams LIKE %s", [mark, f"%{mark}%"]
            )
