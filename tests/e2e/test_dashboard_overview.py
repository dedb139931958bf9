"""In a real browser, wide and on a phone: the marketing leader and a sales manager start at
their start page, click through to the dashboard's tiles, from a tile to its figure page (its
base in words, human table headers) and on to the list behind it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD
from tests.insights.test_overview import seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [pytest.param(WIDE, id="wide"), pytest.param(PHONE, id="phone")]


def open_dashboard(page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def shot_name(name: str, viewport: dict) -> str:
    return name if viewport is WIDE else f"{name}-phone"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_leader_follows_a_tile_to_its_figure_and_to_the_leads_behind_it(
    cast, reasons, page_sized, assert_accessible, screenshot, viewport
):
    seed(cast)
    page = page_sized("cmo", PASSWORD, viewport)
    open_dashboard(page)
    tiles = page.locator("#tiles section")
    expect(tiles).to_have_count(6)
    close = page.locator("#tile-close_ratio")
    expect(close.locator("[data-tile-value]")).to_have_text("66.7 %")
    expect(close).to_contain_text("2 won of 3 accepted")
    expect(page.locator("#tile-new_leads [data-tile-trend]")).to_contain_text("up 6 on the previous period")
    expect(page.locator("#alerts")).not_to_contain_text("See what the figures")  # loaded in place
    assert_accessible(page, "dashboard overview")
    screenshot(page, shot_name("dashboard-overview", viewport))

    close.get_by_role("link", name="See the figure").click()
    expect(page).to_have_url(re.compile(r"/dashboard/funnel/"))
    expect(page.locator("#headline-close_ratio [data-tile-value]")).to_have_text("66.7 %")
    expect(page.locator("#funnel-bases")).to_contain_text("3 won of 4 accepted")
    expect(page.locator("#funnel-bases")).to_contain_text("found by reps themselves")
    expect(page.locator("#figure-base")).to_contain_text("Of the leads created in the period")
    headers = page.locator("#figure-funnel thead th")
    expect(headers.first).to_have_text("Breakdown")
    expect(headers.nth(1)).to_have_text("Source or campaign")
    expect(page.locator("#figure-funnel svg title").first).to_have_text("Leads reaching each step")
    assert_accessible(page, "funnel figure page")
    screenshot(page, shot_name("dashboard-figure", viewport))

    page.locator("#headline-close_ratio").get_by_role("link", name="See the won marketing leads").click()
    expect(page).to_have_url(re.compile(r"/leads/\?.*stage=won"))
    expect(page.locator("tr[id^=lead-]")).to_have_count(2)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_sales_manager_follows_the_acceptance_tile_to_his_teams_hand_offs(
    cast, reasons, page_sized, assert_accessible, viewport
):
    seed(cast)
    page = page_sized("manager", PASSWORD, viewport)
    open_dashboard(page)
    tile = page.locator("#tile-acceptance")
    expect(tile.locator("[data-tile-value]")).to_have_text("80.0 %")
    expect(tile).to_contain_text("4 accepted of 5 hand-offs")
    tile.get_by_role("link", name="See the figure").click()
    expect(page).to_have_url(re.compile(r"/dashboard/definitions/"))
    expect(page.locator("#figure-base")).to_contain_text("Of the hand-offs made in the period")
    expect(page.locator("#figure-definitions thead th").first).to_have_text("Definition")
    assert_accessible(page, "definitions figure page")
    page.locator("#headline-acceptance").get_by_role("link", name="See the accepted hand-offs").click()
    expect(page).to_have_url(re.compile(r"/handoffs/outcomes/\?.*status=accepted"))
    expect(page.locator("tr[id^=outcome-]")).to_have_count(4)
