from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alignment.models import ACTIVITY_KINDS, BUCKETS, GRADES, QualificationDefinition, RejectionReason, Team


class Source(models.Model):
    """Where leads come from. Active interest (a demo request, a pricing-page visit) is worth
    more than passive interest (a bought list, an event sign-up)."""

    class Interest(models.TextChoices):
        ACTIVE = "active", "Active interest"
        PASSIVE = "passive", "Passive interest"

    name = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=60, blank=True)
    interest = models.CharField(max_length=10, choices=Interest.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(max_length=160, unique=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="campaigns")
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    NEW = "new", "New"
    NURTURING = "nurturing", "Nurturing"
    MQL = "mql", "MQL"
    HANDED_OFF = "handed_off", "Handed off"
    ACCEPTED = "accepted", "Accepted (SAL)"
    QUALIFIED = "qualified", "Qualified (SQL)"
    OPPORTUNITY = "opportunity", "Opportunity"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    DISQUALIFIED = "disqualified", "Disqualified"
    MERGED = "merged", "Merged"


# The only stage changes Accord allows. Recycling is a move back to NURTURING.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NEW: frozenset({Stage.NURTURING, Stage.MQL, Stage.HANDED_OFF, Stage.DISQUALIFIED, Stage.MERGED}),
    Stage.NURTURING: frozenset({Stage.MQL, Stage.HANDED_OFF, Stage.DISQUALIFIED, Stage.MERGED}),
    Stage.MQL: frozenset({Stage.NURTURING, Stage.HANDED_OFF, Stage.DISQUALIFIED, Stage.MERGED}),
    Stage.HANDED_OFF: frozenset({Stage.ACCEPTED, Stage.MQL, Stage.NURTURING, Stage.DISQUALIFIED}),
    # MQL from a worked stage: back to the marketing queue when nobody in sales is left to own it.
    Stage.ACCEPTED: frozenset({Stage.QUALIFIED, Stage.NURTURING, Stage.DISQUALIFIED, Stage.WON, Stage.LOST, Stage.MQL}),
    Stage.QUALIFIED: frozenset(
        {Stage.OPPORTUNITY, Stage.NURTURING, Stage.DISQUALIFIED, Stage.WON, Stage.LOST, Stage.MQL}
    ),
    Stage.OPPORTUNITY: frozenset({Stage.WON, Stage.LOST, Stage.MQL}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset({Stage.NURTURING}),
    Stage.DISQUALIFIED: frozenset({Stage.NURTURING, Stage.MERGED}),
    Stage.MERGED: frozenset(),
}
# Stages in which marketing holds the lead and may hand it to sales.
MARKETING_STAGES = frozenset({Stage.NEW, Stage.NURTURING, Stage.MQL})
# Stages in which a rep is working the lead.
SALES_STAGES = frozenset({Stage.HANDED_OFF, Stage.ACCEPTED, Stage.QUALIFIED, Stage.OPPORTUNITY})
# Stages a rep moves an accepted lead through.
WORKING_STAGES = frozenset({Stage.ACCEPTED, Stage.QUALIFIED, Stage.OPPORTUNITY})


class Lead(models.Model):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=160, blank=True)
    company = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=80, blank=True)
    is_customer = models.BooleanField(default=False, help_text="An existing customer rather than net new business.")
    industry = models.CharField(max_length=80, blank=True)
    employees = models.PositiveIntegerField("company size (employees)", null=True, blank=True)
    # Normalized copies used for matching and duplicate detection.
    email_normalized = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    company_domain = models.CharField(max_length=253, blank=True, db_index=True, editable=False)
    # Ids the lead carries in the CRMs it was imported from; a re-import matches on them.
    salesforce_id = models.CharField("Salesforce Id", max_length=18, blank=True)
    hubspot_id = models.CharField("HubSpot Record ID", max_length=32, blank=True)
    # Values of the declared lead properties (alignment.LeadProperty), by key: numbers, text,
    # true/false and ISO dates.
    properties = models.JSONField(default=dict, blank=True)

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="leads")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    # Nobody owns a lead while marketing holds it; the rep owns it once handed off.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    # Set for leads a rep found themselves rather than received from marketing.
    sourced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_leads",
        help_text="The rep who found this lead themselves; empty for marketing leads.",
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NEW)
    stage_changed_at = models.DateTimeField()
    cycle_count = models.PositiveIntegerField(
        default=0, help_text="How many times the lead went back to marketing nurture."
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # How the lead measures up against the active qualified-lead definition; written only by
    # leads.evaluation (on create and change, when activity is logged, and for every lead when a
    # new version becomes active). Empty until a definition is active.
    grade = models.CharField(max_length=1, choices=[(g, g) for g in GRADES], blank=True, editable=False)
    fit_points = models.IntegerField(null=True, blank=True, editable=False)
    score = models.IntegerField(null=True, blank=True, editable=False)
    bucket = models.CharField(max_length=12, choices=BUCKETS, blank=True, editable=False)
    sales_ready = models.BooleanField(default=False, editable=False)
    # 0 to 100: the order in which sales should call (fit and engagement together).
    priority = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    evaluated_with = models.ForeignKey(
        QualificationDefinition,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The definition version the grade, score and bucket come from.",
    )
    evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["grade", "bucket"], name="lead_grade_bucket"),
            models.Index(fields=["stage", "-priority"], name="lead_stage_priority"),
            models.Index(fields=["stage", "-created_at"], name="lead_stage_created"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["team", "stage"], name="lead_team_stage"),
            # Imports match a row that has only a phone on it.
            models.Index(fields=["phone"], name="lead_phone"),
            # The dashboard: the rollups' refresh finds changed leads, and the hygiene counts
            # of open leads by stage and last change read the index alone (on PostgreSQL it
            # carries the id and team; SQLite's, made by insights 0010, has the team as its last
            # key and the row id anyway). Created by insights' migrations, declared here.
            models.Index(fields=["updated_at"], name="insights_lead_updated"),
            models.Index(
                fields=["stage", "stage_changed_at"], include=["id", "team"], name="insights_lead_stage_changed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["salesforce_id"], condition=~Q(salesforce_id=""), name="one_lead_per_salesforce_id"
            ),
            models.UniqueConstraint(fields=["hubspot_id"], condition=~Q(hubspot_id=""), name="one_lead_per_hubspot_id"),
        ]

    def __str__(self) -> str:
        name = self.full_name
        return f"{name} ({self.company})" if self.company else name

    @property
    def full_name(self) -> str:
        """The person's name, else what tells the lead apart: its email, phone or number."""
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.phone or f"Lead #{self.pk}"

    @property
    def is_reachable(self) -> bool:
        """A rep can contact the lead: it has an email or a phone."""
        return bool(self.email or self.phone)


