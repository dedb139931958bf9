"""In a real browser: marketing asks Accord for a draft fitted to the known outcomes, reads its
backtest, and finds the draft waiting for both signatures."""

import pytest
from playwright.sync_api import expect

from alignment.models import QualificationDefinition
from tests.factories import PASSWORD, leads_with_outcomes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketing_suggests_a_draft_and_reads_its_evidence(cast, reasons, page_for):
    leads_with_outcomes(cast.source)
    marketer = page_for("marketer", PASSWORD)
    marketer.goto("/definitions/")
    marketer.get_by_label("Success is").select_option("won")
    marketer.get_by_role("button", name="Suggest a draft").click()
    expect(marketer.get_by_role("alert").first).to_contain_text("is a new draft fitted to 300 leads")
    expect(marketer.locator("#backtest-headline")).to_contain_text("ROC-AUC of priority")
    expect(marketer.locator("#backtest-rules")).to_contain_text("Plan")
    draft = QualificationDefinition.objects.get()
    assert draft.status == QualificationDefinition.Status.DRAFT
    marketer.goto(f"/definitions/{draft.pk}/")
    expect(marketer.get_by_text("Plan:").first).to_be_visible()
