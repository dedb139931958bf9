"""Every write to lead-review meetings, by concern: opening (the agenda's snapshot), items (the
reps' updates and the manager's outcomes while the meeting is open), closing (the outcomes
applied in one transaction), emails (reminders and minutes through the outbox), follow (items
that follow a lead to its new owner); common holds the lock, the runner rule and the event log.
Callers use this package's names."""

from reviews.services.closing import REASSIGN_REASON, review_meeting_close
from reviews.services.common import may_run, outcome_refusal, outcomes_allowed, review_event_record
from reviews.services.emails import review_minutes_email, review_reminders_send, review_reminders_send_due
from reviews.services.follow import review_items_follow_leads
from reviews.services.items import ItemOutcome, RepUpdate, review_items_record, review_items_update
from reviews.services.opening import (
    DEFAULT_MEETING_TIME,
    OpenSummary,
    review_meeting_open,
    review_meetings_open_due,
    review_meetings_open_week,
)

__all__ = [
    "DEFAULT_MEETING_TIME",
    "REASSIGN_REASON",
    "ItemOutcome",
    "OpenSummary",
    "RepUpdate",
    "may_run",
    "outcome_refusal",
    "outcomes_allowed",
    "review_event_record",
    "review_items_follow_leads",
    "review_items_record",
    "review_items_update",
    "review_meeting_close",
    "review_meeting_open",
    "review_meetings_open_due",
    "review_meetings_open_week",
    "review_minutes_email",
    "review_reminders_send",
    "review_reminders_send_due",
]
