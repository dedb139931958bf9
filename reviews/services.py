"""Every write to lead-review meetings. Opening takes a snapshot of the team's open leads in a
constant number of set-based queries; recording and updating items happen only while the
meeting is open; closing applies the outcomes through the lead services in one transaction, so
either every outcome is applied or none is."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from alignment import policies
from alignment.actors import actor_name
from alignment.exceptions import NotAllowed
from alignment.models import RejectionReason, Team
from alignment.selectors import working_reps
from leads import services as lead_services
from leads.exceptions import LeadError
from leads.models import SALES_STAGES, WORKING_STAGES, Handoff, Lead, LeadEvent, Stage, Touch
from outbox.services import enqueue_email, enqueue_emails
from reviews import selectors
from reviews.exceptions import DuplicateMeeting, ItemsRefused, MeetingClosed, ReviewError
from reviews.models import (
    CLOSING_OUTCOMES,
    MEETING_TRANSITIONS,
    PENDING_OUTCOMES,
    REASON_DISPOSITION,
    Outcome,
    ReviewEvent,
    ReviewItem,
    ReviewMeeting,
    ReviewReminder,
    SlaStatus,
    week_label,
)
from reviews.weeks import at_local, local_now, monday_of

logger = logging.getLogger(__name__)
User = get_user_model()

# When a meeting takes place unless the manager says otherwise: Monday 10:00, team time.
DEFAULT_MEETING_TIME = time(10, 0)
# The weekly task opens a team's meeting once the team's local time is past Monday 06:00.
OPEN_AFTER_LOCAL = time(6, 0)
REASSIGN_REASON = "review meeting"
# What a rep's update and the manager's recording each write (one UPDATE per item: a page holds
# 50 at most, and bulk_update's CASE expressions cost more than they save).
REP_FIELDS = ["update", "proposed_outcome", "next_step", "next_step_due", "step_done", "updated_at"]
OUTCOME_FIELDS = [
    "outcome",
    "reason",
    "reassign_to",
    "outcome_note",
    "next_step",
    "next_step_due",
    "step_done",
    "discussed_at",
    "recorded_by",
]


@dataclass(frozen=True)
class OpenSummary:
    opened: int = 0
    items: int = 0
    carried_over: int = 0

    def __add__(self, other: "OpenSummary") -> "OpenSummary":
        return OpenSummary(self.opened + other.opened, self.items + other.items, self.carried_over + other.carried_over)

    def as_dict(self) -> dict[str, int]:
        return {"opened": self.opened, "items": self.items, "carried_over": self.carried_over}


@dataclass(frozen=True)
class RepUpdate:
    """What a rep posts on one of their items before the meeting."""

    update: str = ""
    proposed_outcome: str = ""
    next_step: str = ""
    next_step_due: date | None = None
    step_done: bool = False


@dataclass(frozen=True)
class ItemOutcome:
    """What the manager records on an item in the meeting."""

    discussed: bool = True
    outcome: str = ""
    reason: RejectionReason | None = None
    reassign_to: Any = None
    next_step: str = ""
    next_step_due: date | None = None
    note: str = ""
    step_done: bool = False


def _name(user) -> str:
    return user.get_full_name() or user.username


def may_run(*, team: Team, user) -> bool:
    """The team's manager or a sales leader runs and closes the team's meetings."""
    return policies.runs(user, team)


def _require_runner(team: Team, by) -> None:
    if not may_run(team=team, user=by):
        raise NotAllowed("Only the team's manager or a sales leader can run this meeting.")


def _lock_open(meeting: ReviewMeeting) -> ReviewMeeting:
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


# --- Opening ---------------------------------------------------------------------------------


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


def _carry(row: dict) -> tuple[str, date | None, int] | None:
    """The commitment an item of a closed meeting carries into next week, if any: its new next
    step, or its carried step still not done. A step carried again unmet counts one more week."""
    if row["outcome"] in CLOSING_OUTCOMES:
        return None
    carried_unmet = bool(row["carried_step"]) and not row["step_done"]
    if row["next_step"]:
        same = carried_unmet and row["next_step"] == row["carried_step"]
        return row["next_step"], row["next_step_due"], row["carried_weeks"] + 1 if same else 1
    if carried_unmet:
        return row["carried_step"], row["carried_step_due"], row["carried_weeks"] + 1
    return None


_CARRY_FIELDS = (
    "id",
    "lead_id",
    "outcome",
    "next_step",
    "next_step_due",
    "carried_step",
    "carried_step_due",
    "carried_weeks",
    "step_done",
)


def _carries_of(meeting: ReviewMeeting | None) -> dict[int, tuple[int, tuple[str, date | None, int]]]:
    """lead id -> (item id, commitment) for every unmet commitment of a closed meeting."""
    if meeting is None or meeting.is_open:
        return {}
    carries = {}
    for row in meeting.items.order_by().values(*_CARRY_FIELDS):
        carry = _carry(row)
        if carry is not None:
            carries[row["lead_id"]] = (row["id"], carry)
    return carries


def _open_meeting(*, team: Team, week_start: date, by, now: datetime) -> tuple[ReviewMeeting, int, int]:
    meeting = ReviewMeeting(
        team=team,
        week_start=week_start,
        scheduled_at=at_local(week_start, DEFAULT_MEETING_TIME, team.time_zone),
        opened_at=now,
        opened_by=by,
    )
    previous = ReviewMeeting.objects.filter(team=team, week_start=week_start - timedelta(days=7)).first()
    carries = _carries_of(previous)
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
        _require_runner(team, by)
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


# --- Before and in the meeting ---------------------------------------------------------------


def _clean_step(step: str, due: date | None, *, meeting: ReviewMeeting, lead) -> str | None:
    if due and not step:
        return f"{lead}: describe the next step that is due on {due:%Y-%m-%d}."
    if step and len(step) > 200:
        return f"{lead}: keep the next step under 200 characters."
    if due and due < meeting.week_start:
        return f"{lead}: the next step cannot be due before the meeting's week."
    return None


def review_items_update(
    *, meeting: ReviewMeeting, by, updates: dict[int, RepUpdate], now: datetime | None = None
) -> int:
    """A rep posts updates on their own items while the meeting is open. All or nothing: if one
    item breaks a rule, ItemsRefused names it and nothing is saved."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock_open(meeting)
        items = list(meeting.items.filter(pk__in=list(updates)).select_related("lead"))
        if len(items) != len(updates) or any(item.rep_id != by.pk for item in items):
            raise NotAllowed("You can only update the leads on the agenda under your name.")
        errors = {}
        for item in items:
            change = updates[item.pk]
            error = _clean_step(change.next_step.strip(), change.next_step_due, meeting=meeting, lead=item.lead)
            if change.proposed_outcome and change.proposed_outcome not in Outcome.values:
                error = f"{item.lead}: choose one of the listed outcomes."
            if error:
                errors[item.pk] = error
        if errors:
            raise ItemsRefused(errors)
        for item in items:
            change = updates[item.pk]
            item.update = change.update.strip()
            item.proposed_outcome = change.proposed_outcome
            item.next_step = change.next_step.strip()
            item.next_step_due = change.next_step_due
            item.step_done = bool(change.step_done and item.carried_step)
            item.updated_at = now
            item.full_clean(exclude=["meeting", "lead", "rep", "reason", "reassign_to", "carried_from"])
            item.save(update_fields=REP_FIELDS)
    return len(items)


