"""What every write to a meeting shares: who runs it, the outcomes a lead's stage allows, the lock
on an open meeting, and its event log."""

from datetime import datetime

from django.utils import timezone

from alignment import policies
from alignment.actors import actor_name
from alignment.exceptions import NotAllowed
from alignment.models import RejectionReason, Team
from leads import services as lead_services
from leads.models import SALES_STAGES, Stage
from reviews.exceptions import MeetingClosed
from reviews.models import REASON_DISPOSITION, Outcome, ReviewEvent, ReviewItem, ReviewMeeting


def person_name(user) -> str:
    """How the meeting's messages name a person."""
    return user.get_full_name() or user.username


def may_run(*, team: Team, user) -> bool:
    """The team's manager or a sales leader runs and closes the team's meetings."""
    return policies.runs(user, team)


def outcome_refusal(*, stage: str, outcome: str) -> str | None:
    """Why a lead in ``stage`` cannot come out of the meeting with ``outcome``, or None when it
    can. Asked of the lead services that closing calls for it, so the meeting offers, records
    and applies by one rule: won and lost are lead_advance, recycle and disqualify lead_give_up,
    reassign lead_reassign; progressing and stalled change nothing but need a lead sales works."""
    if stage not in SALES_STAGES:
        return f"It is no longer worked by sales (it is {Stage(stage).label})."
    if outcome in (Outcome.WON, Outcome.LOST):
        return lead_services.advance_refusal(stage=stage, to_stage=Stage(outcome))
    if outcome in REASON_DISPOSITION:
        return lead_services.give_up_refusal(
            stage=stage, disposition=RejectionReason.Disposition(REASON_DISPOSITION[outcome])
        )
    if outcome == Outcome.REASSIGN:
        return lead_services.reassign_refusal(stage=stage)
    return None


def outcomes_allowed(item: ReviewItem) -> list[Outcome]:
    """The outcomes this item may be recorded with, from its lead's current stage."""
    return [outcome for outcome in Outcome if outcome_refusal(stage=item.lead.stage, outcome=outcome) is None]


def require_runner(team: Team, by) -> None:
    if not may_run(team=team, user=by):
        raise NotAllowed("Only the team's manager or a sales leader can run this meeting.")


def lock_open(meeting: ReviewMeeting) -> ReviewMeeting:
    """Lock the meeting row for the rest of the transaction; refuse if it is closed. Item writes
    and closing both take this lock, so an update cannot slip in while a close is applied."""
    meeting = ReviewMeeting.objects.select_for_update().select_related("team").get(pk=meeting.pk)
    if not meeting.is_open:
        raise MeetingClosed("This meeting is closed; its minutes are read-only.")
    return meeting


def review_event_record(
    *, meeting: ReviewMeeting, kind: str, actor=None, details: dict | None = None, at: datetime | None = None
) -> ReviewEvent:
    return ReviewEvent.objects.create(
        meeting=meeting,
        kind=kind,
        actor=actor,
        actor_name=actor_name(actor),
        details=details or {},
        created_at=at or timezone.now(),
    )
