"""Hand-offs under the agreed definition: the form explains readiness rule by rule, a lead that
is not sales-ready needs an explicit override with a reason, and each version's figures show."""

import pytest
from django.test import Client

from alignment import services as alignment_services
from alignment.models import EngagementRule, FieldRule
from leads import services
from leads.exceptions import LeadError
from leads.models import Handoff

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(cast):
    """Active: sales-ready when grade A/B and hot, or on a demo request."""
    version = alignment_services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(definition=version, field="seniority", test="one_of", values=["c_level", "vp"], points=60)
    EngagementRule.objects.create(definition=version, activity="demo_request", points=70)
    alignment_services.definition_update(
        definition=version, by=cast.marketer, fields={"half_life_days": 0, "ready_activities": "demo_request"}
    )
    alignment_services.definition_propose(definition=version, by=cast.marketer)
    alignment_services.definition_approve(definition=version, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=version, by=cast.vp, side="sales")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_lead_that_is_not_sales_ready_needs_an_override_with_a_reason(cast, make_lead, definition):
    lead = make_lead(title="Intern")
    with pytest.raises(LeadError, match="not sales-ready"):
        services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    with pytest.raises(LeadError, match="Explain why"):
        services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, override=True)
    assert not Handoff.objects.exists()
    handoff = services.handoff_create(
        lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason="CEO's nephew asked for a call"
    )
    assert (handoff.override, handoff.definition) == (True, definition)


def test_a_sales_ready_lead_goes_without_override_and_records_the_version(cast, make_lead, definition):
    lead = make_lead(title="VP Sales")
    services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
    handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    assert (handoff.override, handoff.definition) == (False, definition)


def test_without_an_active_definition_nothing_is_checked(cast, make_lead):
    handoff = services.handoff_create(lead=make_lead(title="Intern"), by=cast.marketer, rep=cast.rep)
    assert handoff.definition is None and not handoff.override


def test_the_form_explains_readiness_rule_by_rule(cast, make_lead, definition):
    lead = make_lead(title="Intern")
    page = logged_in(cast.marketer).get(f"/leads/{lead.pk}/hand-off/").content.decode()
    assert "Not sales-ready" in page
    assert "Seniority" in page and "Demo request" in page


def test_the_form_keeps_what_was_typed_when_the_override_is_missing(cast, make_lead, definition):
    lead = make_lead(title="Intern")
    response = logged_in(cast.marketer).post(
        f"/leads/{lead.pk}/hand-off/", {"rep": cast.rep.pk, "note": "Keep this note"}
    )
    assert b"not sales-ready" in response.content
    assert b"Keep this note" in response.content
    assert not Handoff.objects.exists()


def test_the_definition_page_shows_leads_per_grade_and_handoffs_per_version(cast, make_lead, definition):
    from alignment.models import BUCKETS
    from leads.evaluation import lead_evaluate

    lead = lead_evaluate(lead=make_lead(title="Intern"))
    make_lead(title="Not graded yet")
    services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason="Asked")
    client = logged_in(cast.vp)
    page = client.get(f"/definitions/{definition.pk}/").content.decode()
    # The version's page loads its figures after itself, and links to them without JavaScript.
    assert f'hx-get="/definitions/{definition.pk}/figures/"' in page
    assert f'href="/definitions/{definition.pk}/figures/"' in page
    for headers in ({"HX-Request": "true"}, {}):
        figures = client.get(f"/definitions/{definition.pk}/figures/", headers=headers).content.decode()
        assert 'id="definition-figures"' in figures
        assert "Hand-offs by version" in figures and "Leads under this version now" in figures
        assert ("<html" in figures) is not bool(headers)
    # The intern was graded by the active version and handed off with an override.
    panel = client.get(f"/definitions/{definition.pk}/figures/").context["panels"][0].context
    assert dict(panel["grades"])[lead.grade] == 1 and sum(n for _, n in panel["grades"]) == 1
    bucket_label = dict(BUCKETS)[lead.bucket]
    assert dict(panel["buckets"])[bucket_label] == 1 and sum(n for _, n in panel["buckets"]) == 1
    assert panel["sales_ready"] == int(lead.sales_ready)
    assert [(row["made"], row["overridden"]) for row in panel["versions"]] == [(1, 1)]


def test_only_the_reasons_the_active_definition_agreed_are_offered_and_accepted(cast, make_lead, definition, reasons):
    definition.rejection_reasons.remove(reasons["competitor-or-solicitation"])
    lead = make_lead(title="VP Sales")
    services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
    handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    client = logged_in(cast.rep)
    for form in (
        client.get(f"/inbox/{handoff.pk}/reject/", HTTP_HX_REQUEST="true").content.decode(),  # in the queue
        client.get(f"/inbox/{handoff.pk}/reject/").content.decode(),  # its own page
    ):
        assert "Not our customer profile" in form and "Competitor or solicitation" not in form
    with pytest.raises(LeadError, match="not an agreed rejection reason"):
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["competitor-or-solicitation"])
    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.PENDING


def test_unresponsive_needs_the_agreed_number_of_touches(cast, make_lead, definition, reasons):
    lead = make_lead(title="VP Sales")
    services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
    handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
    services.handoff_accept(handoff=handoff, by=cast.rep)
    for _ in range(2):
        services.touch_log(lead=lead, by=cast.rep, kind="call")
    with pytest.raises(LeadError, match=r"3 attempts that reached nobody .* unresponsive; 2 so far"):
        services.lead_give_up(lead=lead, by=cast.rep, reason=reasons["unresponsive"])
    services.touch_log(lead=lead, by=cast.rep, kind="email")
    services.lead_give_up(lead=lead, by=cast.rep, reason=reasons["unresponsive"])
    assert Handoff.objects.get(pk=handoff.pk).reason == reasons["unresponsive"]


def test_marketing_logs_a_demo_request_and_the_lead_becomes_sales_ready(cast, make_lead, definition):
    lead = make_lead(title="Intern")
    client = logged_in(cast.marketer)
    assert b"Log activity" in client.get(f"/leads/{lead.pk}/").content
    response = client.post(f"/leads/{lead.pk}/activities/new/", {"kind": "demo_request"}, follow=True)
    assert b"Activity logged" in response.content and b"sales-ready" in response.content
    lead.refresh_from_db()
    assert lead.sales_ready


def test_a_future_activity_is_explained_and_nothing_saved(cast, make_lead, definition):
    lead = make_lead(title="Intern")
    response = logged_in(cast.marketer).post(
        f"/leads/{lead.pk}/activities/new/", {"kind": "demo_request", "occurred_at": "2999-01-01T10:00", "note": "Keep"}
    )
    assert b"future" in response.content and b"Keep" in response.content
    assert not lead.activities.exists()


def test_sales_does_not_log_marketing_activity(cast, make_lead, definition):
    lead = make_lead()
    assert logged_in(cast.rep).post(f"/leads/{lead.pk}/activities/new/", {"kind": "demo_request"}).status_code == 403
    assert not lead.activities.exists()
