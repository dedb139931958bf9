"""The weekly lead-review meeting: one meeting per team per ISO week, one agenda item per open
lead of every rep of the team, each with a snapshot taken at opening, the rep's update and the
outcome the manager records."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from alignment.models import RejectionReason, Team
from leads.models import Lead, Stage


def week_label(week_start: date) -> str:
    iso = week_start.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


class ReviewMeeting(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="review_meetings")
    # The Monday of the ISO week the meeting belongs to.
    week_start = models.DateField()
    # When the meeting takes place (default Monday 10:00 in the team's time zone); the
    # calendar invite is built from it.
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    # Null when Accord opened the meeting on its own (the weekly beat task).
    # PROTECT: who opened and closed a meeting is history (deactivate people, never delete them).
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week_start"], name="one_review_per_team_and_week"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="closed_review_has_closed_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="review_status_scheduled")]

    def __str__(self) -> str:
        return f"{self.team} lead review {self.week}"

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


# The only status changes a meeting allows: a closed meeting is read-only for good.
MEETING_TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewMeeting.Status.OPEN: frozenset({ReviewMeeting.Status.CLOSED}),
    ReviewMeeting.Status.CLOSED: frozenset(),
}


class Outcome(models.TextChoices):
    PROGRESSING = "progressing", "Progressing"
    STALLED = "stalled", "Stalled"
    RECYCLE = "recycle", "Recycle to marketing"
    DISQUALIFY = "disqualify", "Disqualify"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    REASSIGN = "reassign", "Reassign"


# Outcomes that end sales' work on the lead (nothing is carried to next week).
CLOSING_OUTCOMES = frozenset({Outcome.RECYCLE, Outcome.DISQUALIFY, Outcome.WON, Outcome.LOST})
# Outcomes that need an after-working reason from the catalogue, with this disposition.
REASON_DISPOSITION = {
    Outcome.RECYCLE: RejectionReason.Disposition.RECYCLE,
    Outcome.DISQUALIFY: RejectionReason.Disposition.DISQUALIFY,
}


class SlaStatus(models.TextChoices):
    ON_TIME = "on_time", "On time"
    ACCEPT_OVERDUE = "accept_overdue", "Accept overdue"
    FIRST_TOUCH_OVERDUE = "first_touch_overdue", "First touch overdue"


class ReviewItem(models.Model):
    """One open lead on a meeting's agenda."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="items")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="review_items")
    # The rep who owned the lead when the meeting opened, and who reports on it.
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_items")

    # Snapshot at opening.
    stage = models.CharField(max_length=20, choices=Stage.choices)
    stage_changed_at = models.DateTimeField()
    days_in_stage = models.PositiveIntegerField(default=0)
    last_touch_at = models.DateTimeField(null=True, blank=True)
    sla_status = models.CharField(max_length=20, choices=SlaStatus.choices, default=SlaStatus.ON_TIME)
    # The lead's grade and bucket under the active definition when the meeting opened.
    grade = models.CharField(max_length=2, blank=True)
    bucket = models.CharField(max_length=20, blank=True)
    inherited = models.BooleanField(default=False, help_text="Reassigned from someone who left.")

    # Last week's next step, carried over because it was not met.
    carried_step = models.CharField(max_length=200, blank=True)
    carried_step_due = models.DateField(null=True, blank=True)
    # Weeks in a row the carried step has been on the agenda unmet (0: nothing carried).
    carried_weeks = models.PositiveSmallIntegerField(default=0)
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    step_done = models.BooleanField(default=False, help_text="The carried step was done.")

    # The rep's update before the meeting.
    update = models.TextField(blank=True)
    proposed_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    # The commitment for next week (proposed by the rep, settled by the manager).
    next_step = models.CharField(max_length=200, blank=True)
    next_step_due = models.DateField(null=True, blank=True)

    # Recorded in the meeting.
    discussed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    reason = models.ForeignKey(RejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When closing the meeting applied the outcome to the lead.
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "rep_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "lead"], name="one_review_item_per_lead"),
            models.CheckConstraint(
                condition=~Q(outcome__in=["recycle", "disqualify"]) | Q(reason__isnull=False),
                name="review_give_up_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="reassign") | Q(reassign_to__isnull=False),
                name="review_reassign_has_target",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "rep", "id"], name="reviewitem_meeting_rep")]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} in {self.meeting_id}"

    @property
    def has_update(self) -> bool:
        return self.updated_at is not None


class ReviewEvent(models.Model):
    """Append-only log of what happened to a meeting, written with the change it records."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        CLOSED = "closed", "Closed"
        CLOSE_REFUSED = "close_refused", "Close refused"
        REMINDED = "reminded", "Reps reminded"
        MINUTES_SENT = "minutes_sent", "Minutes sent"

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The actor's name as written when the event happened (alignment.actors); it stays when the
    # account is renamed. Accounts with history are deactivated, never deleted (PROTECT).
    actor_name = models.CharField(max_length=301, blank=True, default="")
    created_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.meeting_id})"


class ReviewReminder(models.Model):
    """A rep was reminded to post their updates for a meeting. The unique constraint is what
    makes the reminder go out once, however often the task runs."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="reminders")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "rep"], name="one_review_reminder_per_rep")]

    def __str__(self) -> str:
        return f"Reminder to {self.rep_id} for {self.meeting_id}"
