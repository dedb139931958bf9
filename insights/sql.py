"""The dashboard's raw SQL in one place: the SELECTs that compute a rollup row from its sources
(the lead journey from a lead and its event log, the hand-off outcome from a hand-off, its lead
and its reminders), which the rollups insert and the dashboard reads as derived tables when
the rollups are behind, so both give the same figures; and the few dialect helpers they need.

Table and column names of the sources come from the models (`_meta`), quoted by the connection,
never as literals; the rollups' own columns are the names listed here (COLUMNS,
OUTCOME_COLUMNS), which are their models' field names.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from django.db import connection as default_connection

from insights import sketch


def quote(model, field: str | None = None, connection=default_connection) -> str:
    """The quoted table of `model`, or the quoted column of its `field`."""
    name = model._meta.db_table if field is None else model._meta.get_field(field).column
    return connection.ops.quote_name(name)


class Columns:
    """The quoted columns of a model's fields, by field name, after `alias.` if given:
    `Columns(Lead, "l").source` is `l."source_id"`."""

    def __init__(self, model, alias: str | None = None, connection=default_connection):
        self._model, self._prefix, self._connection = model, f"{alias}." if alias else "", connection

    def __getattr__(self, field: str) -> str:
        return f"{self._prefix}{quote(self._model, field, self._connection)}"


class Tables(NamedTuple):
    lead: str
    event: str
    handoff: str
    reminder: str
    journey: str
    outcome: str
    state: str
    lead_day: str
    lead_day_bin: str
    handoff_day: str
    handoff_day_bin: str
    handoff_week: str


def tables(connection=default_connection) -> Tables:
    """The quoted tables the dashboard's SQL reads and the rollups write."""
    from insights.models import (
        HandoffDay,
        HandoffDayBin,
        HandoffOutcome,
        HandoffWeek,
        LeadDay,
        LeadDayBin,
        LeadJourney,
        RollupState,
    )
    from leads.models import Handoff, Lead, LeadEvent, Reminder

    models = (Lead, LeadEvent, Handoff, Reminder, LeadJourney, HandoffOutcome, RollupState)
    models += (LeadDay, LeadDayBin, HandoffDay, HandoffDayBin, HandoffWeek)
    return Tables(*(quote(model, connection=connection) for model in models))


def in_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)  # stage and status codes only: constants, never user input


def seconds(later: str, earlier: str, vendor: str | None = None) -> str:
    if (vendor or default_connection.vendor) == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS double precision)"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def week(column: str, vendor: str | None = None) -> str:
    """The Monday (UTC) of a timestamp, as a date."""
    if (vendor or default_connection.vendor) == "postgresql":
        return f"(date_trunc('week', {column} AT TIME ZONE 'UTC'))::date"
    return f"date({column}, 'weekday 0', '-6 days')"


def utc_day(column: str, vendor: str | None = None) -> str:
    """The UTC date of a timestamp."""
    if (vendor or default_connection.vendor) == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def month_of(column: str, vendor: str | None = None) -> str:
    """The first day of the month of a date."""
    if (vendor or default_connection.vendor) == "postgresql":
        return f"(date_trunc('month', ({column})::timestamp))::date"
    return f"date({column}, 'start of month')"


def week_of(column: str, vendor: str | None = None) -> str:
    """The Monday of the week of a date (as week() of a timestamp)."""
    if (vendor or default_connection.vendor) == "postgresql":
        return f"(date_trunc('week', ({column})::timestamp))::date"
    return f"date({column}, 'weekday 0', '-6 days')"


def bin_sql(value: str) -> str:
    """The bin of a duration in seconds (insights.sketch.bin_of, in SQL)."""
    step = repr(math.log(sketch.BASE))
    return (
        f"CASE WHEN {value} >= 1 THEN 1 + CAST(floor(ln({value}) / {step}) AS INTEGER) "
        f"WHEN {value} <= -1 THEN -1 - CAST(floor(ln(-({value})) / {step}) AS INTEGER) ELSE 0 END"
    )


