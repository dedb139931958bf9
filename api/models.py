"""Integrations: the named clients (a marketing-automation tool, an ad platform, a website
backend) that call the REST API with keys of their own, what each may do, and what it did."""

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Scope(models.TextChoices):
    CREATE_LEADS = "create_leads", "Create and update leads"
    LOG_ACTIVITIES = "log_activities", "Log activities on leads"
    READ_OUTCOMES = "read_outcomes", "Read leads and hand-off outcomes"


class Integration(models.Model):
    name = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list, help_text="What the integration may do (Scope values).")
    default_source = models.ForeignKey(
        "leads.Source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The source of leads it sends without naming one.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IntegrationKeyManager(BaseAPIKeyManager):
    pass


class IntegrationKey(AbstractAPIKey):
    """A key of an integration: shown once when made, stored as a SHA-512 hash of a high-entropy
    secret (djangorestframework-api-key). Rotating makes a new key and revokes the others."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="keys")

    objects = IntegrationKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "integration key"


class ApiRequest(models.Model):
    """The request log of an integration: one row per call it made."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="requests")
    key_prefix = models.CharField(max_length=8)
    method = models.CharField(max_length=7)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["integration", "-at"], name="apirequest_recent")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class IdempotentResponse(models.Model):
    """The first answer to a request sent with an Idempotency-Key: a retry with the same key and
    body gets it again instead of being done twice."""

    # Whose key it is ("integration:<id>" or "user:<id>"): keys are unique per caller.
    caller = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
