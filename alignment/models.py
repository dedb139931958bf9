import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
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

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=120)
    phase = models.CharField(max_length=20, choices=Phase.choices)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {self.label}"