def _outcome_error(item: ReviewItem, change: ItemOutcome, *, meeting: ReviewMeeting, by, reps: dict) -> str | None:
    lead = item.lead
    outcome = change.outcome
    if outcome and outcome not in Outcome.values:
        return f"{lead}: choose one of the listed outcomes."
    step_error = _clean_step(change.next_step.strip(), change.next_step_due, meeting=meeting, lead=lead)
    if step_error:
        return step_error
    if not outcome or outcome == Outcome.STALLED or outcome == Outcome.PROGRESSING:
        return None
    label = Outcome(outcome).label.lower()
    if lead.stage not in SALES_STAGES:
        return f"{lead} is no longer worked by sales (it is {Stage(lead.stage).label}); record no outcome for it."
    if lead.stage == Stage.HANDED_OFF and outcome not in PENDING_OUTCOMES:
        return f"{lead} has not been accepted yet: it can only be progressing, stalled or reassigned."
    if not lead_services.may_work_on(lead=lead, user=by):
        return f"{lead} belongs to another team's manager; you cannot {label} it."
    if outcome in REASON_DISPOSITION:
        wanted = REASON_DISPOSITION[outcome]
        reason = change.reason
        if reason is None:
            return f"{lead}: choose a reason from the catalogue to {label} it."
        if not reason.is_active or reason.phase != RejectionReason.Phase.AFTER_WORKING:
            return f"{lead}: “{reason.label}” is not an agreed after-working reason."
        if reason.disposition != wanted:
            return (
                f"{lead}: “{reason.label}” would {reason.get_disposition_display().lower()}; "
                f"choose a reason that means {RejectionReason.Disposition(wanted).label.lower()}."
            )
        if lead.stage not in {Stage.ACCEPTED, Stage.QUALIFIED}:
            return f"{lead} is an opportunity: record it as lost rather than {label} it."
    if outcome == Outcome.REASSIGN:
        to = change.reassign_to
        if to is None:
            return f"{lead}: choose the rep to reassign it to."
        if to.pk not in reps:
            return f"{lead}: {_name(to)} is not an active rep of {meeting.team}."
        if to.pk == lead.owner_id:
            return f"{lead} already belongs to {_name(to)}."
    if outcome in (Outcome.WON, Outcome.LOST) and lead.stage not in WORKING_STAGES:
        return f"{lead} is not being worked yet; it cannot be {label}."
    return None


