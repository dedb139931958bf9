"""In a real browser: a rep posts an update, then the manager runs the weekly lead review from
open to close, rep by rep, and the outcomes reach the leads."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from leads import services as lead_services
from leads.models import Lead, LeadEvent, Stage
from reviews.models import ReviewMeeting
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accepted(cast, handoff_to_rep, rep, **fields) -> Lead:
    handoff = handoff_to_rep(rep=rep, **fields)
    lead_services.handoff_accept(handoff=handoff, by=rep)
    return Lead.objects.get(pk=handoff.lead_id)


def test_a_manager_runs_a_meeting_from_open_to_close(cast, handoff_to_rep, page_for, reasons):
    ada = accepted(cast, handoff_to_rep, cast.rep, first_name="Ada", last_name="Lovelace")
    alan = accepted(cast, handoff_to_rep, cast.rep, first_name="Alan", last_name="Turing")
    grace = accepted(cast, handoff_to_rep, cast.teammate, first_name="Grace", last_name="Hopper")

    # The manager opens this week's meeting from the reviews page.
    manager = page_for("manager", PASSWORD)
    manager.get_by_role("link", name="Lead reviews").click()
    manager.get_by_role("button", name="Open this week's meeting").click()
    expect(manager.get_by_role("alert")).to_contain_text("with 3 leads on the agenda")
    meeting = ReviewMeeting.objects.get()
    due = (meeting.week_start + timedelta(days=3)).isoformat()

    # The rep posts an update on one lead from their page.
    rep = page_for("rep", PASSWORD)
    rep.goto(f"/reviews/{meeting.pk}/my-items/")
    row = rep.locator(f"#item-{meeting.items.get(lead=ada).pk}")
    row.get_by_label("Update").fill("Pilot running, CFO keen")
    row.get_by_label("Next step").fill("Send the order form")
    row.get_by_label("Due").fill(due)
    row.get_by_label("Proposed outcome").select_option(label="Won")
    rep.get_by_role("button", name="Save my updates").click()
    expect(rep.get_by_role("alert")).to_contain_text("Saved your update on 1 lead")

    # In the meeting: rep by rep, the manager sees the update and records outcomes.
    manager.goto(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}")
    ada_row = manager.locator(f"#item-{meeting.items.get(lead=ada).pk}")
    expect(ada_row).to_contain_text("Pilot running, CFO keen")
    expect(manager.locator(f"#item-{meeting.items.get(lead=grace).pk}")).to_have_count(0)
    ada_row.get_by_label("Outcome").select_option(label="Won")
    alan_row = manager.locator(f"#item-{meeting.items.get(lead=alan).pk}")
    alan_row.get_by_label("Outcome").select_option(label="Recycle to marketing")
    manager.get_by_role("button", name=re.compile(r"Save these")).click()
    expect(manager.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(manager.locator("tr.table-danger")).to_contain_text("choose a reason from the catalogue")

    alan_row = manager.locator(f"#item-{meeting.items.get(lead=alan).pk}")
    alan_row.get_by_label("Reason").select_option(label="Not now (recycle to nurture)")
    manager.locator(f"#item-{meeting.items.get(lead=ada).pk}").get_by_label("Outcome").select_option(label="Won")
    manager.get_by_role("button", name=re.compile(r"Save these")).click()
    expect(manager.get_by_role("alert")).to_contain_text("Saved 2 item(s)")

    manager.get_by_role("link", name=re.compile(cast.teammate.get_full_name())).click()
    grace_row = manager.locator(f"#item-{meeting.items.get(lead=grace).pk}")
    grace_row.get_by_label("Discussed").check()
    grace_row.get_by_label("Outcome").select_option(label="Progressing")
    grace_row.get_by_label("Next step").fill("Book the demo")
    grace_row.get_by_label("Due").fill(due)
    manager.get_by_role("button", name=re.compile(r"Save these")).click()
    expect(manager.get_by_role("alert")).to_contain_text("Saved 1 item(s)")
    expect(manager.get_by_label("Coverage").first).to_contain_text("100% discussed")

    # Close: outcomes are applied, the minutes page shows them.
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.get_by_role("button", name="Close meeting and apply outcomes").click()
    expect(manager).to_have_url(re.compile(rf"/reviews/{meeting.pk}/minutes/$"))
    expect(manager.get_by_role("alert")).to_contain_text("is closed")
    expect(manager.locator(f"#minute-{meeting.items.get(lead=alan).pk}")).to_contain_text("Not now")

    assert Lead.objects.get(pk=ada.pk).stage == Stage.WON
    assert Lead.objects.get(pk=alan.pk).stage == Stage.NURTURING
    assert Lead.objects.get(pk=grace.pk).stage == Stage.ACCEPTED
    assert LeadEvent.objects.filter(kind="reviewed").count() == 3
    meeting.refresh_from_db()
    assert meeting.status == ReviewMeeting.Status.CLOSED

    # A closed meeting is read-only for the rep.
    rep.goto(f"/reviews/{meeting.pk}/my-items/")
    expect(rep.get_by_text("The meeting is closed")).to_be_visible()
    expect(rep.get_by_role("button", name="Save my updates")).to_have_count(0)