# --- The lead journey: the funnel, once ------------------------------------------------------------


def _at_or_beyond() -> list[tuple[str, ...]]:
    """Per funnel step (new, MQL, handed off, accepted, qualified, won), the stages that reach
    it: a lead has reached a step when an event of its log moved it to that stage or to any
    stage further on (a lead handed off straight from "new" has passed MQL at that moment);
    "qualified" includes opportunities."""
    from leads.models import Stage

    return [
        (),  # "new": every lead, from its creation
        (Stage.MQL, Stage.HANDED_OFF, Stage.ACCEPTED, Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON),
        (Stage.HANDED_OFF, Stage.ACCEPTED, Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON),
        (Stage.ACCEPTED, Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON),
        (Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON),
        (Stage.WON,),
    ]


STEPS = ["mql", "handed_off", "accepted", "qualified", "won"]
COLUMNS = (
    ["lead_id", "created_at", "week", "source_id", "campaign_id", "sourced_by_id", "cycles"]
    + [f"reached_{s}" for s in STEPS]
    + [f"secs_{s}" for s in STEPS]
)


def _stood_at(k: int) -> str:
    """When the lead arrived at the last step before step k that it actually stood at: a lead
    handed off straight from "new" passes MQL at the moment of its hand-off, and measuring its
    hand-off from that moment would give 0 hours (the funnel's "→ Handed off" medians were 0.0
    for every lead handed off that way). The steps' times never decrease, so the latest earlier
    time that is strictly before t{k} is the step it came from; t0, its creation, otherwise."""
    branches = " ".join(f"WHEN t{j} < t{k} THEN t{j}" for j in range(k - 1, 0, -1))
    return f"(CASE {branches} ELSE t0 END)" if branches else "t0"


def journey_select(where: str, connection=default_connection) -> str:
    """SELECT of the journey rows (COLUMNS, in order and by name) of the leads `l` matching
    `where`: the funnel query. The rollup stores its rows; read as a derived table it gives the
    same rows from the sources."""
    from leads.models import Lead, LeadEvent

    vendor = connection.vendor
    t = tables(connection)
    lead, event = Columns(Lead, "l", connection), Columns(LeadEvent, "e", connection)
    steps = _at_or_beyond()
    reached = ", ".join(
        f"MIN(CASE WHEN {event.to_stage} IN ({in_list(stages)}) THEN {event.created_at} END) AS t{k}"
        for k, stages in enumerate(steps)
        if k
    )
    ts = ", ".join(f"t{k} AS reached_{step}" for k, step in enumerate(STEPS, start=1))
    secs = ", ".join(
        f"{seconds(f't{k}', _stood_at(k), vendor)} AS secs_{step}" for k, step in enumerate(STEPS, start=1)
    )
    return (
        f"SELECT lead_id, t0 AS created_at, week, source_id, campaign_id, sourced_by_id, cycles, {ts}, {secs} FROM ("
        f"SELECT {lead.id} AS lead_id, {lead.created_at} AS t0, {week(lead.created_at, vendor)} AS week, "
        f"{lead.source} AS source_id, {lead.campaign} AS campaign_id, {lead.sourced_by} AS sourced_by_id, "
        f"CASE WHEN {lead.cycle_count} >= 3 THEN 3 ELSE {lead.cycle_count} END AS cycles, {reached} "
        f"FROM {t.lead} l LEFT JOIN {t.event} e "
        f"ON {event.lead} = {lead.id} AND {event.to_stage} IN ({in_list(steps[1])}) "
        f"WHERE {where} GROUP BY {lead.id}) r"
    )


