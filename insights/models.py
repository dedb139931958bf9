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
