"""Web-to-lead forms: a form marketing puts on the website, whose posts become leads."""

import secrets

from django.conf import settings
from django.db import models

# The hidden field a person never fills and a bot does.
HONEYPOT = "website_url"


def new_key() -> str:
    return secrets.token_urlsafe(12)


class WebForm(models.Model):
    name = models.CharField(max_length=100, unique=True)
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    # Importer targets (leads.imports.layouts): standard fields and "property:<key>".
    fields = models.JSONField(default=list)
    source = models.ForeignKey("leads.Source", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("leads.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    thank_you_url = models.URLField(max_length=500, help_text="Where the visitor goes after sending the form.")
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text="Websites (scheme://host[:port]) whose pages may post to the form."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(editable=False)
    # What came in: counted, and the spam never stored as leads.
    received = models.PositiveIntegerField(default=0, editable=False)
    honeypot_hits = models.PositiveIntegerField(default=0, editable=False)
    rate_limited = models.PositiveIntegerField(default=0, editable=False)
    refused = models.PositiveIntegerField(default=0, editable=False, help_text="Posts that could not become a lead.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
