"""The transactional outbox: every task enqueue and every email is first a row, written in the
transaction of the change that causes it, and sent after that transaction commits."""

from django.db import models


class OutboxMessage(models.Model):
    class Kind(models.TextChoices):
        TASK = "task", "Task"
        EMAIL = "email", "Email"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # One message per key: writing the same key again is a no-op, so a retried change never
    # sends the same thing twice (e.g. "minutes:<meeting id>:<user id>").
    key = models.CharField(max_length=200, unique=True)
    # A task: {"task", "args", "kwargs"}; an email: {"to", "subject", "body", "headers"}.
    payload = models.JSONField()
    created_at = models.DateTimeField()
    # The relay claims a row until this moment before sending it; a sender that died leaves a
    # claim that expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    # Set when the relay stopped trying (ACCORD_OUTBOX_GIVE_UP_HOURS after it was written): an
    # address refused for good, a receiver gone, no longer retried every quarter of an hour.
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"