# --- The hand-off outcome --------------------------------------------------------------------------

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
    """SELECT of the outcome rows (OUTCOME_COLUMNS, in order and by name) of the hand-offs `h`
    (of leads `l`) matching `where`. The dashboard also reads it as a derived table when the
    rollup is behind, so both give the same figures."""
    from leads.models import Handoff, Lead, Reminder, Stage

    vendor = connection.vendor
    t = tables(connection)
    h, lead = Columns(Handoff, "h", connection), Columns(Lead, "l", connection)
    r = Columns(Reminder, "r", connection)

    def reminders(level: int) -> str:
        return f"(SELECT COUNT(*) FROM {t.reminder} r WHERE {r.handoff} = {h.id} AND {r.level} = {int(level)})"

    plain = [
        "grade", "bucket", "assigned_to", "team", "status", "reason", "definition", "override",
        "accept_due_at", "decided_at", "first_touch_due_at", "first_touch_at",
    ]  # fmt: skip
    values = {
        "handoff_id": h.id,
        "lead_id": h.lead,
        "created_at": h.created_at,
        "lead_created_at": lead.created_at,
        "source_id": lead.source,
        "campaign_id": lead.campaign,
        "sourced_by_id": lead.sourced_by,
        "won": f"({lead.stage} = '{Stage.WON}')",
        **{Handoff._meta.get_field(name).attname: getattr(h, name) for name in plain},
        "accept_secs": seconds(h.decided_at, h.created_at, vendor),
        "touch_secs": seconds(h.first_touch_at, h.decided_at, vendor),
        "reminders": reminders(Reminder.Level.REMIND),
        "escalations": reminders(Reminder.Level.ESCALATE),
    }
    select = ", ".join(f"{values[name]} AS {name}" for name in OUTCOME_COLUMNS)
    return f"SELECT {select} FROM {t.handoff} h JOIN {t.lead} l ON {lead.id} = {h.lead} WHERE {where}"


# --- What the hand-off figures count, once ---------------------------------------------------------

HANDOFF_KEYS = ("assigned_to_id", "team_id", "grade", "bucket", "status", "reason_id", "definition_id")
HANDOFF_COUNTS = ("n", "accept_judged", "accept_in_time", "touch_judged", "touch_in_time", "reminders", "escalations")


def handoff_counts() -> list[str]:
    """The aggregates (HANDOFF_COUNTS, in order) of the outcome rows `o`, with two parameters,
    both the time of reading: whether a pending hand-off is past due, and an accepted one past
    its first-touch time, depends on it."""
    from leads.models import Handoff

    status = Handoff.Status
    accepted = f"o.status = '{status.ACCEPTED}'"
    decided = f"o.status IN ({in_list([status.ACCEPTED, status.REJECTED])})"
    accept_judged = (
        f"{decided} OR o.status = '{status.EXPIRED}' OR (o.status = '{status.PENDING}' AND o.accept_due_at < %s)"
    )
    touch_judged = (
        f"{accepted} AND o.first_touch_due_at IS NOT NULL "
        f"AND (o.first_touch_at IS NOT NULL OR o.first_touch_due_at < %s)"
    )
    touch_in_time = f"{accepted} AND o.first_touch_due_at IS NOT NULL AND o.first_touch_at <= o.first_touch_due_at"
    return [
        "COUNT(*)",
        f"SUM(CASE WHEN {accept_judged} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {decided} AND o.decided_at <= o.accept_due_at THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {touch_judged} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {touch_in_time} THEN 1 ELSE 0 END)",
        "SUM(o.reminders)",
        "SUM(o.escalations)",
    ]


def unsettled() -> str:
    """The outcome rows `o` whose counts depend on the time of reading (handoff_counts): pending,
    or accepted with a first touch due and not made. The daily aggregates hold the others; the
    partial index handoffoutcome_unsettled has the same condition."""
    from leads.models import Handoff

    # In the order Django writes the index's condition: SQLite uses a partial index only for
    # the same expression.
    return (
        f"(o.status = '{Handoff.Status.PENDING}' OR (o.first_touch_at IS NULL "
        f"AND o.first_touch_due_at IS NOT NULL AND o.status = '{Handoff.Status.ACCEPTED}'))"
    )


# --- The daily aggregates (insights.aggregates writes them, selectors read them) -------------------
# Each SELECT gives the day rows (`month` false) of the rollup rows created in [%s, %s) (UTC
# midnights), in the order of the aggregate's *_COLUMNS.

