"""Opening the week's meetings: a snapshot of each team's open leads as the agenda, in a constant
number of set-based queries, with last week's open commitments carried over."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from alignment.models import Team
from alignment.selectors import working_reps
from leads.models import SALES_STAGES, Handoff, Lead, LeadEvent, Touch
from reviews import selectors
from reviews.exceptions import DuplicateMeeting, ReviewError
from reviews.models import ReviewEvent, ReviewItem, ReviewMeeting, SlaStatus, week_label
from reviews.services.carry import commitments_of
from reviews.services.common import require_runner, review_event_record
from reviews.weeks import at_local, local_now, monday_of

# When a meeting takes place unless the manager says otherwise: Monday 10:00, team time.
DEFAULT_MEETING_TIME = time(10, 0)
# The weekly task opens a team's meeting once the team's local time is past Monday 06:00.
OPEN_AFTER_LOCAL = time(6, 0)


@dataclass(frozen=True)
class OpenSummary:
    opened: int = 0
    items: int = 0
    carried_over: int = 0

    def __add__(self, other: "OpenSummary") -> "OpenSummary":
        return OpenSummary(self.opened + other.opened, self.items + other.items, self.carried_over + other.carried_over)

    def as_dict(self) -> dict[str, int]:
        return {"opened": self.opened, "items": self.items, "carried_over": self.carried_over}


def _agenda(*, team: Team, now: datetime):
    """The team's open leads with everything the snapshot needs, in one query: leads in a sales
    stage owned by the team's current, active sales reps."""
    reps = working_reps().filter(team=team).values("user_id")
    last_touch = Touch.objects.filter(lead=OuterRef("pk")).order_by("-happened_at").values("happened_at")[:1]
    return (
        Lead.objects.filter(owner_id__in=Subquery(reps), stage__in=SALES_STAGES)
        .annotate(
            last_touch=Subquery(last_touch),
            accept_overdue=Exists(
                Handoff.objects.filter(lead=OuterRef("pk"), status=Handoff.Status.PENDING, accept_due_at__lt=now)
            ),
            first_touch_overdue=Exists(
                Handoff.objects.filter(
                    lead=OuterRef("pk"),
                    status=Handoff.Status.ACCEPTED,
                    closed_at__isnull=True,
                    first_touch_at__isnull=True,
                    first_touch_due_at__lt=now,
                )
            ),
            inherited=Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.INHERITED)),
        )
        .order_by("owner_id", "id")
        .values_list(
            "id",
            "owner_id",
            "stage",
            "stage_changed_at",
            "last_touch",
            "accept_overdue",
            "first_touch_overdue",
            "inherited",
            "grade",
            "bucket",
        )
    )


def _open_meeting(*, team: Team, week_start: date, by, now: datetime) -> tuple[ReviewMeeting, int, int]:
    meeting = ReviewMeeting(
        team=team,
        week_start=week_start,
        scheduled_at=at_local(week_start, DEFAULT_MEETING_TIME, team.time_zone),
        opened_at=now,
        opened_by=by,
    )
    previous = ReviewMeeting.objects.filter(team=team, week_start=week_start - timedelta(days=7)).first()
    carries = commitments_of(previous)
    items = []
    for lead_id, rep_id, stage, changed_at, last_touch, accept_late, touch_late, inherited, grade, bucket in _agenda(
        team=team, now=now
    ):
        item = ReviewItem(
            lead_id=lead_id,
            rep_id=rep_id,
            stage=stage,
            stage_changed_at=changed_at,
            days_in_stage=max((now - changed_at).days, 0),
            last_touch_at=last_touch,
            sla_status=SlaStatus.ACCEPT_OVERDUE
            if accept_late
            else SlaStatus.FIRST_TOUCH_OVERDUE
            if touch_late
            else SlaStatus.ON_TIME,
            inherited=inherited,
            grade=grade,
            bucket=bucket,
        )
        if lead_id in carries:
            from_id, (step, due, weeks) = carries[lead_id]
            item.carried_from_id, item.carried_step, item.carried_step_due, item.carried_weeks = (
                from_id,
                step,
                due,
                weeks,
            )
        items.append(item)
    try:
        with transaction.atomic():
            meeting.save()
            for item in items:
                item.meeting = meeting
            ReviewItem.objects.bulk_create(items, batch_size=2000)
            carried = sum(1 for item in items if item.carried_weeks)
            review_event_record(
                meeting=meeting,
                kind=ReviewEvent.Kind.OPENED,
                actor=by,
                details={"items": len(items), "carried_over": carried, "reps": len({i.rep_id for i in items})},
                at=now,
            )
    except IntegrityError:
        raise DuplicateMeeting(f"{team} already has a lead review for week {week_label(week_start)}.") from None
    return meeting, len(items), carried


