from django.db import models


class WeeklyDigest(models.Model):
    """One row per week the leaders' digest went out: the unique week is what keeps a second
    run (a retry, a second beat) from sending it twice."""

    week_start = models.DateField(unique=True, help_text="The Monday of the week the digest covers.")
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)
    alerts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"Digest for the week of {self.week_start}"


class LeadJourney(models.Model):
    """One row per lead, derived from the lead and its event log (insights.rollups keeps it
    current): what the lead figures count, so the dashboard reads this instead of joining the
    event log. `reached_*` is the first time the lead reached that funnel step (or any further
    one), `secs_*` the seconds from the step before (from creation for MQL)."""

    lead = models.OneToOneField(
        "leads.Lead", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    created_at = models.DateTimeField()
    week = models.DateField(help_text="The Monday (UTC) of the lead's creation.")
    source_id = models.BigIntegerField()
    campaign_id = models.BigIntegerField(null=True)
    sourced_by_id = models.BigIntegerField(null=True)
    cycles = models.PositiveSmallIntegerField(help_text="Times recycled, 3 meaning three or more.")
    reached_mql = models.DateTimeField(null=True)
    reached_handed_off = models.DateTimeField(null=True)
    reached_accepted = models.DateTimeField(null=True)
    reached_qualified = models.DateTimeField(null=True)
    reached_won = models.DateTimeField(null=True)
    secs_mql = models.FloatField(null=True)
    secs_handed_off = models.FloatField(null=True)
    secs_accepted = models.FloatField(null=True)
    secs_qualified = models.FloatField(null=True)
    secs_won = models.FloatField(null=True)

    class Meta:
        # Covering: a period's rows are read from the index alone, in order of creation.
        indexes = [
            models.Index(
                fields=[
                    "created_at",
                    "source_id",
                    "campaign_id",
                    "sourced_by_id",
                    "cycles",
                    "week",
                    "secs_mql",
                    "secs_handed_off",
                    "secs_accepted",
                    "secs_qualified",
                    "secs_won",
                ],
                name="leadjourney_period",
            )
        ]

    def __str__(self) -> str:
        return f"Journey of lead {self.lead_id}"


class HandoffOutcome(models.Model):
    """One row per hand-off, derived from it, its lead and its reminders (insights.rollups keeps
    it current beside the lead journey): what the hand-off figures count, so the dashboard reads
    this instead of joining each hand-off of the period to its lead. Grade and bucket are the
    hand-off's (what marketing sent), the lead's other columns its current values; the due and
    decision times are kept as they are, because whether a pending hand-off is past due depends
    on when the dashboard is read."""

    handoff = models.OneToOneField(
        "leads.Handoff", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    lead_id = models.BigIntegerField()
    created_at = models.DateTimeField(help_text="When the hand-off was made.")
    lead_created_at = models.DateTimeField()
    source_id = models.BigIntegerField()
    campaign_id = models.BigIntegerField(null=True)
    sourced_by_id = models.BigIntegerField(null=True)
    grade = models.CharField(max_length=1, blank=True)
    bucket = models.CharField(max_length=12, blank=True)
    won = models.BooleanField(help_text="The lead is won now.")
    assigned_to_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=20)
    reason_id = models.BigIntegerField(null=True)
    definition_id = models.BigIntegerField(null=True)
    override = models.BooleanField()
    accept_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)
    first_touch_due_at = models.DateTimeField(null=True)
    first_touch_at = models.DateTimeField(null=True)
    accept_secs = models.FloatField(null=True, help_text="Seconds from the hand-off to its decision.")
    touch_secs = models.FloatField(null=True, help_text="Seconds from the decision to the first touch.")
    reminders = models.PositiveIntegerField(help_text="Reminders the rep got for this hand-off.")
    escalations = models.PositiveIntegerField(help_text="Escalations to the manager for this hand-off.")

    class Meta:
        indexes = [
            # Covering on PostgreSQL (SQLite has no INCLUDE): a period's rows are read from the
            # index alone, in order of the hand-off.
            models.Index(
                fields=["created_at"],
                include=[
                    "assigned_to_id",
                    "team_id",
                    "grade",
                    "bucket",
                    "status",
                    "reason_id",
                    "definition_id",
                    "override",
                    "won",
                    "sourced_by_id",
                    "accept_due_at",
                    "decided_at",
                    "first_touch_due_at",
                    "first_touch_at",
                    "accept_secs",
                    "touch_secs",
                    "reminders",
                    "escalations",
                ],
                name="handoffoutcome_period",
            ),
            # A team's hand-offs of a period (a sales manager's dashboard).
            models.Index(fields=["team_id", "created_at"], name="handoffoutcome_team_period"),
            # The reasons given on the hand-offs of a period's leads, per campaign.
            models.Index(
                fields=["lead_created_at", "source_id", "campaign_id", "reason_id"],
                condition=models.Q(reason_id__isnull=False),
                name="handoffoutcome_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome of hand-off {self.handoff_id}"


class RollupState(models.Model):
    """How far a rollup has read the lead event log and the reminders: the highest LeadEvent
    and Reminder ids processed; the time from which the beat's next refresh looks again at
    changed leads, events and reminders (a lookback before its previous one, for late commits);
    and when the last refresh began (a refresh on read looks from there)."""

    name = models.CharField(max_length=40, primary_key=True)
    event_watermark = models.BigIntegerField(default=0)
    reminder_watermark = models.BigIntegerField(default=0)
    recheck_from = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.name} up to event {self.event_watermark}"
