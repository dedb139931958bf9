"""In a real browser: a leader opens the dashboard, sees an alert (loaded below the overview's
tiles) and follows it to the figures and to the hand-offs behind it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import Campaign
from tests.factories import PASSWORD
from tests.insights.builders import handoff, lead_with_history, passive_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_follows_an_alert_to_the_campaign_that_causes_it(cast, reasons, page_for):
    show = passive_source()
    booth = Campaign.objects.create(name="Summit booth", source=show, cost=Decimal("6000"))
    born = timezone.now() - timedelta(days=5)
    for i in range(60):
        path = (
            [("handed_off", 1), ("accepted", 2)] if i < 2 else [("handed_off", 1), ("nurturing", 3)] if i < 20 else []
        )
        lead = lead_with_history(source=show, campaign=booth, created=born, path=path)
        if i < 20:
            handoff(
                lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=born + timedelta(hours=1),
                status="accepted" if i < 2 else "rejected", decided_at=born + timedelta(hours=2),
            )  # fmt: skip

    leader = page_for("cmo", PASSWORD)
    leader.get_by_role("link", name="Dashboard", exact=True).click()
    expect(leader).to_have_url(re.compile(r"/dashboard/$"))
    alert = leader.get_by_role("alert").filter(has_text="Summit booth")
    expect(alert).to_contain_text("high volume, low acceptance")
    expect(alert).to_contain_text("acceptance rate: 10.0 %")
    expect(leader.locator("#tiles section")).to_have_count(6)  # the overview; the alerts load below

    alert.get_by_role("link", name="See the figures").click()
    expect(leader).to_have_url(re.compile(r"/dashboard/campaigns/"))
    row = leader.locator("#figure-campaigns tbody tr").filter(has_text="Summit booth")
    expect(row).to_contain_text("60")
    expect(row).to_contain_text("3,000.00")  # cost per accepted lead

    leader.go_back()
    leader.get_by_role("alert").filter(has_text="Summit booth").get_by_role(
        "link", name="See the rejected hand-offs"
    ).click()
    expect(leader).to_have_url(re.compile(r"/handoffs/outcomes/\?.*campaign="))
    expect(leader.locator("#narrowed-to")).to_contain_text("Only the hand-offs of campaign Summit booth.")
    expect(leader.locator("tr[id^=outcome-]")).to_have_count(18)
    leader.locator("#narrowed-to").get_by_role("link", name="Show all").click()
    expect(leader.locator("tr[id^=outcome-]")).to_have_count(18)  # still only the rejected ones
    expect(leader.locator("#narrowed-to")).to_have_count(0)


def test_a_rep_has_no_dashboard(cast, page_for):
    rep = page_for("rep", PASSWORD)
    expect(rep.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    response = rep.goto("/dashboard/")
    assert response.status == 403