class ExternalId(models.Model):
    """An id the lead carries in another system (a CRM, a marketing tool, a data set), so that a
    re-import or an integration finds it again."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="external_ids")
    system = models.CharField(max_length=60)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="one_lead_per_external_id")]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


# Pending, or accepted and not yet closed (won, lost or given up).
OPEN_HANDOFF = Q(status="pending") | Q(status="accepted", closed_at__isnull=True)


class HandoffQuerySet(models.QuerySet):
    def update(self, **fields):
        # Every change to hand-offs, bulk ones included, moves `updated_at`: tools that poll for
        # outcomes (GET /api/v1/handoffs/?updated_since=) must see each one.
        fields.setdefault("updated_at", timezone.now())
        return super().update(**fields)

    def open(self) -> "HandoffQuerySet":
        """Hand-offs still in play: waiting on a decision, or accepted and still being worked."""
        return self.filter(OPEN_HANDOFF)


class Handoff(models.Model):
    """Marketing passing one lead to one rep, and the rep's decision on it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    # None: Accord handed it off, by the routing rule its ROUTED event names.
    handed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs_made"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(db_index=True)
    accept_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoff_decisions",
    )
    reason = models.ForeignKey(
        RejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs"
    )
    decision_note = models.TextField(blank=True)
    first_touch_due_at = models.DateTimeField(null=True, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    # The definition version in force when the lead was handed off (None before any was active),
    # and whether marketing handed it off although it was not sales-ready under that version.
    definition = models.ForeignKey(
        QualificationDefinition, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs"
    )
    override = models.BooleanField(default=False, help_text="Handed off although not sales-ready.")
    override_reason = models.TextField(blank=True)
    # What marketing sent: the lead's grade and bucket under that version when it was handed off
    # (the lead's own grade and bucket change whenever it is graded again).
    grade = models.CharField(max_length=1, choices=[(g, g) for g in GRADES], blank=True, editable=False)
    bucket = models.CharField(max_length=12, choices=BUCKETS, blank=True, editable=False)
    # When sales' work on an accepted lead ended (won, lost, or given up with an after-working
    # reason, kept in `reason`). An accepted hand-off stays accepted: it was accepted.
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status="pending"),
                name="one_open_handoff_per_lead",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | Q(reason__isnull=False),
                name="rejected_handoff_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status="accepted"),
                name="only_accepted_handoffs_close",
            ),
            models.CheckConstraint(
                condition=Q(override=False) | ~Q(override_reason=""),
                name="override_handoff_has_reason",
                violation_error_message="Explain why this lead goes to sales although it is not sales-ready.",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "closed_at", "accept_due_at"], name="handoff_inbox"),
            models.Index(fields=["team", "status", "-created_at"], name="handoff_team_inbox"),
            models.Index(fields=["-created_at", "-id"], name="handoff_newest"),
            models.Index(fields=["updated_at", "id"], name="handoff_updated"),
            # The dashboard's overdue hand-offs, and the rejection reasons of a period's leads.
            models.Index(fields=["status", "accept_due_at"], name="insights_handoff_due"),
            models.Index(fields=["lead", "reason"], condition=Q(reason__isnull=False), name="insights_handoff_reason"),
        ]

    def __str__(self) -> str:
        return f"Hand-off #{self.pk} of {self.lead_id} to {self.assigned_to_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PENDING