def review_items_record(
    *, meeting: ReviewMeeting, by, outcomes: dict[int, ItemOutcome], now: datetime | None = None
) -> int:
    """The manager marks items discussed and records their outcome and next step. Nothing
    touches the lead until the meeting closes. All or nothing: an outcome that breaks a rule
    (a recycle without a catalogue reason, a won lead not yet accepted...) changes nothing."""
    _require_runner(meeting.team, by)
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock_open(meeting)
        items = list(meeting.items.filter(pk__in=list(outcomes)).select_related("lead__team"))
        if len(items) != len(outcomes):
            raise NotAllowed("Those items are not on this meeting's agenda.")
        reps = {user.pk: user for user in selectors.team_reps(team=meeting.team)}
        errors = {}
        for item in items:
            error = _outcome_error(item, outcomes[item.pk], meeting=meeting, by=by, reps=reps)
            if error:
                errors[item.pk] = error
        if errors:
            raise ItemsRefused(errors)
        for item in items:
            change = outcomes[item.pk]
            item.outcome = change.outcome
            item.reason = change.reason if change.outcome in REASON_DISPOSITION else None
            item.reassign_to = change.reassign_to if change.outcome == Outcome.REASSIGN else None
            item.outcome_note = change.note.strip()
            item.next_step = change.next_step.strip()
            item.next_step_due = change.next_step_due
            item.step_done = bool(change.step_done and item.carried_step)
            if change.discussed or change.outcome:
                item.discussed_at = item.discussed_at or now
            else:
                item.discussed_at = None
            item.recorded_by = by
            item.save(update_fields=OUTCOME_FIELDS)
    return len(items)


# --- Closing ---------------------------------------------------------------------------------


def _apply_outcome(item: ReviewItem, *, by, meeting: ReviewMeeting, now: datetime) -> None:
    lead, outcome, note = item.lead, item.outcome, item.outcome_note
    if outcome in (Outcome.WON, Outcome.LOST):
        lead_services.lead_advance(lead=lead, by=by, to_stage=Stage(outcome), note=note, now=now)
    elif outcome in REASON_DISPOSITION:
        lead_services.lead_give_up(lead=lead, by=by, reason=item.reason, note=note, now=now)
    elif outcome == Outcome.REASSIGN:
        lead_services.lead_reassign(lead=lead, to=item.reassign_to, by=by, reason=REASSIGN_REASON, now=now)
    lead_services.lead_event_record(
        lead=lead,
        kind=LeadEvent.Kind.REVIEWED,
        actor=by,
        details={
            "meeting": meeting.pk,
            "week": meeting.week,
            "outcome": outcome,
            "reason": item.reason.code if item.reason else "",
            "reassigned_to": item.reassign_to.username if item.reassign_to else "",
            "next_step": item.next_step,
            "next_step_due": item.next_step_due.isoformat() if item.next_step_due else "",
            "note": note,
        },
        at=now,
    )


