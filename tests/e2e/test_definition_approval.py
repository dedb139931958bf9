"""In a real browser: the marketing leader and the sales leader each approve a proposed
definition, and it becomes the active version."""

import pytest
from playwright.sync_api import expect

from alignment import services
from alignment.models import EngagementRule, FieldRule, QualificationDefinition
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_both_leaders_approve_and_the_version_becomes_active(cast, reasons, page_for):
    definition = services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(
        definition=definition, field="seniority", test="one_of", values=["c_level", "vp"], points=40
    )
    EngagementRule.objects.create(definition=definition, activity="demo_request", points=50)
    services.definition_propose(definition=definition, by=cast.marketer)

    cmo = page_for("cmo", PASSWORD)
    cmo.goto(f"/definitions/{definition.pk}/")
    expect(cmo.locator("#approvals")).to_contain_text("Marketing: not yet")
    cmo.get_by_label("Comment").fill("Matches our ICP")
    cmo.get_by_role("button", name="Approve for marketing").click()
    expect(cmo.get_by_role("alert").first).to_contain_text("You approved v1")
    expect(cmo.locator("#approvals")).to_contain_text("Marketing: approved by")

    vp = page_for("vp-sales", PASSWORD)
    vp.goto("/definitions/")
    vp.get_by_role("link", name="v1 Enterprise fit").click()
    vp.get_by_role("button", name="Approve for sales").click()
    expect(vp.get_by_role("alert").first).to_contain_text("You approved v1")
    expect(vp.locator("h1 + .badge")).to_have_text("Active")

    definition.refresh_from_db()
    assert definition.status == QualificationDefinition.Status.ACTIVE
    assert {approval.by.username for approval in definition.approvals.all()} == {"cmo", "vp-sales"}
