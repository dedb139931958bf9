"""In a real browser, on a laptop and on a phone: a rep posts his report, then the manager runs the
weekly lead review from the start page to the minutes. Only the outcomes a lead's stage allows
are offered, an outcome saves in place, a broken rule shows beside its item on the right rep's
tab, and the minutes put the decided items first."""

import re

import pytest
from playwright.sync_api import expect

from leads import services as lead_services
from leads.models import Lead, LeadEvent, Stage
from reviews.models import ReviewMeeting
from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accepted(handoff_to_rep, rep, **fields) -> Lead:
    handoff = handoff_to_rep(rep=rep, **fields)
    lead_services.handoff_accept(handoff=handoff, by=rep)
    return Lead.objects.get(pk=handoff.lead_id)


def go_to(page, link: str) -> None:
    """Follow a link of the main navigation, opening the menu first on a narrow screen."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("navigation").get_by_role("link", name=link).click()


def item(page, lead: Lead):
    return page.locator(f"#item-{ReviewMeeting.objects.get().items.get(lead=lead).pk}")


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_a_manager_runs_the_weekly_review_from_the_start_page(
    cast, handoff_to_rep, reasons, page_sized, assert_accessible, screenshot, viewport
):
    suffix = "" if viewport == WIDE else "-phone"
    ada = accepted(handoff_to_rep, cast.rep, first_name="Ada", last_name="Lovelace")
    alan = accepted(handoff_to_rep, cast.rep, first_name="Alan", last_name="Turing")
    pending = Lead.objects.get(pk=handoff_to_rep(rep=cast.rep, first_name="Pat", last_name="Pending").lead_id)
    grace = accepted(handoff_to_rep, cast.teammate, first_name="Grace", last_name="Hopper")
    quiet = accepted(handoff_to_rep, cast.teammate, first_name="Quinn", last_name="Quiet")

    # The manager opens this week's meeting from the reviews page.
    manager = page_sized("manager", PASSWORD, viewport)
    manager.goto("/")
    go_to(manager, "Lead reviews")
    manager.get_by_role("button", name="Open this week's meeting").click()
    expect(manager.get_by_role("alert")).to_contain_text("with 5 leads on the agenda")
    meeting = ReviewMeeting.objects.get()

    # The rep posts his report on his own items, from his start page.
    rep = page_sized("rep", PASSWORD, viewport)
    rep.goto("/")
    go_to(rep, "Lead reviews")
    rep.locator(f"#meeting-{meeting.pk}").get_by_role("link", name="My updates").click()
    row = item(rep, ada)
    row.get_by_label("Update").fill("Pilot running, CFO keen")
    row.get_by_label("Next step").fill("Send the order form")
    row.get_by_label("Proposed outcome").select_option(label="Won")
    rep.get_by_role("button", name="Save my updates").click()
    expect(rep.get_by_role("alert")).to_contain_text("Saved your update on 1 lead")
    expect(rep.locator(f"#item-{meeting.items.get(lead=grace).pk}")).to_have_count(0)  # only his own

    # In the meeting, on the rep's tab: the update is there, and a lead not yet accepted is
    # offered only what its stage allows.
    manager.goto("/")
    go_to(manager, "Lead reviews")
    manager.get_by_role("link", name=meeting.week).click()
    manager.get_by_role("link", name=re.compile(cast.rep.get_full_name())).click()
    expect(item(manager, ada)).to_contain_text("Pilot running, CFO keen")
    offered = item(manager, pending).get_by_label("Outcome").locator("option").all_inner_texts()
    assert offered == ["Outcome…", "Progressing", "Stalled", "Reassign"]
    assert "Won" in item(manager, ada).get_by_label("Outcome").locator("option").all_inner_texts()
    assert_accessible(manager, "meeting page")
    screenshot(manager, f"review-meeting{suffix}")

    # An outcome saves in place: the item comes back with its saved state, the page stays.
    manager.evaluate("() => { window.stillTheSamePage = true; }")
    item(manager, ada).get_by_label("Outcome").select_option(label="Won")
    item(manager, ada).get_by_role("button", name="Save Ada Lovelace").click()
    expect(item(manager, ada).get_by_role("status")).to_have_text("Saved.")
    expect(item(manager, ada).get_by_label("Outcome")).to_have_value("won")
    assert manager.evaluate("() => window.stillTheSamePage") is True

    # Unresponsive without the agreed touches: refused when recorded, the reason beside the item.
    row = item(manager, alan)
    row.get_by_label("Outcome").select_option(label="Recycle to marketing")
    row.get_by_label("Reason").select_option(label="Unresponsive after the agreed touches (recycle to nurture)")
    row.get_by_role("button", name="Save Alan Turing").click()
    refusal = item(manager, alan).get_by_role("alert")
    expect(refusal).to_contain_text("before a lead counts as unresponsive; 0 so far")
    expect(refusal).to_be_focused()
    assert meeting.items.get(lead=alan).outcome == ""
    item(manager, alan).get_by_label("Outcome").select_option(label="Stalled")
    item(manager, alan).get_by_role("button", name="Save Alan Turing").click()
    expect(item(manager, alan).get_by_role("status")).to_have_text("Saved.")

    # On the teammate's tab: Grace is lost; then her lead is won by someone else before the close.
    manager.get_by_role("link", name=re.compile(cast.teammate.get_full_name())).click()
    theirs = meeting.items.filter(rep=cast.teammate).count()
    badge = manager.locator(f"#rep-badge-{cast.teammate.pk}")
    expect(badge).to_have_text(f"0/{theirs}")
    item(manager, grace).get_by_label("Outcome").select_option(label="Lost")
    item(manager, grace).get_by_role("button", name="Save Grace Hopper").click()
    expect(item(manager, grace).get_by_role("status")).to_have_text("Saved.")
    expect(badge).to_have_text(f"1/{theirs}")  # the tab's count followed the save, without a reload
    manager.get_by_role("link", name=re.compile(cast.rep.get_full_name())).click()  # away from her tab
    Lead.objects.filter(pk=grace.pk).update(stage=Stage.WON)

    # The close asks every rule again and goes to the failing item, on the teammate's tab.
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.get_by_role("button", name="Close meeting and apply outcomes").click()
    expect(manager).to_have_url(re.compile(rf"/reviews/{meeting.pk}/\?rep={cast.teammate.pk}#item-"))
    expect(manager.get_by_label("Reps").locator(".nav-link.active")).to_contain_text(cast.teammate.get_full_name())
    failing = item(manager, grace).get_by_role("alert")
    expect(failing).to_contain_text("no longer worked by sales (it is Won)")
    expect(failing).to_be_focused()
    expect(manager.get_by_role("alert").first).to_contain_text("The meeting was not closed")
    item(manager, grace).get_by_label("Outcome").select_option(label="Outcome…")
    item(manager, grace).get_by_label("Discussed").check()
    item(manager, grace).get_by_role("button", name="Save Grace Hopper").click()
    expect(item(manager, grace).get_by_role("status")).to_have_text("Saved.")

    manager.once("dialog", lambda dialog: dialog.accept())
    manager.get_by_role("button", name="Close meeting and apply outcomes").click()
    expect(manager).to_have_url(re.compile(rf"/reviews/{meeting.pk}/minutes/$"))
    expect(manager.get_by_role("alert")).to_contain_text("is closed")

    # The minutes: decided first, rep by rep; the leads nobody discussed folded under their count.
    decided = manager.locator("#minutes-decided")
    expect(decided).to_contain_text("Ada Lovelace")
    expect(decided).to_contain_text("Won")
    expect(decided).to_contain_text("Alan Turing")
    expect(decided).not_to_contain_text("Pat Pending")
    folded = manager.locator("#minutes-not-discussed")
    expect(folded.locator("summary")).to_have_text("Not discussed: 2 leads")
    expect(manager.get_by_text("Quinn Quiet")).to_be_hidden()
    assert_accessible(manager, "minutes")
    screenshot(manager, f"review-minutes{suffix}")
    folded.locator("summary").click()
    expect(manager.get_by_text("Quinn Quiet")).to_be_visible()

    assert Lead.objects.get(pk=ada.pk).stage == Stage.WON
    assert Lead.objects.get(pk=alan.pk).stage == Stage.ACCEPTED
    assert Lead.objects.get(pk=quiet.pk).stage == Stage.ACCEPTED
    assert LeadEvent.objects.filter(kind="reviewed").count() == 2
    assert ReviewMeeting.objects.get().status == ReviewMeeting.Status.CLOSED

    # A closed meeting is read-only for the rep.
    go_to(rep, "Lead reviews")
    rep.locator(f"#meeting-{meeting.pk}").get_by_role("link", name="Minutes").click()
    expect(rep.get_by_text("Pilot running, CFO keen")).to_be_visible()
