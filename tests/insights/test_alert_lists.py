"""Each dashboard alert links to the list behind it: the hand-offs (or leads) it is about, in
the dashboard's period and team. Following the link shows exactly those."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from insights import diagnostics
from leads.models import Campaign
from tests.insights.builders import definition, handoff, lead_with_history, passive_source

pytestmark = pytest.mark.django_db


def alert_links(client) -> dict[str, str]:
    """{link text: url} of the alert links on the dashboard's alerts page (the figure links left out)."""
    page = client.get("/dashboard/alerts/").content.decode()
    found = re.findall(r'<a class="alert-link small me-3" href="([^"]+)">([^<]+)</a>', page)
    return {text: unescape(url) for url, text in found}


def listed(client, url: str, prefix: str = "outcome") -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(rf'id="{prefix}-(\d+)"', response.content.decode())}


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_a_reps_repeated_breaches_link_to_their_late_hand_offs(client, cast):
    def made(due_hours, decided_after, **fields):
        created = days_ago(5)
        return handoff(
            lead=lead_with_history(source=cast.source, created=created - timedelta(hours=1)),
            rep=cast.rep,
            by=cast.marketer,
            team=cast.team,
            created=created,
            due_hours=due_hours,
            decided_at=created + timedelta(hours=decided_after),
            **fields,
        )

    late = [made(8, 10, status="accepted"), made(8, 30, status="rejected"), made(8, 9, status="expired")]
    on_time = made(8, 2, status="accepted")
    client.force_login(cast.cmo)
    url = alert_links(client)["See the late hand-offs"]
    assert f"rep={cast.rep.pk}" in url and "late=true" in url
    assert listed(client, url) == {h.pk for h in late}
    assert on_time.pk not in listed(client, url)
    page = client.get(url).content.decode()
    assert "Only the hand-offs handed to" in page and 'type="hidden" name="rep"' in page


def test_a_campaign_with_low_acceptance_links_to_its_rejected_hand_offs(client, cast, reasons):
    booth = Campaign.objects.create(name="Summit booth", source=passive_source(), cost=Decimal("6000"))
    rejected = []
    for i in range(60):
        status = "accepted" if i < 2 else "rejected" if i < 20 else None
        path = {"accepted": [("handed_off", 1), ("accepted", 2)], "rejected": [("handed_off", 1), ("nurturing", 3)]}
        lead = lead_with_history(source=booth.source, campaign=booth, created=days_ago(10), path=path.get(status, []))
        if status:
            made = handoff(
                lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=days_ago(9), status=status,
                decided_at=days_ago(9) + timedelta(hours=1),
            )  # fmt: skip
            if status == "rejected":
                rejected.append(made.pk)
    client.force_login(cast.cmo)
    url = alert_links(client)["See the rejected hand-offs"]
    assert f"campaign={booth.pk}" in url and "status=rejected" in url
    assert listed(client, url) == set(rejected)
    assert "Only the hand-offs of campaign Summit booth." in client.get(url).content.decode()


def test_overrides_that_win_less_link_to_the_overridden_hand_offs(client, cast):
    version = definition(1)
    overridden = []
    for i in range(20):
        override = i >= 10
        won = (i % 10) < (1 if override else 5)
        path = [("handed_off", 1), ("accepted", 2)] + ([("won", 30)] if won else [])
        lead = lead_with_history(source=cast.source, created=days_ago(20), path=path)
        made = handoff(
            lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=days_ago(20) + timedelta(hours=1),
            status="accepted", decided_at=days_ago(20) + timedelta(hours=2), definition=version,
            override=override, override_reason="Asked for a call" if override else "",
        )  # fmt: skip
        if override:
            overridden.append(made.pk)
    client.force_login(cast.cmo)
    url = alert_links(client)["See the overridden hand-offs"]
    assert f"definition={version.pk}" in url and "override=true" in url
    assert listed(client, url) == set(overridden)


def test_a_low_active_share_links_to_the_passive_leads_of_the_period(client, cast):
    show = passive_source()
    passive = [lead_with_history(source=show, created=days_ago(3)).pk for _ in range(15)]
    lead_with_history(source=show, created=days_ago(200))  # before the period
    for _ in range(5):
        lead_with_history(source=cast.source, created=days_ago(3))
    client.force_login(cast.cmo)
    url = alert_links(client)["See the passive-interest leads"]
    assert url.startswith("/leads/?interest=passive&created_after=")
    assert listed(client, url, prefix="lead") == set(passive)


def test_a_managers_team_goes_into_the_link(cast):
    from insights import selectors

    scope = selectors.scope_for(user=cast.manager)
    alert = diagnostics.Alert(code="x", title="", message="", list_filters={"late": "true"})
    assert f"team={cast.team.pk}" in diagnostics.list_url(alert, scope)
    everyone = selectors.scope_for(user=cast.cmo)
    assert "team=" not in diagnostics.list_url(alert, everyone)


def test_a_narrowing_is_named_even_when_another_filter_is_wrong(client, cast):
    lead = lead_with_history(source=cast.source, created=days_ago(3))
    made = handoff(lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=days_ago(2))
    client.force_login(cast.cmo)
    page = client.get(f"/handoffs/outcomes/?rep={cast.rep.pk}&handed_off_after=not-a-date").content.decode()
    assert "Only the hand-offs handed to" in page
    assert f'id="outcome-{made.pk}"' in page