class Touch(models.Model):
    """A contact attempt or conversation a rep logged on a lead."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"

    class Result(models.TextChoices):
        # Touches logged before results were asked for have none: "" reads "Not recorded".
        NOT_RECORDED = "", "Not recorded"
        CONNECTED = "connected", "Connected"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a voicemail"
        REPLIED = "replied", "Replied"

    # Results that reached nobody: what the unresponsive rule counts (services.unresponsive_refusal).
    # Touches from before results were recorded count too: they counted when they were logged.
    UNANSWERED = frozenset({Result.NO_ANSWER, Result.VOICEMAIL, Result.NOT_RECORDED})

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="touches")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    result = models.CharField(max_length=20, choices=Result.choices, blank=True, default=Result.NOT_RECORDED)
    note = models.TextField(blank=True)
    happened_at = models.DateTimeField()

    class Meta:
        ordering = ["-happened_at"]
        # The dashboard's accepted leads with no touch in 14 days: the recent touches by time.
        indexes = [models.Index(fields=["happened_at", "lead"], name="insights_touch_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.lead_id}"


class Activity(models.Model):
    """Something the lead did (a demo request, a content download, ...) that engagement scoring
    counts. Logged through services.activity_log."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=30, choices=ACTIVITY_KINDS)
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["lead", "occurred_at"], name="activity_lead_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on lead {self.lead_id}"


