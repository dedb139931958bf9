import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q

from alignment.business_hours import holiday_countries

WEEKDAY_DIGITS = "0123456"  # 0 = Monday … 6 = Sunday, as date.weekday()


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin).")


def validate_working_days(value: str) -> None:
    wrong = sorted({char for char in value if char not in WEEKDAY_DIGITS})
    if wrong:
        raise ValidationError(
            f"Working days are digits from 0 (Monday) to 6 (Sunday), e.g. 01234 for Monday to Friday;"
            f" {''.join(wrong)!r} is not one."
        )
    repeated = sorted({char for char in value if value.count(char) > 1})
    if repeated:
        raise ValidationError(f"Each working day may be listed once; {', '.join(repeated)} is repeated.")


def validate_holiday_country(value: str) -> None:
    if value in holiday_countries():
        return
    if value.upper() in holiday_countries():
        raise ValidationError(f"Write the country code in capitals: {value.upper()}.")
    raise ValidationError(
        f"{value!r} is not a country whose public holidays are known. Use an ISO 3166 two-letter code"
        " such as US, DE or IN, or leave it blank for no public holidays."
    )


class Team(models.Model):
    class Kind(models.TextChoices):
        SALES = "sales", "Sales"
        MARKETING = "marketing", "Marketing"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SALES)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # The business calendar SLA clocks run on (alignment.business_hours.BusinessCalendar).
    working_days = models.CharField(
        max_length=7,
        default="01234",
        validators=[validate_working_days],
        error_messages={"blank": "Choose at least one working day."},
        help_text="Digits of the working weekdays, 0 = Monday … 6 = Sunday: 01234 is Monday to Friday.",
    )
    work_starts = models.TimeField(default=time(9), help_text="When the working day starts, in the team's time zone.")
    work_ends = models.TimeField(default=time(17), help_text="When it ends; after it starts, on the same day.")
    holiday_country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        validators=[validate_holiday_country],
        help_text="Two-letter ISO 3166 code (US, DE, IN …) whose public holidays are days off; blank for none.",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")
    # Routed hand-offs to the team are also posted here (a Slack incoming webhook), after commit.
    slack_webhook_url = models.URLField(
        "Slack incoming-webhook URL",
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["https"], message="Enter the webhook's https:// address.")],
        help_text="Optional: leads routed to this team are also posted to this Slack channel.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_ends__gt=F("work_starts")),
                name="team_work_ends_after_it_starts",
                violation_error_message="The working day must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(working_days=""),
                name="team_has_a_working_day",
                violation_error_message="Choose at least one working day.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        starts, ends = self.work_starts, self.work_ends  # still raw input if the field rejected it
        if isinstance(starts, time) and isinstance(ends, time) and ends <= starts:
            raise ValidationError(
                {
                    "work_ends": f"The working day must end after it starts ({starts:%H:%M});"
                    " hours past midnight are not supported."
                }
            )
        try:
            validate_working_days(self.working_days)
        except ValidationError:
            return  # reported by the field
        self.working_days = "".join(sorted(self.working_days))  # "4320" and "0234" are the same week