def _carry_into_next(meeting: ReviewMeeting) -> int:
    """When next week's meeting is already open, put this meeting's unmet commitments on it."""
    following = ReviewMeeting.objects.filter(
        team=meeting.team, week_start=meeting.week_start + timedelta(days=7), status=ReviewMeeting.Status.OPEN
    ).first()
    if following is None:
        return 0
    carries = _carries_of(meeting)
    targets = list(following.items.filter(lead_id__in=list(carries), carried_weeks=0).only("id", "lead_id"))
    for item in targets:
        from_id, (step, due, weeks) = carries[item.lead_id]
        item.carried_from_id, item.carried_step, item.carried_step_due, item.carried_weeks = from_id, step, due, weeks
    ReviewItem.objects.bulk_update(
        targets, ["carried_from", "carried_step", "carried_step_due", "carried_weeks"], batch_size=1000
    )
    return len(targets)


def review_meeting_close(*, meeting: ReviewMeeting, by, now: datetime | None = None) -> ReviewMeeting:
    """Close the meeting: apply every recorded outcome through the lead services and write it to
    the lead's history, in one transaction. If any outcome can no longer be applied (the lead
    changed since it was recorded), the close is refused with the items that failed and nothing
    changes; the refusal is logged on the meeting."""
    _require_runner(meeting.team, by)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            meeting = ReviewMeeting.objects.select_for_update().select_related("team").get(pk=meeting.pk)
            if ReviewMeeting.Status.CLOSED not in MEETING_TRANSITIONS[meeting.status]:
                raise MeetingClosed("This meeting is already closed.")
            items = list(
                meeting.items.exclude(outcome="")
                .select_related("lead", "reason", "reassign_to")
                .order_by("rep_id", "id")
            )
            failures = {}
            for item in items:
                try:
                    with transaction.atomic():
                        _apply_outcome(item, by=by, meeting=meeting, now=now)
                except LeadError as error:
                    failures[item.pk] = f"{item.lead}: {error}"
            if failures:
                raise ItemsRefused(
                    failures, summary="The meeting was not closed and no outcome was applied; change these first:"
                )
            ReviewItem.objects.filter(pk__in=[item.pk for item in items]).update(applied_at=now)
            claimed = ReviewMeeting.objects.filter(pk=meeting.pk, status=ReviewMeeting.Status.OPEN).update(
                status=ReviewMeeting.Status.CLOSED, closed_at=now, closed_by=by
            )
            if claimed != 1:
                raise MeetingClosed("This meeting is already closed.")
            meeting.refresh_from_db()
            carried = _carry_into_next(meeting)
            review_event_record(
                meeting=meeting,
                kind=ReviewEvent.Kind.CLOSED,
                actor=by,
                details={"applied": len(items), "carried_into_open_meeting": carried},
                at=now,
            )
            review_minutes_email(meeting=meeting, now=now)
    except ItemsRefused as refusal:
        review_event_record(
            meeting=meeting,
            kind=ReviewEvent.Kind.CLOSE_REFUSED,
            actor=by,
            details={"items": {str(pk): message for pk, message in refusal.errors.items()}},
            at=now,
        )
        raise
    return meeting


# --- Emails ----------------------------------------------------------------------------------


def _base_url() -> str:
    """Where links in emails point."""
    return settings.ACCORD_BASE_URL.rstrip("/")


