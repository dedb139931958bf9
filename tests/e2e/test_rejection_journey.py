"""In a real browser: a rep rejects a lead with a reason; marketing sees the rejection."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Handoff, Stage
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_rejects_a_lead_and_marketing_sees_why(cast, reasons, handoff_to_rep, page_for):
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Analytical Engines")

    rep = page_for("rep", PASSWORD)
    expect(rep).to_have_url(re.compile(r"/inbox/$"))  # a rep's home is the inbox
    row = rep.locator(f"#handoff-{handoff.pk}")
    expect(row).to_contain_text("Ada Lovelace")
    row.get_by_role("button", name="Reject…").click()
    form = rep.locator(f"#reject-{handoff.pk}")
    form.get_by_label("Reason").select_option(label="Not our customer profile (disqualify)")
    form.get_by_label("Note for marketing").fill("Two-person shop, no fit")
    form.get_by_role("button", name="Reject lead").click()
    expect(rep.get_by_role("alert")).to_contain_text("You rejected Ada Lovelace")
    expect(rep.locator(f"#handoff-{handoff.pk}")).to_have_count(0)

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.REJECTED
    assert handoff.lead.stage == Stage.DISQUALIFIED

    marketer = page_for("marketer", PASSWORD)
    marketer.goto("/handoffs/outcomes/")
    outcome = marketer.locator(f"#outcome-{handoff.pk}")
    expect(outcome).to_contain_text("Ada Lovelace")
    expect(outcome).to_contain_text("Rejected")
    expect(outcome).to_contain_text("Not our customer profile")
    expect(outcome).to_contain_text("Two-person shop, no fit")
    expect(outcome).to_contain_text("Disqualified")
