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
            # The teams each lead of a period was handed to (the daily aggregates' refresh).
            models.Index(fields=["lead_created_at", "team_id", "lead_id"], name="handoffoutcome_lead_teams"),
            # The hand-offs whose figures depend on the time of reading, which the dashboard
            # reads row by row beside the daily aggregates (insights.sql.unsettled); covering,
            # on SQLite too (no INCLUDE there).
            models.Index(
                fields=[
                    "created_at",
                    "team_id",
                    "assigned_to_id",
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
                    "reminders",
                    "escalations",
                ],
                condition=models.Q(status="pending")
                | models.Q(status="accepted", first_touch_due_at__isnull=False, first_touch_at__isnull=True),
                name="handoffoutcome_unsettled",
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


# --- Daily aggregates -----------------------------------------------------------------------------
# Read instead of the per-row rollups for a period of whole UTC days (insights.aggregates keeps
# them, from those rollups, in the same refresh). Each holds a row per UTC day and key; the
# histograms and the hand-offs (`month`) also a row per calendar month summed from those days
# (`day` its first), so a period reads its whole months from the month rows and the days at
# either end from the day rows (the lead cells keep days only: the weeks are read from them).
# Rows of the same key may repeat (a forgotten campaign, user or team is cleared in place), so
# every read sums them.


class LeadDay(models.Model):
    """The leads created on a day, counted per (source, campaign, finder) — `cycles` NULL — and
    per times recycled (`cycles` 0-3, the other keys NULL), as [leads, reached MQL, handed off,
    accepted, qualified, won]. `teams` is "*" for every lead, otherwise the teams the leads were
    ever handed to, as ",3,7,": a lead is counted once among all leads and once more under its
    own set of teams, so a scope of any teams counts it at most once."""

    day = models.DateField()
    teams = models.TextField()
    source_id = models.BigIntegerField(null=True)
    campaign_id = models.BigIntegerField(null=True)
    sourced_by_id = models.BigIntegerField(null=True)
    cycles = models.PositiveSmallIntegerField(null=True)
    leads = models.PositiveIntegerField()
    mql = models.PositiveIntegerField()
    handed_off = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField()
    qualified = models.PositiveIntegerField()
    won = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["teams", "day"], name="leadday_period")]

    def __str__(self) -> str:
        return f"Leads of {self.day} ({self.teams})"


class LeadDayBin(models.Model):
    """How many of a day's leads (as LeadDay: `teams`) took a duration in a bin of
    insights.sketch, per funnel step (1 MQL … 5 won), per source (`campaign_id` NULL) and per
    campaign (`source_id` NULL): what the funnel's medians merge."""

    month = models.BooleanField(default=False)
    day = models.DateField()
    teams = models.TextField()
    source_id = models.BigIntegerField(null=True)
    campaign_id = models.BigIntegerField(null=True)
    step = models.PositiveSmallIntegerField()
    bin = models.SmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["teams", "month", "day"], name="leaddaybin_period")]

    def __str__(self) -> str:
        return f"Durations of {self.day}, step {self.step}, bin {self.bin}"


class HandoffDay(models.Model):
    """The hand-offs made on a day whose figures no longer depend on the time of reading (not
    pending, and not accepted with a first touch due and not made), counted per the keys of
    insights.selectors.handoff_cells. The others are read from the hand-off outcomes."""

    month = models.BooleanField(default=False)
    day = models.DateField()
    assigned_to_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    grade = models.CharField(max_length=1, blank=True)
    bucket = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=20)
    reason_id = models.BigIntegerField(null=True)
    definition_id = models.BigIntegerField(null=True)
    override = models.BooleanField()
    won = models.BooleanField()
    sourced_by_id = models.BigIntegerField(null=True, help_text="Who found the lead (NULL: marketing).")
    n = models.PositiveIntegerField()
    accept_judged = models.PositiveIntegerField()
    accept_in_time = models.PositiveIntegerField()
    touch_judged = models.PositiveIntegerField()
    touch_in_time = models.PositiveIntegerField()
    reminders = models.PositiveIntegerField()
    escalations = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "day"], name="handoffday_period"),
            models.Index(fields=["team_id", "month", "day"], name="handoffday_team_period"),
        ]

    def __str__(self) -> str:
        return f"Hand-offs of {self.day}"


class HandoffWeek(models.Model):
    """The settled hand-offs of a week (Monday to Sunday, UTC), summed from its HandoffDay rows
    per team, status, override, won and finder only: the overview's weekly sparklines and
    headline tiles read a few hundred of these instead of every day row of two periods."""

    week = models.DateField(help_text="The Monday the week starts on.")
    team_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=20)
    override = models.BooleanField()
    won = models.BooleanField()
    sourced_by_id = models.BigIntegerField(null=True, help_text="Who found the lead (NULL: marketing).")
    n = models.PositiveIntegerField()
    accept_judged = models.PositiveIntegerField()
    accept_in_time = models.PositiveIntegerField()
    touch_judged = models.PositiveIntegerField()
    touch_in_time = models.PositiveIntegerField()
    reminders = models.PositiveIntegerField()
    escalations = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["week"], name="handoffweek_period"),
            models.Index(fields=["team_id", "week"], name="handoffweek_team_period"),
        ]

    def __str__(self) -> str:
        return f"Hand-offs of the week of {self.week}"


class HandoffDayBin(models.Model):
    """How many of a day's accepted hand-offs took a duration in a bin of insights.sketch, per
    rep and team: to accept (`k` 0) and from acceptance to first touch (`k` 1)."""

    month = models.BooleanField(default=False)
    day = models.DateField()
    assigned_to_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    k = models.PositiveSmallIntegerField()
    bin = models.SmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "day"], name="handoffdaybin_period"),
            models.Index(fields=["team_id", "month", "day"], name="handoffdaybin_team_period"),
        ]

    def __str__(self) -> str:
        return f"Service-level durations of {self.day}, bin {self.bin}"
