"""Closing a meeting: the outcomes are applied through the lead services in one transaction, so
either every outcome is applied or none is; open commitments move to next week's meeting."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from leads import services as lead_services
from leads.exceptions import LeadError
from leads.models import LeadEvent, Stage
from reviews import selectors
from reviews.exceptions import ItemsRefused, MeetingClosed
from reviews.models import MEETING_TRANSITIONS, REASON_DISPOSITION, Outcome, ReviewEvent, ReviewItem, ReviewMeeting
from reviews.services.carry import commitments_of
from reviews.services.common import require_runner, review_event_record
from reviews.services.emails import review_minutes_email
from reviews.services.items import outcome_error, recorded_outcome

REASSIGN_REASON = "review meeting"


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
    carries = commitments_of(meeting)
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
    the lead's history, in one transaction. Every rule of recording is asked again first. If any
    outcome can no longer be applied (the lead changed since it was recorded), the close is
    refused with the items that failed and nothing changes; the refusal is logged on the
    meeting."""
    require_runner(meeting.team, by)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            meeting = ReviewMeeting.objects.select_for_update().select_related("team").get(pk=meeting.pk)
            if ReviewMeeting.Status.CLOSED not in MEETING_TRANSITIONS[meeting.status]:
                raise MeetingClosed("This meeting is already closed.")
            items = list(
                meeting.items.exclude(outcome="")
                .select_related("lead__team", "reason", "reassign_to")
                .order_by("rep_id", "id")
            )
            reps = {user.pk: user for user in selectors.team_reps(team=meeting.team)}
            failures = {}
            for item in items:
                # The rules of recording, asked again: the lead may have changed since.
                if error := outcome_error(item, recorded_outcome(item), meeting=meeting, by=by, reps=reps):
                    failures[item.pk] = error
                    continue
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
