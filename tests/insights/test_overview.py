"""The overview: each tile's figure for known data, the same figure on its figure page, the list
behind it holding what it counts, the trend on the period before, a manager's team only, the
two bases of the close ratio and the funnel stated, a constant number of queries, the
unfinished week marked and the rejection chart whole."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from insights import selectors
from insights.tasks import refresh_lead_journeys
from leads.models import Handoff, Source
from tests.insights.builders import handoff, lead_with_history, passive_source
from tests.insights.test_views import add_data, body, count_queries

pytestmark = pytest.mark.django_db

WON = [("handed_off", 1), ("accepted", 2), ("won", 30)]
ACCEPTED = [("handed_off", 1), ("accepted", 2)]
REJECTED = [("handed_off", 1), ("nurturing", 3)]


def seed(cast) -> dict:
    """Ten days ago: five active-interest leads handed off to the Enterprise team (L1 won, L2
    accepted late, L3 rejected, L4 found by the rep and won, L5 recycled twice and won) and two
    passive ones never handed off; a hundred days ago, in the period before, one more lead."""
    born = timezone.now() - timedelta(days=10)
    assert cast.source.interest == Source.Interest.ACTIVE
    paths = {"l1": WON, "l2": ACCEPTED, "l3": REJECTED, "l4": WON, "l5": WON}
    extra = {"l4": {"sourced_by": cast.rep}, "l5": {"cycle_count": 2}}
    leads = {}
    for name, path in paths.items():
        lead = lead_with_history(source=cast.source, created=born, path=path, **extra.get(name, {}))
        status = Handoff.Status.REJECTED if name == "l3" else Handoff.Status.ACCEPTED
        late = name == "l2"
        handoff(
            lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=born + timedelta(hours=1),
            status=status, decided_at=born + timedelta(hours=11 if late else 2),
        )  # fmt: skip
        leads[name] = lead
    show = passive_source()
    leads["passive"] = [lead_with_history(source=show, created=born) for _ in range(2)]
    leads["before"] = lead_with_history(source=show, created=timezone.now() - timedelta(days=100))
    return leads


EXPECTED = {
    "new_leads": "7",
    "active_share": "71.4 %",  # 5 of 7
    "acceptance": "80.0 %",  # 4 of 5 hand-offs
    "sla": "80.0 %",  # 4 of 5 decided within the accept time
    "close_ratio": "66.7 %",  # 2 won of 3 accepted marketing leads (L4 is the rep's own)
    "recycled_wins": "1",  # L5, of 3 wins
}


def tile_values(html: str) -> dict[str, str]:
    found = re.findall(r'id="tile-([a-z_]+)".*?data-tile-value>([^<]+)<', html, re.DOTALL)
    return dict(found)


def links(html: str, code: str) -> tuple[str, str]:
    """The figure link and the list link of a tile."""
    tile = html[html.index(f'id="tile-{code}"') :]
    figure, listed = re.findall(r'<a href="([^"]+)"', tile)[:2]
    return unescape(figure), unescape(listed)


@pytest.mark.parametrize("refreshed", [False, True], ids=["sources", "aggregates"])
def test_each_tile_shows_the_figure_of_the_seeded_data_and_its_figure_page_the_same(client, cast, refreshed):
    seed(cast)
    if refreshed:
        refresh_lead_journeys()
    client.force_login(cast.cmo)
    html = body(client.get("/dashboard/"))
    assert tile_values(html) == EXPECTED
    for code, value in EXPECTED.items():
        figure_url, _ = links(html, code)
        page = body(client.get(figure_url))
        headline = re.search(rf'id="headline-{code}".*?data-tile-value>([^<]+)<', page, re.DOTALL)
        assert headline, f"{figure_url} does not state the {code} tile"
        assert headline.group(1) == value, f"{code}: {value} on the overview, {headline.group(1)} on {figure_url}"


def test_each_tile_compares_with_the_period_before(client, cast):
    seed(cast)
    client.force_login(cast.cmo)
    tiles = {t.rule.code: t for t in client.get("/dashboard/").context["tiles"]}
    assert tiles["new_leads"].previous.value == 1
    assert tiles["new_leads"].change == "▲ up 6 on the previous period (1)"
    assert tiles["active_share"].change == "▲ up 71.4 points on the previous period (0.0 %)"
    assert tiles["acceptance"].change == "previous period: —"  # no hand-offs then


def test_the_funnel_page_states_both_bases_of_accepted_and_won(client, cast):
    seed(cast)
    client.force_login(cast.cmo)
    page = body(client.get("/dashboard/funnel/"))
    assert "The funnel counts every lead created in the period: 3 won of 4 accepted." in page
    assert "The close ratio counts marketing&#x27;s leads only: 2 won of 3 accepted" in page
    assert "the other 1 accepted leads were found by reps themselves." in page
    assert "Of the leads created in the period" in page


@pytest.mark.parametrize(
    "code, expected",
    [
        ("new_leads", {"l1", "l2", "l3", "l4", "l5", "passive"}),
        ("active_share", {"l1", "l2", "l3", "l4", "l5"}),
        ("close_ratio", {"l1", "l5"}),
        ("recycled_wins", {"l5"}),
    ],
)
def test_a_lead_tile_links_to_the_leads_it_counts(client, cast, code, expected):
    leads = seed(cast)
    ids = {}
    for name, lead in leads.items():
        for one in lead if isinstance(lead, list) else [lead]:
            ids.setdefault(name, set()).add(one.pk)
    client.force_login(cast.cmo)
    _, list_url = links(body(client.get("/dashboard/")), code)
    listed = {int(pk) for pk in re.findall(r'id="lead-(\d+)"', body(client.get(list_url)))}
    assert listed == set().union(*(ids[name] for name in expected))


@pytest.mark.parametrize("code, expected", [("acceptance", {"l1", "l2", "l4", "l5"}), ("sla", {"l2"})])
def test_a_hand_off_tile_links_to_the_hand_offs_it_counts(client, cast, code, expected):
    leads = seed(cast)
    client.force_login(cast.cmo)
    _, list_url = links(body(client.get("/dashboard/")), code)
    assert list_url.startswith("/handoffs/outcomes/?")
    listed = {int(pk) for pk in re.findall(r'id="outcome-(\d+)"', body(client.get(list_url)))}
    assert listed == {Handoff.objects.get(lead=leads[name]).pk for name in expected}


def test_a_manager_sees_his_team_only_on_the_tiles_and_the_figure_pages(client, cast):
    seed(cast)
    born = timezone.now() - timedelta(days=3)
    theirs = lead_with_history(source=cast.source, created=born, path=ACCEPTED)
    handoff(lead=theirs, rep=cast.other_rep, by=cast.marketer, team=cast.other_team, created=born, status="accepted")
    client.force_login(cast.manager)
    values = tile_values(body(client.get("/dashboard/")))
    assert values["new_leads"] == "5"  # the leads handed to his team; not the other team's
    assert values["acceptance"] == "80.0 %"
    page = body(client.get("/dashboard/definitions/"))
    assert re.search(r'id="headline-acceptance".*?data-tile-value>80.0 %<', page, re.DOTALL)
    client.force_login(cast.cmo)
    assert tile_values(body(client.get("/dashboard/")))["acceptance"] == "83.3 %"  # 5 of 6


def test_a_manager_asking_for_another_team_gets_his_own(client, cast):
    seed(cast)
    client.force_login(cast.manager)
    response = client.get(f"/dashboard/?team={cast.other_team.pk}")
    assert response.status_code == 200
    assert response.context["scope"].teams == (cast.team.pk,)


@pytest.mark.parametrize("query", ["start=yesterday", "start=2026-05-01&end=2026-01-01", "team=abc"])
def test_bad_filters_are_explained_and_the_default_shown(client, cast, query):
    seed(cast)
    client.force_login(cast.cmo)
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 200
    assert "The default period is shown." in body(response)
    assert tile_values(body(response))["new_leads"] == "7"


@pytest.mark.parametrize("who", ["cmo", "manager"])
@pytest.mark.parametrize("refreshed", [False, True], ids=["sources", "aggregates"])
def test_the_overview_stays_within_ten_queries_whatever_the_data(
    client, cast, who, refreshed, django_assert_max_num_queries
):
    client.force_login(getattr(cast, who))
    add_data(cast, 4)
    if refreshed:
        refresh_lead_journeys()
    small = count_queries(client, "/dashboard/")
    add_data(cast, 80)
    if refreshed:
        refresh_lead_journeys()
    with django_assert_max_num_queries(10):
        large = count_queries(client, "/dashboard/")
    assert small == large <= 10


@pytest.mark.parametrize("who", ["cmo", "manager"])
@pytest.mark.parametrize("name", ["funnel", "interest", "recycling", "definitions", "mix", "reasons"])
def test_the_tile_figure_pages_stay_within_ten_queries(client, cast, who, name, django_assert_max_num_queries):
    client.force_login(getattr(cast, who))
    add_data(cast, 4)
    small = count_queries(client, f"/dashboard/{name}/")
    add_data(cast, 80)
    with django_assert_max_num_queries(10):
        large = count_queries(client, f"/dashboard/{name}/")
    assert small == large


def test_the_unfinished_week_is_marked_partial_not_drawn_as_a_drop(client, cast):
    now = timezone.now()
    lead_with_history(source=cast.source, created=now - timedelta(days=14))
    lead_with_history(source=cast.source, created=now - timedelta(minutes=5))
    client.force_login(cast.cmo)
    response = client.get("/dashboard/interest/")
    rows = response.context["section"]["table"].rows
    assert rows[-1][0].endswith("(part of a week)")  # this week is not over
    assert not rows[-2][0].endswith("(part of a week)")
    html = body(response)
    assert "Part of a week" in html  # its own, dashed series in the chart
    weeks = selectors.interest_share(scope=response.context["scope"])
    assert weeks[-1].partial and not weeks[-2].partial


def test_the_rejection_chart_shows_whole_labels_and_no_empty_legend_entry(client, cast):
    from alignment.models import RejectionReason

    reason = RejectionReason.objects.filter(phase="before_working").order_by("-label").first()
    born = timezone.now() - timedelta(days=2)
    for _ in range(3):
        lead = lead_with_history(source=cast.source, created=born, path=REJECTED)
        handoff(
            lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=born, status="rejected", reason=reason
        )
    client.force_login(cast.cmo)
    svg = body(client.get("/dashboard/reasons/"))
    assert f"{reason.label} (100 %)" in unescape(svg)  # the whole label, not cut with "…"
    assert "Before working" in svg
    assert "After working" not in svg  # no reasons given after working: no legend entry