def review_meeting_open(
    *, team: Team, week_start: date | None = None, by=None, now: datetime | None = None
) -> ReviewMeeting:
    """Open a team's meeting for the ISO week starting `week_start` (default: this week in the
    team's time zone) with every open lead of every rep on its agenda. `by` is None when Accord
    opens it."""
    if by is not None:
        require_runner(team, by)
    if team.kind != Team.Kind.SALES:
        raise ReviewError(f"{team} is not a sales team; only sales teams hold lead reviews.")
    now = now or timezone.now()
    week_start = monday_of(week_start or local_now(team.time_zone, now).date())
    if ReviewMeeting.objects.filter(team=team, week_start=week_start).exists():
        raise DuplicateMeeting(f"{team} already has a lead review for week {week_label(week_start)}.")
    meeting, _items, _carried = _open_meeting(team=team, week_start=week_start, by=by, now=now)
    return meeting


def _teams_to_open(week_starts: dict[int, date]) -> list[Team]:
    """Sales teams with at least one current rep and no meeting yet for their week."""
    reps = working_reps().filter(team=OuterRef("pk"))
    teams = list(selectors.sales_teams().filter(pk__in=week_starts).filter(Exists(reps)))
    existing = set(
        ReviewMeeting.objects.filter(team__in=teams, week_start__in=set(week_starts.values())).values_list(
            "team_id", "week_start"
        )
    )
    return [team for team in teams if (team.pk, week_starts[team.pk]) not in existing]


def _open_many(week_starts: dict[int, date], now: datetime) -> OpenSummary:
    summary = OpenSummary()
    for team in _teams_to_open(week_starts):
        try:
            _meeting, items, carried = _open_meeting(team=team, week_start=week_starts[team.pk], by=None, now=now)
        except DuplicateMeeting:
            continue  # another worker opened it a moment ago
        summary += OpenSummary(1, items, carried)
    return summary


def review_meetings_open_week(*, week_start: date | None = None, now: datetime | None = None) -> OpenSummary:
    """Open the meetings of one ISO week (default: the current week in each team's time zone)
    for every sales team that has none yet. Idempotent: a second run opens nothing."""
    now = now or timezone.now()
    teams = selectors.sales_teams()
    if week_start is not None:
        week_start = monday_of(week_start)
        week_starts = {team.pk: week_start for team in teams}
    else:
        week_starts = {team.pk: monday_of(local_now(team.time_zone, now).date()) for team in teams}
    return _open_many(week_starts, now)


def review_meetings_open_due(*, now: datetime | None = None) -> OpenSummary:
    """The periodic task's work: open this week's meeting for every team whose local time is
    past Monday 06:00. Run hourly, each team's meeting opens within the hour after 06:00 its
    own time, whatever its time zone; one UTC schedule serves every team."""
    now = now or timezone.now()
    week_starts = {}
    for team in selectors.sales_teams():
        local = local_now(team.time_zone, now)
        if local.weekday() == 0 and local.time() < OPEN_AFTER_LOCAL:
            continue
        week_starts[team.pk] = monday_of(local.date())
    return _open_many(week_starts, now)
