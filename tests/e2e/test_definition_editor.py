"""In a real browser, on a laptop and on a phone: the marketing leader starts a draft from the
active definition, edits it in plain language, saves it and sees its backtest refresh beside it,
proposes it; the sales leader approves it; and both versions are compared side by side."""

import re

import pytest
from playwright.sync_api import expect

from alignment import services
from alignment.models import EngagementRule, FieldRule, LeadProperty, QualificationDefinition
from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD, leads_with_outcomes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def go_to(page, link: str) -> None:
    """Follow a link of the main navigation, opening the menu first on a narrow screen."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.locator("#nav").get_by_role("link", name=link, exact=True).click()


def active_definition(cast):
    definition = services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(
        definition=definition, field="seniority", test="one_of", values=["c_level", "vp"], points=40, position=1
    )
    EngagementRule.objects.create(definition=definition, activity="demo_request", points=50, position=1)
    services.definition_propose(definition=definition, by=cast.marketer)
    services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
    return services.definition_approve(definition=definition, by=cast.vp, side="sales")


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_a_draft_is_written_in_plain_language_backtested_proposed_and_approved(
    cast, reasons, page_sized, assert_accessible, screenshot, viewport
):
    leads_with_outcomes(cast.source)
    LeadProperty.objects.filter(key="plan").update(choices=["Enterprise", "Free"])
    active = active_definition(cast)
    phone = viewport is PHONE

    cmo = page_sized("cmo", PASSWORD, viewport)
    cmo.goto("/")
    go_to(cmo, "Definition")
    cmo.get_by_role("button", name="New draft").click()
    expect(cmo.get_by_role("heading", level=1)).to_contain_text("Edit draft v2 Enterprise fit")
    # The copied rules read as people say them: seniorities by name, one per line.
    expect(cmo.get_by_label("Values (one per line)").first).to_have_value("C-level\nVP")
    expect(cmo.locator("#evidence")).to_contain_text("Ranking quality (ROC-AUC)")
    assert_accessible(cmo, "the definition editor")
    if not phone:
        screenshot(cmo, "definition-editor")

    # A new rule on the plan property, added and saved without leaving the page.
    # The editor always offers one blank rule; "Add a rule" offers another.
    expect(cmo.locator("fieldset[data-rule-row]")).to_have_count(2)
    cmo.get_by_role("button", name="Add a rule").click()
    expect(cmo.locator("fieldset[data-rule-row]")).to_have_count(3)
    new_rule = cmo.locator("fieldset[data-rule-row]").nth(1)
    expect(new_rule.locator("legend")).to_have_text("Rule 2")
    new_rule.get_by_role("combobox", name=re.compile(r"^Field")).select_option(label="Plan (property)")
    new_rule.get_by_role("combobox", name=re.compile(r"^Test")).select_option(label="is one of")
    # The plan's declared values are offered to add: one click each, never typed twice.
    known = new_rule.get_by_role("group", name="Add a known value:")
    expect(known.get_by_role("button")).to_have_text(["Enterprise", "Free"])
    known.get_by_role("button", name="Enterprise").click()
    known.get_by_role("button", name="Enterprise").click()
    expect(new_rule.get_by_label("Values (one per line)")).to_have_value("Enterprise")
    new_rule.get_by_label("Points", exact=True).fill("25")
    cmo.get_by_label("Hot from (score)").fill("55")
    cmo.get_by_role("button", name="Save the draft").click()
    expect(cmo.locator("#saved-notice")).to_contain_text("The backtest beside it is up to date")
    expect(cmo.locator("#editor")).to_contain_text("matches 100 leads with a known outcome")
    draft = QualificationDefinition.objects.get(status=QualificationDefinition.Status.DRAFT)
    assert draft.hot_min == 55
    assert list(draft.field_rules.values_list("field", "values", "points")) == [
        ("seniority", ["c_level", "vp"], 40),
        ("property:plan", ["Enterprise"], 25),
    ]
    if phone:
        screenshot(cmo, "definition-editor-phone")

    cmo.get_by_role("button", name="Propose to both leaders").click()
    expect(cmo.get_by_role("alert").first).to_contain_text("v2 is proposed")
    expect(cmo.locator("h1 + .badge")).to_have_text("Proposed")
    expect(cmo.locator("#fit-rules")).to_contain_text("Plan is Enterprise: +25")
    assert_accessible(cmo, "the proposed version's page")

    vp = page_sized("vp-sales", PASSWORD, viewport)
    vp.goto("/")
    go_to(vp, "Definition")
    vp.get_by_role("link", name="v2 Enterprise fit").click()
    expect(vp.get_by_role("button", name="Approve for marketing")).to_have_count(0)
    vp.get_by_label("Comment").fill("Sales agrees")
    vp.get_by_role("button", name="Approve for sales").click()
    expect(vp.get_by_role("alert").first).to_contain_text("You approved v2")
    expect(vp.locator("#approvals")).to_contain_text("Sales: approved by")
    expect(vp.get_by_role("button", name="Approve for sales")).to_have_count(0)
    assert_accessible(vp, "the version's page after approving")

    # Both versions side by side, from the list.
    go_to(vp, "Definition")
    vp.get_by_label("Compare version").select_option(str(active.pk))
    vp.get_by_label("with version").select_option(str(draft.pk))
    vp.get_by_role("button", name="Compare", exact=True).click()
    expect(vp.get_by_role("heading", level=1)).to_have_text("v1 and v2, rule by rule")
    changed = vp.locator("#comparison tr.table-warning")
    expect(changed.filter(has_text="Plan is Enterprise: +25")).to_have_count(1)
    expect(vp.locator("#compare-backtests")).to_contain_text("Ranking quality (ROC-AUC)")
    assert_accessible(vp, "the compare page")
    screenshot(vp, "definition-compare" + ("-phone" if phone else ""))


def test_comparing_without_a_choice_explains_itself(cast, reasons, page_sized, assert_accessible):
    active_definition(cast)
    services.definition_create(by=cast.marketer, name="Next")
    page = page_sized("marketer", PASSWORD, WIDE)
    page.goto("/")
    go_to(page, "Definition")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#compare-form")).to_contain_text("Choose the first version.")
    assert_accessible(page, "the compare page with an error")