class LeadEvent(models.Model):
    """Append-only log of everything that happens to a lead, written in the same transaction
    as the change it records."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        STAGE_CHANGED = "stage_changed", "Stage changed"
        HANDED_OFF = "handed_off", "Handed off"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        TOUCHED = "touched", "Touch logged"
        REASSIGNED = "reassigned", "Reassigned"
        # Reassigned because its owner left (deactivated, or out of the team).
        INHERITED = "inherited", "Inherited from someone who left"
        GIVEN_UP = "given_up", "Given up after working"
        EXPIRED = "expired", "Accept time ran out"
        RETURNED = "returned", "Returned to marketing"
        REVIEWED = "reviewed", "Reviewed in the weekly meeting"
        ACTIVITY = "activity", "Activity logged"
        IMPORTED = "imported", "Imported"
        MERGED = "merged", "Merged"
        SALES_READY = "sales_ready", "Became sales-ready"
        # A routing decision: the rule that matched (and the rep), or that none did.
        ROUTED = "routed", "Routed"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_events",
    )
    # The actor's name as written when the event happened (alignment.actors); it stays when the
    # account is renamed. Accounts with history are deactivated, never deleted (PROTECT).
    actor_name = models.CharField(max_length=301, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="leadevent_lead_time"),
            # The dashboard's funnel: when each lead reached each stage.
            models.Index(fields=["lead", "created_at", "to_stage"], name="insights_leadevent_reached"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on lead {self.lead_id}"


class Reminder(models.Model):
    """One row per service-level breach and level. The unique constraint is the guarantee that
    the same reminder is never sent twice, even with two workers sweeping at once: each sweep
    inserts its claims and reads back only the rows carrying its own run id. A breach is a due
    time passed, so a hand-off given a fresh due time (e.g. reassigned) can breach anew."""

    class Breach(models.TextChoices):
        ACCEPT = "accept", "Not accepted or rejected in time"
        FIRST_TOUCH = "first_touch", "No first touch in time"

    class Level(models.IntegerChoices):
        REMIND = 1, "Reminder to the rep"
        ESCALATE = 2, "Escalation to the manager"
        EXPIRE = 3, "Expired"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="reminders")
    breach = models.CharField(max_length=20, choices=Breach.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    due_at = models.DateTimeField(help_text="The due time that was missed.")
    created_at = models.DateTimeField()
    run = models.UUIDField(db_index=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handoff", "breach", "due_at", "level"], name="one_reminder_per_breach_level"
            )
        ]
        # The dashboard's reminders and escalations of a period.
        indexes = [models.Index(fields=["created_at"], name="insights_reminder_created")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} for hand-off {self.handoff_id} ({self.breach})"


class Notification(models.Model):
    """What Accord told a person in the app; also sent by email where it matters."""

    class Kind(models.TextChoices):
        HANDOFF = "handoff", "New hand-off"
        REMINDER = "reminder", "Reminder"
        ESCALATION = "escalation", "Escalation"
        EXPIRED = "expired", "Expired hand-off"
        REASSIGNED = "reassigned", "Leads reassigned to you"
        MOVED_BY_ACCORD = "moved_by_accord", "Leads Accord moved to you"
        UNOWNED = "unowned", "Leads returned to marketing"
        DEFINITION = "definition", "Qualified-lead definition"
        EVALUATION = "evaluation", "Leads re-evaluated"
        IMPORT = "import", "Import finished"
        WEBHOOK = "webhook", "Webhook deliveries"
        # The rep's own notice that an escalation about his leads went to his manager.
        ESCALATION_NOTICE = "escalation_notice", "Your manager was told"
        # Marketing hears what became of the leads it handed off.
        HANDOFF_ACCEPTED = "handoff_accepted", "Your hand-off was accepted"
        HANDOFF_REJECTED = "handoff_rejected", "Your hand-off was rejected"
        LEAD_RECYCLED = "lead_recycled", "Sales gave up a lead you handed off"
        LEAD_WON = "lead_won", "A lead you handed off was won"
        LEAD_LOST = "lead_lost", "A lead you handed off was lost"

    class Channel(models.TextChoices):
        APP = "app", "In the app"
        EMAIL = "email", "In the app and by email"
        DIGEST = "digest", "In the app and in one daily email"
        OFF = "off", "Off"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # How the person chose to hear of this kind when it was written (never "off": nothing is).
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.APP)
    # Set when the daily digest gathered it (channel "digest" only).
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(
                fields=["recipient", "id"],
                condition=models.Q(channel="digest", digested_at__isnull=True),
                name="notification_digest_due",
            ),
        ]

    def __str__(self) -> str:
        return self.message[:60]


class NotificationPreference(models.Model):
    """How a person wants to hear of one kind of notification. No row: the kind's default
    (leads.notifications.DEFAULT_CHANNELS)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    channel = models.CharField(max_length=10, choices=Notification.Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} → {self.get_channel_display()}"


