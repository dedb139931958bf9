"""Web-to-lead forms: a visitor's post becomes a lead through the importer's rules and lands on
the thank-you page; spam (the honeypot, posts over the rate) is counted and stored nowhere;
websites the form does not list, oversized posts and posts that cannot become a lead are refused
with a clear answer and change nothing."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from leads.models import Campaign, Lead, LeadEvent
from webforms.models import HONEYPOT, WebForm
from webforms.selectors import webform_snippet
from webforms.services import WebFormError, webform_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(cast):
    campaign = Campaign.objects.create(name="Spring webinar", source=cast.source)
    return webform_save(
        by=cast.marketer,
        name="Contact us",
        fields=["full_name", "email", "phone", "company", "country"],
        source=cast.source,
        campaign=campaign,
        thank_you_url="https://www.example.com/thanks",
        origins=["https://www.example.com", "  "],
    )


VISITOR = {"full_name": "Ada Lovelace", "email": "ada@engines.example", "company": "Engines Ltd", "country": "GB"}


def send(form, data, **headers):
    return Client().post(f"/forms/{form.key}/", data, **headers)


def test_a_post_becomes_a_lead_and_goes_to_the_thank_you_page(form):
    response = send(form, {**VISITOR, "phone": "020 7946 0018"}, HTTP_ORIGIN="https://www.example.com")
    assert response.status_code == 303
    assert response["Location"] == "https://www.example.com/thanks"
    assert response["Access-Control-Allow-Origin"] == "https://www.example.com"
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company) == ("Ada", "Lovelace", "Engines Ltd")
    assert lead.phone == "+442079460018"  # read in the visitor's own country
    assert (lead.source, lead.campaign.name) == (form.source, "Spring webinar")
    assert lead.events.get(kind=LeadEvent.Kind.CREATED).details == {"via": "web form", "form": "Contact us", "row": 1}
    form.refresh_from_db()
    assert form.received == 1


def test_json_is_answered_when_asked(form):
    response = send(form, VISITOR, HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()) == (201, {"ok": True, "errors": {}})


def test_a_visitor_cannot_say_where_the_lead_came_from(form, cast):
    send(form, {**VISITOR, "source": "Something else", "title": "CEO", "campaign": "Other"})
    lead = Lead.objects.get()
    assert (lead.source, lead.campaign.name, lead.title) == (cast.source, "Spring webinar", "")


def test_the_honeypot_is_counted_answered_as_a_success_and_stored_nowhere(form):
    response = send(form, {**VISITOR, HONEYPOT: "http://spam.example"})
    assert response.status_code == 303
    assert not Lead.objects.exists()
    form.refresh_from_db()
    assert (form.honeypot_hits, form.received) == (1, 0)


def test_the_next_minute_brings_a_fresh_budget(form, settings):
    settings.ACCORD_FORM_POSTS_PER_MINUTE = 1
    with time_machine.travel(datetime(2026, 12, 2, 9, 30, 58, tzinfo=UTC), tick=False):
        first = [send(form, {**VISITOR, "email": f"m{i}@x.example"}).status_code for i in range(2)]
    with time_machine.travel(datetime(2026, 12, 2, 9, 31, 0, tzinfo=UTC), tick=False):
        second = send(form, {**VISITOR, "email": "n@x.example"}).status_code
    assert (first, second) == ([303, 429], 303)
    assert Lead.objects.count() == 2


def test_posts_over_the_rate_are_counted_not_stored(form, settings):
    settings.ACCORD_FORM_POSTS_PER_MINUTE = 2
    with time_machine.travel(datetime(2026, 12, 2, 9, 30, 50, tzinfo=UTC), tick=False):
        statuses = [send(form, {**VISITOR, "email": f"p{i}@x.example"}).status_code for i in range(3)]
    assert statuses == [303, 303, 429]
    assert Lead.objects.count() == 2
    form.refresh_from_db()
    assert form.rate_limited == 1
    # Another address has its own budget.
    other = Client(REMOTE_ADDR="198.51.100.4").post(f"/forms/{form.key}/", {**VISITOR, "email": "q@x.example"})
    assert other.status_code == 303


def test_a_website_the_form_does_not_list_is_refused(form):
    response = send(form, VISITOR, HTTP_ORIGIN="https://evil.example", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert not Lead.objects.exists()


def test_a_post_that_cannot_become_a_lead_says_why(form):
    response = send(form, {"full_name": "Nobody", "email": "not-an-email"})
    assert response.status_code == 400
    assert "is not a valid email address" in response.content.decode()
    assert not Lead.objects.exists()
    form.refresh_from_db()
    assert form.refused == 1


def test_an_oversized_post_is_refused_unread(form, settings):
    settings.ACCORD_FORM_MAX_BYTES = 100
    response = send(form, {**VISITOR, "company": "x" * 500})
    assert response.status_code == 413
    assert not Lead.objects.exists()


def test_only_posts_and_known_active_forms(form):
    assert Client().get(f"/forms/{form.key}/").status_code == 405
    assert Client().post("/forms/no-such-form/", VISITOR).status_code == 404
    WebForm.objects.filter(pk=form.pk).update(is_active=False)
    assert send(form, VISITOR).status_code == 404


def test_the_snippet_posts_every_field_and_hides_the_honeypot(form):
    snippet = webform_snippet(form)
    assert f'action="http://127.0.0.1:8000/forms/{form.key}/"' in snippet or f"/forms/{form.key}/" in snippet
    for target in form.fields:
        assert f'name="{target}"' in snippet
    assert f'name="{HONEYPOT}" tabindex="-1"' in snippet


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fields": ["full_name", "company"]}, "email or a phone"),
        ({"fields": ["email", "source"]}, "cannot ask for"),
        ({"origins": ["www.example.com"]}, "no website origin"),
        ({"thank_you_url": "not a url"}, "valid URL"),
    ],
)
def test_a_form_that_cannot_work_is_not_saved(cast, changes, message):
    values = {
        "name": "Broken",
        "fields": ["email"],
        "source": cast.source,
        "campaign": None,
        "thank_you_url": "https://www.example.com/thanks",
        "origins": [],
        **changes,
    }
    with pytest.raises((WebFormError, Exception), match=message):
        webform_save(by=cast.marketer, **values)
    assert not WebForm.objects.exists()


def test_marketing_makes_a_form_in_the_admin_and_sees_its_snippet(cast):
    client = Client()
    client.force_login(cast.marketer)
    response = client.post(
        "/admin/webforms/webform/add/",
        {
            "name": "Demo request",
            "fields": ["first_name", "last_name", "email"],
            "source": cast.source.pk,
            "campaign": "",
            "thank_you_url": "https://www.example.com/thanks",
            "allowed_origins": "https://www.example.com\nhttps://shop.example.com",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form = WebForm.objects.get()
    assert form.allowed_origins == ["https://shop.example.com", "https://www.example.com"]
    assert form.created_by == cast.marketer
    page = client.get(f"/admin/webforms/webform/{form.pk}/change/").content.decode()
    assert "Paste this on the website" in page and f"/forms/{form.key}/" in page