def review_reminders_send(*, meeting: ReviewMeeting, now: datetime | None = None) -> int:
    """Remind each rep who has items without an update, once per meeting however often this
    runs: the reminder row and its email (in the outbox) are written in one transaction, and the
    reminder's unique constraint turns a second attempt into a no-op."""
    if not meeting.is_open:
        return 0
    now = now or timezone.now()
    sent = []
    for rep, missing in selectors.reps_to_remind(meeting=meeting):
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(meeting=meeting, rep=rep, sent_at=now)
                enqueue_email(
                    key=f"review-reminder:{meeting.pk}:{rep.pk}",
                    to=rep.email,
                    subject=f"Lead review {meeting.week}: {missing} lead(s) still need your update",
                    body=render_to_string(
                        "reviews/email/reminder.txt",
                        {"meeting": meeting, "rep": rep, "missing": missing, "base_url": _base_url()},
                    ),
                    now=now,
                )
        except IntegrityError:
            continue  # already reminded (another worker, or an earlier run)
        sent.append(rep.username)
    if sent:
        review_event_record(meeting=meeting, kind=ReviewEvent.Kind.REMINDED, details={"reps": sent}, at=now)
    return len(sent)


def review_reminders_send_due(*, now: datetime | None = None) -> int:
    """The periodic task's work: remind reps of every open meeting that takes place within the
    next 24 hours (the day before)."""
    now = now or timezone.now()
    meetings = ReviewMeeting.objects.filter(
        status=ReviewMeeting.Status.OPEN, scheduled_at__gt=now, scheduled_at__lte=now + timedelta(hours=24)
    ).select_related("team")
    return sum(review_reminders_send(meeting=meeting, now=now) for meeting in meetings)


def review_minutes_email(*, meeting: ReviewMeeting, now: datetime | None = None) -> int:
    """Email the minutes of a closed meeting to its attendees, once: the manager receives every
    item, each rep their own. The emails are outbox rows, one per person, written with the claim
    on ``minutes_sent_at`` and sent after commit, so a mail server failing on the third person
    never resends to the first two. Returns the number of emails written."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = ReviewMeeting.objects.filter(
            pk=meeting.pk, status=ReviewMeeting.Status.CLOSED, minutes_sent_at__isnull=True
        ).update(minutes_sent_at=now)
        if claimed != 1:
            return 0  # not closed, or already sent
        meeting = ReviewMeeting.objects.select_related("team__manager", "closed_by").get(pk=meeting.pk)
        items = list(selectors.minutes_items(meeting=meeting))
        by_rep: dict[int, list[ReviewItem]] = {}
        for item in items:
            by_rep.setdefault(item.rep_id, []).append(item)
        recipients = []
        manager = meeting.team.manager
        if manager is not None and manager.email:
            recipients.append((manager, items))
        recipients += [(rep_items[0].rep, rep_items) for rep_items in by_rep.values() if rep_items[0].rep.email]
        subject = f"Minutes: {meeting.team} lead review {meeting.week}"
        enqueue_emails(
            messages=[
                (
                    f"minutes:{meeting.pk}:{person.pk}",
                    person.email,
                    subject,
                    render_to_string(
                        "reviews/email/minutes.txt",
                        {
                            "meeting": meeting,
                            "person": person,
                            "items": person_items,
                            "full": person == manager,
                            "base_url": _base_url(),
                        },
                    ),
                )
                for person, person_items in recipients
            ],
            now=now,
        )
        review_event_record(
            meeting=meeting,
            kind=ReviewEvent.Kind.MINUTES_SENT,
            details={"to": [person.username for person, _ in recipients]},
            at=now,
        )
    return len(recipients)


# --- Leads that changed owner ----------------------------------------------------------------


def review_items_follow_leads(*, moves: list[tuple[int, int | None, int]]) -> int:
    """Items of open meetings follow their lead to its new owner, so the commitment does not stay
    with someone who left. `moves` is [(lead id, from user id, to user id)]; one UPDATE per new
    owner. Returns how many items moved."""
    by_new_owner: dict[int, list[int]] = {}
    for lead_id, _previous, new_owner in moves:
        by_new_owner.setdefault(new_owner, []).append(lead_id)
    moved = 0
    for new_owner, lead_ids in by_new_owner.items():
        moved += (
            ReviewItem.objects.filter(meeting__status=ReviewMeeting.Status.OPEN, lead_id__in=lead_ids)
            .exclude(rep_id=new_owner)
            .update(rep_id=new_owner)
        )
    return moved
