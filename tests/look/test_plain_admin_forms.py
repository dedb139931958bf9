"""Marketing's admin forms ask for lists one entry at a time (one per line, or checkboxes), show
labels rather than stored codes, and answer bad input with a form error that changes nothing."""

import html

import pytest
from django.test import Client
from django.utils import timezone

from alignment.models import LeadProperty
from leads.models import ImportMapping
from webhooks.models import EventType, Subscription

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def property_post(**overrides) -> dict:
    data = {
        "key": "industry_group",
        "label": "Industry group",
        "kind": LeadProperty.Kind.CHOICE,
        "choices": "Retail\nHealth care, public\n\nRetail\n  Banking  ",
        "help_text": "",
        "part": LeadProperty.Part.FIT,
        "learn_from": "on",
        "position": 3,
    }
    data.update(overrides)
    return data


def test_a_choice_propertys_values_are_written_one_per_line(cast):
    response = logged_in(cast.marketer).post("/admin/alignment/leadproperty/add/", property_post())
    assert response.status_code == 302
    # Blank lines and repeats dropped, a comma kept inside its value.
    assert LeadProperty.objects.get(key="industry_group").choices == ["Retail", "Health care, public", "Banking"]


def test_the_property_page_shows_its_values_one_per_line(cast):
    prop = LeadProperty.objects.create(
        key="tier", label="Tier", kind=LeadProperty.Kind.CHOICE, choices=["Gold", "Silver"]
    )
    content = logged_in(cast.marketer).get(f"/admin/alignment/leadproperty/{prop.pk}/change/").content.decode()
    assert "Gold\nSilver</textarea>" in content
    assert "one value per line" in content
    assert '["Gold"' not in html.unescape(content)


def test_values_on_a_property_that_is_not_a_choice_are_refused(cast):
    response = logged_in(cast.marketer).post(
        "/admin/alignment/leadproperty/add/", property_post(kind=LeadProperty.Kind.NUMBER)
    )
    assert response.status_code == 200
    assert "Only a choice property has values" in response.content.decode()
    assert not LeadProperty.objects.filter(key="industry_group").exists()


def test_an_overlong_value_is_refused_with_a_message(cast):
    response = logged_in(cast.marketer).post("/admin/alignment/leadproperty/add/", property_post(choices="x" * 101))
    assert response.status_code == 200
    assert "Each value is at most 100 characters" in response.content.decode()
    assert not LeadProperty.objects.filter(key="industry_group").exists()


def test_a_saved_mapping_shows_its_columns_in_words_and_edits_empty_values_per_line(cast):
    mapping = ImportMapping.objects.create(
        name="Trade show",
        columns={"E-mail address": "email", "Surname": "last_name"},
        empty_values=["Select"],
        created_at=timezone.now(),
        created_by=cast.marketer,
    )
    client = logged_in(cast.marketer)
    content = html.unescape(client.get(f"/admin/leads/importmapping/{mapping.pk}/change/").content.decode())
    assert "E-mail address → Email" in content and "Surname → Last name" in content
    assert "Select</textarea>" in content
    response = client.post(
        f"/admin/leads/importmapping/{mapping.pk}/change/",
        {"name": "Trade show", "empty_values": "Select\nN/A", "date_pattern": "", "phone_region": ""},
    )
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.empty_values == ["Select", "N/A"]
    assert mapping.columns == {"E-mail address": "email", "Surname": "last_name"}  # not editable here


def test_the_subscription_list_names_events_in_words(cast):
    Subscription.objects.create(
        name="Automation",
        url="https://hooks.example/in",
        events=[EventType.LEAD_WON, EventType.HANDOFF_ACCEPTED],
        secret="s" * 32,
        created_by=cast.marketer,
        created_at=timezone.now(),
    )
    content = logged_in(cast.marketer).get("/admin/webhooks/subscription/").content.decode()
    assert "Lead won, Hand-off accepted" in content
    assert "lead.won" not in content


def test_the_admin_names_people_as_the_workspace_does(cast, handoff_to_rep):
    """Columns and choices show a person's name, not their account's username."""
    handoff_to_rep(last_name="Lovelace")
    rep_name = cast.rep.get_full_name()
    assert rep_name and rep_name != cast.rep.username
    client = logged_in(cast.cmo)
    handoffs = client.get("/admin/leads/handoff/").content.decode()
    assert f">{rep_name}<" in handoffs and f">{cast.rep.username}<" not in handoffs
    team = logged_in(cast.vp).get(f"/admin/alignment/team/{cast.team.pk}/change/").content.decode()
    manager = cast.team.manager
    assert f">{manager.get_full_name()}</option>" in team and f">{manager.username}</option>" not in team
    # Someone with no name on file still reads as their account.
    cast.rep.first_name = cast.rep.last_name = ""
    cast.rep.save(update_fields=["first_name", "last_name"])
    assert f">{cast.rep.username}<" in client.get("/admin/leads/handoff/").content.decode()