LEAD_DAY_KEYS = ["teams", "source_id", "campaign_id", "sourced_by_id", "cycles"]
LEAD_DAY_COUNTS = ["leads", *STEPS]
LEAD_DAY_COLUMNS = ["day", *LEAD_DAY_KEYS, *LEAD_DAY_COUNTS]
LEAD_BIN_KEYS = ["teams", "source_id", "campaign_id", "step", "bin"]
LEAD_BIN_COLUMNS = ["month", "day", *LEAD_BIN_KEYS, "count"]
HANDOFF_DAY_KEYS = [*HANDOFF_KEYS, "override", "won", "sourced_by_id"]
HANDOFF_DAY_COLUMNS = ["month", "day", *HANDOFF_DAY_KEYS, *HANDOFF_COUNTS]
# The week rows keep only what the overview groups by (insights.selectors.WEEK_KEYS).
HANDOFF_WEEK_KEYS = ["team_id", "status", "override", "won", "sourced_by_id"]
HANDOFF_WEEK_COLUMNS = ["week", *HANDOFF_WEEK_KEYS, *HANDOFF_COUNTS]
HANDOFF_BIN_KEYS = ["assigned_to_id", "team_id", "k", "bin"]
HANDOFF_BIN_COLUMNS = ["month", "day", *HANDOFF_BIN_KEYS, "count"]


def _choices(name: str, values) -> str:
    return "(" + " UNION ALL ".join(f"SELECT {int(v)} AS {name}" for v in values) + ")"


def _journeys_with_teams(connection, *choices: str) -> str:
    """FROM the journeys `j` created in [%s, %s), each twice as `m.every` says: once among every
    lead (teams "*") and once under the teams it was ever handed to (`x_teams`, ",3,7,"; a lead
    never handed to a team only once). Four parameters: the period, twice."""
    t = tables(connection)
    if connection.vendor == "postgresql":
        agg = "',' || string_agg(DISTINCT CAST(o.team_id AS text), ',') || ','"
    else:
        agg = "',' || group_concat(DISTINCT o.team_id) || ','"
    teams = (
        f"SELECT o.lead_id AS lead_id, {agg} AS teams FROM {t.outcome} o "
        "WHERE o.lead_created_at >= %s AND o.lead_created_at < %s AND o.team_id IS NOT NULL GROUP BY o.lead_id"
    )
    return (
        f"{t.journey} j LEFT JOIN ({teams}) tt ON tt.lead_id = j.lead_id CROSS JOIN {_choices('every', (1, 0))} m "
        + "".join(f"CROSS JOIN {choice} " for choice in choices)
        + "WHERE j.created_at >= %s AND j.created_at < %s AND (m.every = 1 OR tt.teams IS NOT NULL)"
    )


def _teams_of_row() -> str:
    return "CASE WHEN m.every = 1 THEN '*' ELSE tt.teams END"


def lead_day_select(connection=default_connection) -> str:
    """The LeadDay rows: per (source, campaign, finder), and per cycles, with the counts of the
    journeys reaching each step (a step has a duration exactly when it was reached)."""
    day = utc_day("j.created_at", connection.vendor)
    g = "g.cycles_rows"
    keys = [
        f"CASE WHEN {g} = 0 THEN j.source_id END",
        f"CASE WHEN {g} = 0 THEN j.campaign_id END",
        f"CASE WHEN {g} = 0 THEN j.sourced_by_id END",
        f"CASE WHEN {g} = 1 THEN j.cycles END",
    ]
    counts = ", ".join(["COUNT(*)", *(f"COUNT(j.secs_{step})" for step in STEPS)])
    group = ", ".join([day, _teams_of_row(), *keys])
    # Two grouping sets in one pass: the cells (cycles_rows 0) and the cycles (1).
    journeys = _journeys_with_teams(connection, f"{_choices('cycles_rows', (0, 1))} g")
    return f"SELECT {group}, {counts} FROM {journeys} GROUP BY {group}"


