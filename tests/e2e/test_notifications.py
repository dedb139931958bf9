"""In a real browser, at a laptop's width and a phone's: the rep accepts a lead marketing handed
off; the marketer, from her start page, sees the unread count, reads "Ravi Shah accepted …",
marks it read inline (the count goes), and chooses email for that kind on the preferences page."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Notification, NotificationPreference
from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_nav(page, viewport) -> None:
    """On a phone the header's links sit behind the menu button."""
    if viewport is PHONE:
        page.get_by_role("button", name="Menu").click()
        # Bootstrap marks the menu "show" once it has finished opening: a link clicked while it
        # still slides open was once missed, and the page stayed where it was.
        expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))


@pytest.mark.parametrize(("viewport", "suffix"), [(WIDE, ""), (PHONE, "-phone")], ids=["wide", "phone"])
def test_the_marketer_hears_her_handoff_was_accepted_and_chooses_email(
    cast, handoff_to_rep, page_sized, assert_accessible, screenshot, viewport, suffix
):
    cast.rep.first_name, cast.rep.last_name = "Ravi", "Shah"
    cast.rep.save()
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Analytical Engines")

    # The rep accepts it from his inbox, his start page.
    rep = page_sized("rep", PASSWORD, viewport)
    expect(rep).to_have_url(re.compile(r"/inbox/$"))
    row = rep.locator(f"#handoff-{handoff.pk}")
    expect(row).to_contain_text("Ada Lovelace")
    row.get_by_role("button", name=re.compile(r"^Accept")).first.click()
    expect(rep.get_by_role("alert").first).to_be_visible()

    # The marketer starts at / and sees one unread notification in the header.
    marketer = page_sized("marketer", PASSWORD, viewport)
    marketer.goto("/")
    open_nav(marketer, viewport)
    badge = marketer.locator("#unread-count")
    expect(badge).to_have_text("1")
    marketer.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(marketer).to_have_url(re.compile(r"/notifications/$"))
    note = Notification.objects.get(recipient=cast.marketer, kind=Notification.Kind.HANDOFF_ACCEPTED)
    item = marketer.locator(f"#notification-{note.pk}")
    expect(item).to_contain_text("Ravi Shah accepted Ada Lovelace (Analytical Engines).")
    expect(item).to_contain_text("Your hand-off was accepted")
    assert_accessible(marketer, "notifications")
    if not suffix:
        screenshot(marketer, "notifications")

    # Marked read in place: the page does not reload, the notice says read, the count goes.
    marketer.evaluate("() => { window.__samePage = true; }")
    item.get_by_role("button", name=re.compile(r"^Mark read")).click()
    expect(item).to_contain_text("Read")
    expect(item.get_by_role("button", name=re.compile(r"^Mark read"))).to_have_count(0)
    expect(marketer.locator("#unread-count")).to_have_text("")
    assert marketer.evaluate("() => window.__samePage === true")
    note.refresh_from_db()
    assert note.read_at is not None

    # Preferences, from the notifications page: email for accepted hand-offs.
    marketer.get_by_role("link", name="Choose how you are told").click()
    expect(marketer).to_have_url(re.compile(r"/notifications/preferences/$"))
    expect(marketer.get_by_role("heading", name="How you are told")).to_be_visible()
    marketer.get_by_label("Your hand-off was accepted").select_option(label="In the app and by email")
    assert_accessible(marketer, "notification preferences")
    if not suffix:
        screenshot(marketer, "notification-preferences")
    marketer.get_by_role("button", name="Save my choices").click()
    expect(marketer.get_by_role("alert").first).to_contain_text("Your notification choices are saved.")
    expect(marketer.get_by_label("Your hand-off was accepted")).to_have_value("email")
    assert (
        NotificationPreference.objects.get(user=cast.marketer, kind=Notification.Kind.HANDOFF_ACCEPTED).channel
        == "email"
    )
