"""Reads of web-to-lead forms: what a form may ask for, and the HTML to paste on the website."""

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from alignment.models import LeadProperty
from leads.imports.layouts import FIELDS, PROPERTY_PREFIX
from webforms.models import HONEYPOT, WebForm

# What a visitor's post may fill: the person and their company, never where the lead came from.
STANDARD = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "industry",
    "employees",
)
INPUT_TYPES = {"email": "email", "phone": "tel", "employees": "number"}


def form_targets() -> dict[str, str]:
    """Target → label of everything a form may ask for: standard fields and declared properties."""
    targets = {name: FIELDS[name] for name in STANDARD}
    targets.update(
        {f"{PROPERTY_PREFIX}{key}": label for key, label in LeadProperty.objects.values_list("key", "label")}
    )
    return targets


def form_targets_of(form: WebForm) -> set[str]:
    """The form's fields that a visitor may still fill (a property since removed is not read)."""
    return set(form.fields) & set(form_targets())


def active_form(key: str) -> WebForm | None:
    return WebForm.objects.filter(key=key, is_active=True).select_related("source", "campaign").first()


def webform_snippet(form: WebForm) -> str:
    """The HTML form to paste on the website: one labelled input per field, the hidden honeypot
    a person never fills, and the button."""
    labels = form_targets()
    action = f"{settings.ACCORD_BASE_URL.rstrip('/')}{reverse('webform_post', args=[form.key])}"
    inputs = format_html_join(
        "\n",
        '  <p><label for="accord-{0}">{1}</label><br><input id="accord-{0}" name="{2}" type="{3}"{4}></p>',
        (
            (
                target.replace(":", "-"),
                labels.get(target, target),
                target,
                INPUT_TYPES.get(target, "text"),
                " required" if target == "email" else "",
            )
            for target in form.fields
        ),
    )
    honeypot = format_html(
        '  <p style="position:absolute;left:-10000px" aria-hidden="true"><label>Leave this empty'
        ' <input name="{}" tabindex="-1" autocomplete="off"></label></p>',
        HONEYPOT,
    )
    return format_html(
        '<form method="post" action="{}" accept-charset="utf-8">\n{}\n{}\n'
        '  <p><button type="submit">Send</button></p>\n</form>',
        action,
        inputs,
        honeypot,
    )
