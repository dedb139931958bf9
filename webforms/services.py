"""Every write of web-to-lead forms: making and changing a form, and receiving a post. A post
becomes a lead through the importer's row path (leads_intake), as the API's and files' do.
Spam does not: honeypot hits and posts over the rate are only counted."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leads.imports.services import leads_intake
from security import rates
from webforms.models import HONEYPOT, WebForm
from webforms.selectors import form_targets, form_targets_of

RATE_WINDOW_SECONDS = 60


class WebFormError(Exception):
    """The form cannot be saved as asked; the message is for the person."""


def _origin(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
        raise WebFormError(f"'{text.strip()[:80]}' is no website origin; write it as https://www.example.com.")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def webform_check(*, fields: list[str], source, campaign, origins: list[str]) -> list[str]:
    """Whether a form with these fields, source, campaign and websites can work; returns the
    websites as origins (scheme://host), sorted. Raises WebFormError saying what is wrong."""
    known = set(form_targets())
    unknown = [target for target in fields if target not in known]
    if unknown:
        raise WebFormError(f"A form cannot ask for: {', '.join(unknown)}.")
    if not {"email", "phone"} & set(fields):
        raise WebFormError("Ask for an email or a phone: without one a post cannot become a lead.")
    if campaign is not None and source is not None and campaign.source_id != source.pk:
        raise WebFormError(f"The campaign {campaign} belongs to another source than {source}.")
    return sorted({_origin(origin) for origin in origins if origin.strip()})


def webform_save(
    *,
    form: WebForm | None = None,
    by=None,
    name: str,
    fields: list[str],
    source,
    campaign,
    thank_you_url: str,
    origins: list[str],
    is_active: bool = True,
) -> WebForm:
    """Make or change a form. Its fields are standard fields and declared properties, and include
    an email or a phone, so every post can become a lead that can be told apart."""
    allowed = webform_check(fields=fields, source=source, campaign=campaign, origins=origins)
    form = form or WebForm(created_by=by, created_at=timezone.now())
    form.name, form.fields, form.source, form.campaign = name.strip(), list(dict.fromkeys(fields)), source, campaign
    form.thank_you_url, form.is_active, form.allowed_origins = thank_you_url, is_active, allowed
    form.full_clean()
    form.save()
    return form


@dataclass
class Received:
    """What became of a post: created, updated, spam (answered as a success, stored nowhere),
    rate_limited, refused (with the fields' errors) or origin (a website not allowed)."""

    outcome: str
    errors: dict[str, list[str]] = field(default_factory=dict)


def _count(form: WebForm, counter: str) -> None:
    WebForm.objects.filter(pk=form.pk).update(**{counter: F(counter) + 1})


def _over_rate(form: WebForm, ip: str) -> bool:
    """Posts from one address to one form in this minute of the clock, counted in the shared cache."""
    spent, _ = rates.spend(f"webform:{form.pk}:{ip}", RATE_WINDOW_SECONDS)
    return spent > settings.ACCORD_FORM_POSTS_PER_MINUTE


def origin_allowed(form: WebForm, origin: str) -> bool:
    """A browser names the page's origin on every cross-site post; a post without one (a server,
    a test with curl) is taken, one from a website the form does not list is not."""
    return not origin or origin.lower() in form.allowed_origins


def webform_receive(*, form: WebForm, data, ip: str, origin: str) -> Received:
    if not origin_allowed(form, origin):
        return Received("origin", {"origin": [f"{origin[:80]} may not post to this form."]})
    if str(data.get(HONEYPOT, "")).strip():
        _count(form, "honeypot_hits")
        return Received("spam")
    if _over_rate(form, ip):
        _count(form, "rate_limited")
        return Received("rate_limited")
    # Only the form's own fields are read: a visitor never says where the lead came from.
    row = {target: str(data.get(target, "")) for target in form.fields if target in form_targets_of(form)}
    if form.campaign_id:
        row["campaign"] = form.campaign.name
    with transaction.atomic():
        (result,) = leads_intake(
            rows=[row], by=None, origin={"via": "web form", "form": form.name}, default_source=form.source, strict=False
        )
        _count(form, "refused" if result.status == "rejected" else "received")
    if result.status == "rejected":
        errors: dict[str, list[str]] = {}
        for error in result.errors:
            errors.setdefault(error["field"] or "form", []).append(error["message"])
        return Received("refused", errors)
    return Received("created" if result.status == "created" else "updated")
