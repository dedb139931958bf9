"""In a real browser, for each role at 1440 px and 390 px: the start page carries the brand, the
navigation and the day's tasks; staff go to the admin and back through the same navigation; the
admin's pages and the 404 page are in the same look and pass axe. At 390 px both headers fold
their navigation behind a working menu button."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = {
    "cmo": ("/leads/", "Open the dashboard"),
    "marketer": ("/leads/", "Import leads"),
    "vp-sales": ("/handoffs/outcomes/", "Open the dashboard"),
    "manager": ("/inbox/", "Review meetings"),
    "rep": ("/inbox/", "Work your inbox"),
}
STAFF = {"cmo", "marketer", "vp-sales", "manager"}
SIZES = pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])


def open_workspace_menu(page, phone: bool):
    menu = page.locator("#nav")
    if phone:
        expect(menu).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        # Bootstrap's collapse animates: wait until it has settled open.
        expect(menu).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    return menu


def open_admin_menu(page, phone: bool):
    menu = page.locator("#accord-admin-nav")
    if phone:
        expect(menu).to_be_hidden()
        button = page.locator("button[data-nav-toggle]")
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    return menu


@SIZES
@pytest.mark.parametrize("username", list(START))
def test_each_role_starts_in_the_one_look_and_reaches_the_admin_and_back(
    cast, username, viewport, page_sized, assert_accessible, screenshot
):
    phone = viewport is PHONE
    suffix = "-phone" if phone else ""
    page = page_sized(username, PASSWORD, viewport)
    page.goto("/")
    start, task = START[username]
    expect(page).to_have_url(re.compile(re.escape(start) + "$"))
    expect(page.locator(".navbar .accord-brand")).to_have_text("Accord")
    expect(page.locator("#today").get_by_role("link", name=task)).to_be_visible()
    assert_accessible(page, f"start page of {username}")
    screenshot(page, f"start-{username}{suffix}")

    menu = open_workspace_menu(page, phone)
    expect(menu.get_by_role("link", name="Leads", exact=True)).to_be_visible()
    if username not in STAFF:
        expect(menu.get_by_role("link", name="Admin")).to_have_count(0)
        return

    menu.get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#header .accord-brand")).to_have_text("Accord")
    assert_accessible(page, f"admin index for {username}")
    if username == "cmo":
        screenshot(page, f"admin-index{suffix}")

    # An admin changelist, in the same look.
    page.locator("#content-main a[href='/admin/leads/lead/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/leads/lead/$"))
    assert_accessible(page, f"admin lead list for {username}")

    # Back to the workspace through the admin's copy of the navigation.
    admin_menu = open_admin_menu(page, phone)
    admin_menu.get_by_role("link", name="Definition", exact=True).click()
    expect(page).to_have_url(re.compile(r"/definitions/$"))
    expect(page.locator(".navbar .accord-brand")).to_be_visible()


@SIZES
def test_a_marketer_opens_the_import_page_from_the_start_page(
    cast, viewport, page_sized, assert_accessible, screenshot
):
    phone = viewport is PHONE
    page = page_sized("marketer", PASSWORD, viewport)
    page.goto("/")
    page.locator("#today").get_by_role("link", name="Import leads").click()
    expect(page).to_have_url(re.compile(r"/admin/leads/leadimport/add/$"))
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()
    expect(page.locator("#header .accord-brand")).to_be_visible()
    assert_accessible(page, "import upload page")
    screenshot(page, "import-upload-phone" if phone else "import-upload")
    # The admin's menu leads back to the workspace's start.
    open_admin_menu(page, phone).get_by_role("link", name="Leads", exact=True).click()
    expect(page).to_have_url(re.compile(r"/leads/$"))


@SIZES
def test_a_wrong_address_answers_the_products_404_with_a_way_back(
    cast, viewport, page_sized, assert_accessible, screenshot
):
    page = page_sized("rep", PASSWORD, viewport)
    page.goto("/")
    # The one step not reached by clicking: a mistyped or stale address is how one gets here.
    response = page.goto("/no-such-page/", referer=page.url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator(".navbar .accord-brand")).to_be_visible()
    assert_accessible(page, "404 page")
    screenshot(page, "not-found-phone" if viewport is PHONE else "not-found")
    page.get_by_role("link", name="Back to the previous page").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
