"""What every write to a meeting shares: who runs it, the lock on an open meeting, and its event
log."""

from datetime import datetime

from django.utils import timezone

from alignment import policies
from alignment.actors import actor_name
from alignment.exceptions import NotAllowed
from alignment.models import Team
from reviews.exceptions import MeetingClosed
from reviews.models import ReviewEvent, ReviewMeeting


def person_name(user) -> str:
    """How the meeting's messages name a person."""
    return user.get_full_name() or user.username


def may_run(*, team: Team, user) -> bool:
    """The team's manager or a sales leader runs and closes the team's meetings."""
    return policies.runs(user, team)


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
