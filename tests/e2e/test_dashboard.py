"""In a real browser: a leader opens the dashboard, sees an alert and follows it to the figures."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import Campaign
from tests.factories import PASSWORD
from tests.insights.builders import lead_with_history, passive_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_follows_an_alert_to_the_campaign_that_causes_it(cast, page_for):
    show = passive_source()
    booth = Campaign.objects.create(name="Summit booth", source=show, cost=Decimal("6000"))
    born = timezone.now() - timedelta(days=5)
    for i in range(60):
        path = (
            [("handed_off", 1), ("accepted", 2)] if i < 2 else [("handed_off", 1), ("nurturing", 3)] if i < 20 else []
        )
        lead_with_history(source=show, campaign=booth, created=born, path=path)

    leader = page_for("cmo", PASSWORD)
    leader.get_by_role("link", name="Dashboard").click()
    expect(leader).to_have_url(re.compile(r"/dashboard/$"))
    alert = leader.get_by_role("alert").filter(has_text="Summit booth")
    expect(alert).to_contain_text("high volume, low acceptance")
    expect(alert).to_contain_text("acceptance rate: 10.0 %")
    expect(leader.locator("#figure-funnel svg")).to_be_visible()

    alert.get_by_role("link", name="See the figures").click()
    expect(leader).to_have_url(re.compile(r"/dashboard/campaigns/"))
    row = leader.locator("#figure-campaigns tbody tr").filter(has_text="Summit booth")
    expect(row).to_contain_text("60")
    expect(row).to_contain_text("3,000.00")  # cost per accepted lead


def test_a_rep_has_no_dashboard(cast, page_for):
    rep = page_for("rep", PASSWORD)
    expect(rep.get_by_role("link", name="Dashboard")).to_have_count(0)
    response = rep.goto("/dashboard/")
    assert response.status == 403
