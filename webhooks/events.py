"""Which webhook events a lead event is, and what a webhook says: the one mapping from the lead
event log (LeadEvent.Kind, its stages and details) to EventType, and the payload.

What each LeadEvent carries (leads.services, leads.sweeps, leads.imports, leads.evaluation):
- CREATED (to_stage new) and IMPORTED with to_stage new (an import that created the lead; an
  import that updated one has no to_stage) are lead.created;
- SALES_READY ({"version"}) is lead.sales_ready;
- HANDED_OFF, ACCEPTED and REJECTED carry {"handoff": id}; REJECTED and GIVEN_UP carry
  {"reason", "reason_label", "disposition"}; EXPIRED carries none, so its hand-off is the lead's
  latest one made before it;
- any event whose to_stage is won, lost or disqualified is lead.won, lead.lost or
  lead.disqualified, and a move back to nurturing from sales, lost or disqualified is
  lead.recycled (Lead.cycle_count counts those). So a rejection that recycles the lead is two
  webhook events, handoff.rejected and lead.recycled, each with an event id of its own.
"""

from collections.abc import Iterable
from datetime import datetime

from leads.models import SALES_STAGES, Handoff, Lead, LeadEvent, Stage
from webhooks.models import EventType

Kind = LeadEvent.Kind

BY_KIND: dict[str, EventType] = {
    Kind.CREATED: EventType.LEAD_CREATED,
    Kind.SALES_READY: EventType.LEAD_SALES_READY,
    Kind.HANDED_OFF: EventType.HANDOFF_CREATED,
    Kind.ACCEPTED: EventType.HANDOFF_ACCEPTED,
    Kind.REJECTED: EventType.HANDOFF_REJECTED,
    Kind.EXPIRED: EventType.HANDOFF_EXPIRED,
}
BY_STAGE: dict[str, EventType] = {
    Stage.WON: EventType.LEAD_WON,
    Stage.LOST: EventType.LEAD_LOST,
    Stage.DISQUALIFIED: EventType.LEAD_DISQUALIFIED,
}
# Back to nurture from these is a recycle; from new or MQL it is marketing's own move.
RECYCLED_FROM = frozenset(SALES_STAGES | {Stage.LOST, Stage.DISQUALIFIED})
# The hand-off an event is about goes in its payload.
WITH_HANDOFF = frozenset(
    {
        EventType.HANDOFF_CREATED,
        EventType.HANDOFF_ACCEPTED,
        EventType.HANDOFF_REJECTED,
        EventType.HANDOFF_EXPIRED,
        EventType.LEAD_RECYCLED,
        EventType.LEAD_WON,
        EventType.LEAD_LOST,
        EventType.LEAD_DISQUALIFIED,
    }
)


def event_types(*, kind: str, from_stage: str, to_stage: str) -> tuple[EventType, ...]:
    """The webhook events one lead event is, in order (none for most: touches, updates...)."""
    found = []
    if kind in BY_KIND:
        found.append(BY_KIND[kind])
    elif kind == Kind.IMPORTED and to_stage == Stage.NEW:
        found.append(EventType.LEAD_CREATED)
    if to_stage in BY_STAGE:
        found.append(BY_STAGE[to_stage])
    elif to_stage == Stage.NURTURING and from_stage in RECYCLED_FROM:
        found.append(EventType.LEAD_RECYCLED)
    return tuple(found)


# What the dispatcher reads: the lead events that can be webhook events at all.
MAPPED_KINDS = frozenset({*BY_KIND, Kind.IMPORTED})
MAPPED_STAGES = frozenset({*BY_STAGE, Stage.NURTURING})


def event_id(*, lead_event_id: int, type: str) -> str:
    """Stable across subscriptions and retries: the lead event and which of its webhook events."""
    return f"evt_{lead_event_id}_{type.replace('.', '_')}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_full_name(), "email": user.email}


def lead_payload(lead: Lead) -> dict:
    return {
        "id": lead.pk,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "source": {"id": lead.source_id, "name": lead.source.name},
        "campaign": {"id": lead.campaign_id, "name": lead.campaign.name} if lead.campaign_id else None,
        "stage": lead.stage,
        "grade": lead.grade,
        "score": lead.score,
        "bucket": lead.bucket,
        "priority": lead.priority,
        "sales_ready": lead.sales_ready,
        "cycles": lead.cycle_count,
    }


def handoff_payload(handoff: Handoff, details: dict) -> dict:
    reason = handoff.reason
    code = details.get("reason") or (reason.code if reason else None)
    return {
        "id": handoff.pk,
        "status": handoff.status,
        "created_at": _iso(handoff.created_at),
        "decided_at": _iso(handoff.decided_at),
        "team": {"id": handoff.team_id, "name": handoff.team.name} if handoff.team_id else None,
        "rep": _person(handoff.assigned_to),
        "reason": {"code": code, "label": details.get("reason_label") or (reason.label if reason else "")}
        if code
        else None,
        "disposition": details.get("disposition") or (reason.disposition if reason else None),
    }


def handoff_of(event: LeadEvent, handoffs: Iterable[Handoff]) -> Handoff | None:
    """The hand-off ``event`` is about: the one it names, else the lead's latest made by then."""
    named = event.details.get("handoff")
    latest = None
    for handoff in handoffs:
        if named is not None and handoff.pk == named:
            return handoff
        if handoff.created_at <= event.created_at and (latest is None or handoff.created_at >= latest.created_at):
            latest = handoff
    return latest


def payload(*, event: LeadEvent, type: EventType, lead: Lead, handoffs: Iterable[Handoff]) -> dict:
    handoff = handoff_of(event, handoffs) if type in WITH_HANDOFF else None
    return {
        "id": event_id(lead_event_id=event.pk, type=type),
        "type": str(type),
        "occurred_at": _iso(event.created_at),
        "lead": lead_payload(lead),
        "handoff": handoff_payload(handoff, event.details) if handoff is not None else None,
    }