class Membership(models.Model):
    """A person's place in a team. A membership ends (ended_at) rather than being deleted, so
    the date a person left is kept."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Round-robin tie-break when routing hand-offs: the rep served longest ago goes first.
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    # Away (holiday, leave) until then: nothing is routed or reassigned to them meanwhile
    # (alignment.selectors.working_reps); what they already own stays theirs.
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="Away until then (holiday, leave): no new leads are routed to them."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_current_membership_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class RejectionReason(models.Model):
    """The agreed catalogue of reasons a rep may give for rejecting a lead."""

    class Phase(models.TextChoices):
        BEFORE_WORKING = "before_working", "Before working"
        AFTER_WORKING = "after_working", "After working"

    class Disposition(models.TextChoices):
        RECYCLE = "recycle", "Recycle to nurture"
        DISQUALIFY = "disqualify", "Disqualify"
        DUPLICATE = "duplicate", "Duplicate"

    code = models.SlugField(
        "code for integrations",
        max_length=50,
        unique=True,
        help_text="How the API, the webhooks and exports name the reason; people read its label.",
    )
    label = models.CharField(max_length=120)
    phase = models.CharField(max_length=20, choices=Phase.choices)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {self.label}"


# --- Lead properties ----------------------------------------------------------------------------
# What marketing ops knows about a lead beyond the standard fields (occupation, time on website,
# how they heard of us). Leads keep the values (leads.Lead.properties); definitions' rules test
# them by key. They live here, with the rules that speak of them.

PROPERTY_KEY_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]*$", "A key is lower-case letters, digits and underscores, starting with a letter."
)


class LeadPropertyManager(models.Manager):
    def get_by_natural_key(self, key: str) -> "LeadProperty":
        return self.get(key=key)


class LeadProperty(models.Model):
    class Kind(models.TextChoices):
        NUMBER = "number", "Number"
        CHOICE = "choice", "Choice"
        YES_NO = "yes_no", "Yes/no"
        DATE = "date", "Date"
        TEXT = "text", "Text"

    class Part(models.TextChoices):
        FIT = "fit", "Who they are (fit)"
        ENGAGEMENT = "engagement", "What they did (engagement)"

    key = models.CharField(
        "key for files and integrations",
        max_length=50,
        unique=True,
        validators=[PROPERTY_KEY_VALIDATOR],
        help_text="How import columns, the API and web forms name the property; people read its label.",
    )
    label = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    choices = models.JSONField(
        default=list, blank=True, help_text="For a choice: its values. Imports add the values they meet."
    )
    help_text = models.CharField("help", max_length=300, blank=True)
    part = models.CharField(
        max_length=12,
        choices=Part.choices,
        default=Part.FIT,
        help_text="What suggestions count it towards: the grade (fit) or the score (engagement).",
    )
    learn_from = models.BooleanField(
        default=True,
        help_text="Suggested definitions may use it. Turn off for what sales records after contact.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = LeadPropertyManager()

    class Meta:
        ordering = ["position", "label"]
        verbose_name_plural = "lead properties"

    def __str__(self) -> str:
        return self.label

    def natural_key(self) -> tuple[str]:
        return (self.key,)


# --- Qualified-lead definitions ------------------------------------------------------------------
# The agreement on what a qualified lead is: fit rules give a grade, engagement rules a score,
# thresholds a bucket, and a sales-ready rule says which leads marketing may hand to sales. A
# version takes effect only when a marketing leader and a sales leader have both approved it;
# active and retired versions never change (alignment.services enforces it).

SENIORITIES = [
    ("c_level", "C-level"),
    ("vp", "VP"),
    ("director", "Director"),
    ("manager", "Manager"),
    ("individual", "Individual contributor"),
]
ACTIVITY_KINDS = [
    ("demo_request", "Demo request"),
    ("pricing_page_visit", "Pricing-page visit"),
    ("contact_form", "Contact form"),
    ("content_download", "Content download"),
    ("webinar_signup", "Webinar sign-up"),
    ("event_signup", "Event sign-up"),
    ("email_click", "Email click"),
    ("website_visit", "Website visit"),
    ("list_import", "Bought-list import"),
]
ENGAGEMENT_SIGNALS = [
    *ACTIVITY_KINDS,
    ("source_active", "Came from an active-interest source"),
    ("source_passive", "Came from a passive-interest source"),
]
GRADES = ["A", "B", "C", "D"]
BUCKETS = [("hot", "Hot"), ("warm", "Warm"), ("cold", "Cold"), ("unqualified", "Unqualified")]


def _non_negative(what: str) -> MinValueValidator:
    return MinValueValidator(0, message=f"{what} cannot be negative.")


class QualificationDefinition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    class ExpiryAction(models.TextChoices):
        RETURN = "return", "Return to the marketing queue"
        REASSIGN = "reassign", "Reassign within the team"

    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    notes = models.TextField(blank=True, help_text="What this version changes, and why.")
    # Fit: minimum fit points for each grade (below C is D).
    grade_a_min = models.IntegerField("grade A from", default=60)
    grade_b_min = models.IntegerField("grade B from", default=40)
    grade_c_min = models.IntegerField("grade C from", default=20)
    # Engagement: points halve every half_life_days (0: they never fade).
    half_life_days = models.PositiveIntegerField(default=30, validators=[_non_negative("The half-life")])
    hot_min = models.PositiveIntegerField("hot from", default=60, validators=[_non_negative("A threshold")])
    warm_min = models.PositiveIntegerField("warm from", default=30, validators=[_non_negative("A threshold")])
    cold_min = models.PositiveIntegerField("cold from", default=10, validators=[_non_negative("A threshold")])
    # Priority: fit points plus score, placed on 0 to 100 between these two.
    priority_low = models.IntegerField("priority 0 at", default=0, help_text="Fit points plus score at priority 0.")
    priority_high = models.IntegerField(
        "priority 100 at", default=120, help_text="Fit points plus score at priority 100."
    )
    # Sales-ready: grade in ready_grades and bucket in ready_buckets, or any activity of ready_activities.
    ready_grades = models.CharField(max_length=4, blank=True, default="AB", help_text="Letters, e.g. AB.")
    ready_buckets = models.CharField(max_length=60, blank=True, default="hot", help_text="Comma-separated, e.g. hot.")
    ready_activities = models.CharField(
        max_length=200, blank=True, default="demo_request", help_text="Comma-separated activity kinds."
    )
    # Service levels, in business hours of the receiving team.
    accept_within_hours = models.PositiveIntegerField(default=8, validators=[_non_negative("An SLA time")])
    first_touch_within_hours = models.PositiveIntegerField(default=16, validators=[_non_negative("An SLA time")])
    touches_before_unresponsive = models.PositiveSmallIntegerField(
        default=3, validators=[_non_negative("The number of touches")]
    )
    expiry_action = models.CharField(max_length=10, choices=ExpiryAction.choices, default=ExpiryAction.RETURN)
    rejection_reasons = models.ManyToManyField(
        RejectionReason, blank=True, related_name="definitions", help_text="The rejection reasons in force."
    )
    # Each proposal is a round: approvals count only for the round they were given in.
    round = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(editable=False)
    proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="one_active_definition"),
            models.CheckConstraint(
                condition=Q(grade_a_min__gte=F("grade_b_min")) & Q(grade_b_min__gte=F("grade_c_min")),
                name="definition_grade_thresholds_in_order",
                violation_error_message="Grade thresholds must run A ≥ B ≥ C.",
            ),
            models.CheckConstraint(
                condition=Q(hot_min__gte=F("warm_min")) & Q(warm_min__gte=F("cold_min")),
                name="definition_bucket_thresholds_in_order",
                violation_error_message="Bucket thresholds must run hot ≥ warm ≥ cold.",
            ),
            models.CheckConstraint(
                condition=Q(priority_high__gt=F("priority_low")),
                name="definition_priority_range",
                violation_error_message="Priority 100 must take more points than priority 0.",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class FieldRule(models.Model):
    """A rule over one field of the lead (alignment.scoring, "The rule language"): its points
    count towards the grade (fit) or the score (engagement)."""

    class Test(models.TextChoices):
        ONE_OF = "one_of", "is one of"
        EMPTY = "empty", "is empty"
        BAND = "band", "is a number within a band"
        YES_NO = "yes_no", "is yes / no"
        KEYWORDS = "keywords", "mentions a keyword"
        TABLE = "table", "points per value"

    class Part(models.TextChoices):
        FIT = "fit", "Fit (grade)"
        ENGAGEMENT = "engagement", "Engagement (score)"

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="field_rules")
    part = models.CharField(max_length=12, choices=Part.choices, default=Part.FIT)
    field = models.CharField(
        max_length=60, help_text="A standard field (seniority, industry, source …) or property:<key>."
    )
    test = models.CharField(max_length=10, choices=Test.choices)
    values = models.JSONField(default=list, blank=True, help_text="For 'is one of' and keywords: the values.")
    minimum = models.FloatField(null=True, blank=True, help_text="For a band: at least.")
    maximum = models.FloatField(null=True, blank=True, help_text="For a band: below.")
    expected = models.BooleanField(null=True, blank=True, help_text="For yes / no: which one matches.")
    table = models.JSONField(default=list, blank=True, help_text="For points per value: [value, points] pairs.")
    other_points = models.IntegerField(default=0, help_text="For points per value: any other value.")
    points = models.IntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.field} {self.get_test_display()}"


class EngagementRule(models.Model):
    """Points for each activity of a kind (or for the lead's source interest)."""

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="engagement_rules")
    activity = models.CharField(max_length=30, choices=ENGAGEMENT_SIGNALS)
    points = models.IntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_activity_display()}: {self.points:+d}"


