import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin).")


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
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