class EvaluationRun(models.Model):
    """One re-evaluation of every lead against a definition that just became active, with its
    progress (``done`` of ``total`` leads) for the leader who activated it to follow."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="evaluation_runs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    # When a worker last claimed the run or finished a batch of it: a running run without
    # progress for a while has lost its worker (or never got one) and is picked up again.
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Re-evaluation against {self.definition} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


class DuplicateCandidate(models.Model):
    """Two leads that are likely the same person without matching exactly (same company domain,
    similar name). Someone reviews the pair: merge it into the older lead, or dismiss it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Not a duplicate"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="duplicate_candidates")
    likely_duplicate_of = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    similarity = models.PositiveSmallIntegerField(help_text="Name similarity, 0 to 100.")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "likely_duplicate_of"], name="one_candidate_per_pair"),
            models.CheckConstraint(condition=~Q(lead=models.F("likely_duplicate_of")), name="candidate_not_itself"),
        ]
        indexes = [models.Index(fields=["status", "-found_at"], name="duplicate_status_found")]

    def __str__(self) -> str:
        return f"{self.lead} may be {self.likely_duplicate_of}"


class ImportMappingManager(models.Manager):
    def get_by_natural_key(self, name: str) -> "ImportMapping":
        return self.get(name=name)


class ImportMapping(models.Model):
    """A saved column mapping for a file layout Accord does not recognise by itself."""

    name = models.CharField(max_length=80, unique=True)
    columns = models.JSONField(help_text="Column header → lead field; unmapped columns are ignored.")
    empty_values = models.JSONField(
        default=list, blank=True, help_text='Cell values that mean "empty" in this layout, such as "Select".'
    )
    day_first = models.BooleanField(default=False, help_text="Dates are written day first (22/11/2026).")
    date_pattern = models.CharField(
        max_length=60,
        blank=True,
        help_text="How dates are written when neither ISO nor day/month first reads them, as a strftime pattern"
        " such as %d %b, %Y %H:%M:%S.",
    )
    phone_region = models.CharField(
        max_length=2,
        blank=True,
        help_text="The country (ISO code) phones without a country code are read in when the row names none;"
        " blank: the installation's region.",
    )
    source_values = models.JSONField(
        default=dict,
        blank=True,
        help_text="For the source column: file value → the id of an existing source, or the interest (active or"
        " passive) of a new source named as in the file.",
    )
    outcome_values = models.JSONField(
        default=dict,
        blank=True,
        help_text="For the outcome column: file value → won, lost, disqualified or open, over the values Accord"
        " knows (its stage names, 1/0, true/false, Salesforce and HubSpot statuses).",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    objects = ImportMappingManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class LeadImport(models.Model):
    """One uploaded file: previewed (a dry run), then imported at once or by a worker, with the
    counts and every rejected row's reason."""

    class Status(models.TextChoices):
        PREVIEWING = "previewing", "Previewing"
        PREVIEWED = "previewed", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_imports")
    created_at = models.DateTimeField()
    layout = models.CharField(max_length=80, help_text="The layout the columns were read with.")
    mapping = models.ForeignKey(ImportMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    default_source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="For rows naming none."
    )
    source_values = models.JSONField(
        default=dict, blank=True, help_text="File source value → existing source id, or the interest of a new one."
    )
    day_first = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True, help_text="The dry run's counts and samples.")
    result = models.JSONField(default=dict, blank=True, help_text="The import's counts and errors.")
    failure = models.TextField(blank=True, help_text="Why the file could not be previewed or imported.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
