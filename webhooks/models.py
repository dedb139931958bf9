"""Outbound webhooks: a URL subscribed to lead and hand-off events, each delivery of an event to
it, and every attempt at one. The durable record an event is made from is the LeadEvent written
in the transaction of the change; webhooks.services turns those into deliveries and sends them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q

from leads.models import Campaign, Source


class EventType(models.TextChoices):
    LEAD_CREATED = "lead.created", "Lead created"
    LEAD_SALES_READY = "lead.sales_ready", "Lead became sales-ready"
    HANDOFF_CREATED = "handoff.created", "Hand-off created"
    HANDOFF_ACCEPTED = "handoff.accepted", "Hand-off accepted"
    HANDOFF_REJECTED = "handoff.rejected", "Hand-off rejected"
    HANDOFF_EXPIRED = "handoff.expired", "Hand-off expired"
    LEAD_RECYCLED = "lead.recycled", "Lead recycled to nurture"
    LEAD_WON = "lead.won", "Lead won"
    LEAD_LOST = "lead.lost", "Lead lost"
    LEAD_DISQUALIFIED = "lead.disqualified", "Lead disqualified"


def validate_event_types(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = [item for item in value if item not in EventType.values]
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(map(str, unknown))}.")


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    name = models.CharField(max_length=120)
    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])], help_text="http or https only."
    )
    # The HMAC key of the signatures, shown to its owner once (at creation and rotation).
    secret = models.CharField(max_length=80, editable=False)
    events = models.JSONField(default=list, validators=[validate_event_types])
    # Empty: every source (campaign); otherwise only leads from one of these.
    sources = models.ManyToManyField(Source, blank=True, related_name="+")
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    paused_reason = models.CharField(max_length=200, blank=True)
    # Deliveries that ended failed since the last one delivered; at ACCORD_WEBHOOKS_PAUSE_AFTER
    # the subscription is paused.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:6]}…{self.secret[-4:]}" if self.secret else ""


class Delivery(models.Model):
    """One event for one subscription. Its event id is the same for every subscription, and a
    second delivery of the same event to the same subscription cannot exist."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=80)
    # The LeadEvent the event comes from: deliveries of one lead go out in this order.
    seq = models.BigIntegerField()
    type = models.CharField(max_length=30, choices=EventType.choices)
    # Not a foreign key: the log outlives a merged or deleted lead.
    lead_id = models.BigIntegerField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # The retry window (ACCORD_WEBHOOKS_RETRY_HOURS) counts from here; "send again" restarts it.
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField()
    # A sender claims rows by writing its token and a deadline; one that died leaves a claim
    # that expires.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_one_delivery_per_event"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            # The earlier pending delivery of the same lead that holds a later one back.
            models.Index(
                fields=["subscription", "lead_id", "seq"], condition=Q(status="pending"), name="webhook_delivery_order"
            ),
            models.Index(fields=["claim"], condition=~Q(claim=""), name="webhook_delivery_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} to {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """The delivery log: every request sent and its answer, and every "send again"."""

    class Kind(models.TextChoices):
        ATTEMPT = "attempt", "Attempt"
        REQUEUED = "requeued", "Sent again by hand"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ATTEMPT)
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["delivery", "-at"], name="webhook_attempt_log")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class DispatchState(models.Model):
    """How far the dispatcher has read the lead event log: every id up to `watermark` was seen
    or is in `gaps`, the ranges of ids not yet visible when it passed them (a transaction that
    commits late, or one rolled back), looked at again until they are LOOKBACK old."""

    name = models.CharField(max_length=40, unique=True)
    watermark = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)  # [[first id, last id, ISO time first seen], ...]
    dispatched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} up to event {self.watermark}"
