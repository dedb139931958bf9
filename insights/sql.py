"""The dashboard's raw SQL in one place: the SELECTs that compute a rollup row from its sources
(the lead journey from a lead and its event log, the hand-off outcome from a hand-off, its lead
and its reminders), which the rollups insert and the dashboard reads as derived tables when
the rollups are behind, so both give the same figures; and the few dialect helpers they need.

Table and column names of the sources come from the models (`_meta`), quoted by the connection,
never as literals; the rollups' own columns are the names listed here (COLUMNS,
OUTCOME_COLUMNS), which are their models' field names.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection as default_connection


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


def tables(connection=default_connection) -> Tables:
    """The quoted tables the dashboard's SQL reads and the rollups write."""
    from insights.models import HandoffOutcome, LeadJourney, RollupState
    from leads.models import Handoff, Lead, LeadEvent, Reminder

    models = (Lead, LeadEvent, Handoff, Reminder, LeadJourney, HandoffOutcome, RollupState)
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
    secs = ", ".join(f"{seconds(f't{k}', f't{k - 1}', vendor)} AS secs_{step}" for k, step in enumerate(STEPS, start=1))
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