def lead_bin_select(connection=default_connection) -> str:
    """The LeadDayBin rows: the journeys' durations per step, binned, per source and per
    campaign."""
    day = utc_day("j.created_at", connection.vendor)
    journeys = _journeys_with_teams(
        connection, f"{_choices('by_campaign', (0, 1))} d", f"{_choices('step', range(1, 6))} s"
    )
    secs = "CASE s.step " + " ".join(f"WHEN {k} THEN j.secs_{step}" for k, step in enumerate(STEPS, start=1)) + " END"
    durations = (
        f"SELECT {day} AS day, {_teams_of_row()} AS teams, "
        "CASE WHEN d.by_campaign = 0 THEN j.source_id END AS source_id, "
        "CASE WHEN d.by_campaign = 1 THEN j.campaign_id END AS campaign_id, "
        f"s.step AS step, {secs} AS secs "
        f"FROM {journeys} AND (d.by_campaign = 0 OR j.campaign_id IS NOT NULL)"
    )
    group = f"x.day, x.teams, x.source_id, x.campaign_id, x.step, {bin_sql('x.secs')}"
    return f"SELECT FALSE, {group}, COUNT(*) FROM ({durations}) x WHERE x.secs IS NOT NULL GROUP BY {group}"


def handoff_day_select(connection=default_connection) -> str:
    """The HandoffDay rows: the settled outcomes made in the period, counted per key. Two more
    parameters first: the time the counts are taken at (it does not matter for settled rows)."""
    t = tables(connection)
    group = ", ".join([utc_day("o.created_at", connection.vendor), *(f"o.{key}" for key in HANDOFF_DAY_KEYS)])
    return (
        f"SELECT FALSE, {group}, {', '.join(handoff_counts())} FROM {t.outcome} o "
        f"WHERE o.created_at >= %s AND o.created_at < %s AND NOT {unsettled()} GROUP BY {group}"
    )


def handoff_bin_select(connection=default_connection) -> str:
    """The HandoffDayBin rows: the accepted outcomes' durations, binned, per rep and team."""
    from leads.models import Handoff

    t = tables(connection)
    durations = (
        f"SELECT {utc_day('o.created_at', connection.vendor)} AS day, o.assigned_to_id AS assigned_to_id, "
        "o.team_id AS team_id, k.k AS k, CASE k.k WHEN 0 THEN o.accept_secs ELSE o.touch_secs END AS secs "
        f"FROM {t.outcome} o CROSS JOIN {_choices('k', (0, 1))} k "
        f"WHERE o.created_at >= %s AND o.created_at < %s AND o.status = '{Handoff.Status.ACCEPTED}'"
    )
    group = f"x.day, x.assigned_to_id, x.team_id, x.k, {bin_sql('x.secs')}"
    return f"SELECT FALSE, {group}, COUNT(*) FROM ({durations}) x WHERE x.secs IS NOT NULL GROUP BY {group}"


def month_select(table: str, keys: list[str], counts: list[str], connection=default_connection) -> str:
    """The month rows of an aggregate, summed from its day rows in [%s, %s) (first days of
    months)."""
    group = ", ".join([month_of("a.day", connection.vendor), *(f"a.{key}" for key in keys)])
    sums = ", ".join(f"SUM(a.{count})" for count in counts)
    return (
        f"SELECT TRUE, {group}, {sums} FROM {table} a "
        f"WHERE a.month = FALSE AND a.day >= %s AND a.day < %s GROUP BY {group}"
    )


def handoff_week_select(connection=default_connection) -> str:
    """The HandoffWeek rows, summed from the HandoffDay day rows in [%s, %s) (Mondays)."""
    t = tables(connection)
    group = ", ".join([week_of("a.day", connection.vendor), *(f"a.{key}" for key in HANDOFF_WEEK_KEYS)])
    sums = ", ".join(f"SUM(a.{count})" for count in HANDOFF_COUNTS)
    return (
        f"SELECT {group}, {sums} FROM {t.handoff_day} a "
        f"WHERE a.month = FALSE AND a.day >= %s AND a.day < %s GROUP BY {group}"
    )
