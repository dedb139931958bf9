"""Hand-built histories for the dashboard's figures: a lead with the stage-change events of its
log at given hours after its creation, and hand-offs with chosen times."""

from datetime import UTC, datetime, timedelta

from alignment.models import QualificationDefinition, RejectionReason
from leads.models import Handoff, Lead, LeadEvent, Source

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(hours: float, base: datetime | None = None) -> datetime:
    return (base or NOW) + timedelta(hours=hours)


def passive_source(name: str = "Trade show") -> Source:
    return Source.objects.get_or_create(name=name, defaults={"interest": Source.Interest.PASSIVE})[0]


def lead_with_history(*, source, created: datetime, path=(), campaign=None, **fields) -> Lead:
    """`path` is [(stage, hours after creation), ...] in order; the lead ends in the last stage."""
    stage = path[-1][0] if path else "new"
    changed = created + timedelta(hours=path[-1][1]) if path else created
    lead = Lead.objects.create(
        last_name="Lead",
        source=source,
        campaign=campaign,
        stage=stage,
        stage_changed_at=changed,
        created_at=created,
        **fields,
    )
    events = [LeadEvent(lead=lead, kind="created", to_stage="new", created_at=created)]
    previous = "new"
    for to_stage, hours in path:
        events.append(
            LeadEvent(
                lead=lead,
                kind="stage_changed",
                from_stage=previous,
                to_stage=to_stage,
                created_at=created + timedelta(hours=hours),
            )
        )
        previous = to_stage
    LeadEvent.objects.bulk_create(events)
    return lead


def handoff(*, lead, rep, by, team, created: datetime, due_hours: float = 8, **fields) -> Handoff:
    """A hand-off recording the lead's grade and bucket, as the service does."""
    fields = {"grade": lead.grade, "bucket": lead.bucket, **fields}
    if fields.get("status") == "rejected" and "reason" not in fields:
        fields["reason"] = RejectionReason.objects.filter(phase="before_working").order_by("position").first()
    return Handoff.objects.create(
        lead=lead,
        assigned_to=rep,
        handed_off_by=by,
        team=team,
        created_at=created,
        accept_due_at=created + timedelta(hours=due_hours),
        **fields,
    )


def definition(version: int, name: str = "Fit") -> QualificationDefinition:
    return QualificationDefinition.objects.create(name=name, version=version, created_at=NOW)