class DefinitionApproval(models.Model):
    """A leader's answer to a proposal: approve for their side, or ask for changes."""

    class Side(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="approvals")
    round = models.PositiveIntegerField()
    side = models.CharField(max_length=10, choices=Side.choices)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "round", "side"],
                condition=Q(decision="approved"),
                name="one_approval_per_side_and_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.get_decision_display().lower()} v{self.definition_id}"


class DefinitionEvent(models.Model):
    """Append-only log of a definition's life: drafted, edited, proposed, approved, activated..."""

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
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
        return f"{self.kind} v{self.definition_id}"


class RoutingRule(models.Model):
    """Where a sales-ready lead goes (alignment.routing): the first rule, in order, whose
    conditions all hold hands it to its team, to the least-loaded working rep when
    ``automatic``, else to marketing to hand off by hand. A rule without conditions takes
    every lead. Part of the version both leaders sign. Sources and campaigns are named as the
    leads app names them (the agreement knows nothing of leads' tables; field rules do the same)."""

    definition = models.ForeignKey(QualificationDefinition, on_delete=models.CASCADE, related_name="routing_rules")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166 two-letter codes.")
    regions = models.JSONField(default=list, blank=True, help_text="Named groups of countries (alignment.regions).")
    employees_min = models.PositiveIntegerField("at least (employees)", null=True, blank=True)
    employees_max = models.PositiveIntegerField("at most (employees)", null=True, blank=True)
    industries = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="Source names.")
    campaigns = models.JSONField(default=list, blank=True, help_text="Campaign names.")
    property_key = models.CharField("property", max_length=50, blank=True, help_text="A lead property's key.")
    property_values = models.JSONField(
        "property values", default=list, blank=True, help_text="Values it may have (none: any value)."
    )
    # PROTECT: a team that rules of a signed version send leads to is not deleted under them.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="routing_rules")
    automatic = models.BooleanField(
        default=True, help_text="Hand off at once to the team's least-loaded working rep; off: marketing hands off."
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.team_id is not None and self.team.kind != Team.Kind.SALES:
            errors["team"] = f"{self.team} is not a sales team; routed leads go to sales teams."
        low, high = self.employees_min, self.employees_max
        if isinstance(low, int) and isinstance(high, int) and low > high:
            errors["employees_max"] = f"At most {high:,} is below at least {low:,}: no company would fit."
        if self.property_values and not self.property_key:
            errors["property_key"] = "Name the property these values are for."
        if errors:
            raise ValidationError(errors)
