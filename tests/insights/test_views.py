"""The dashboard pages: who may see them, what a manager sees, charts as inline SVG without
scripts, CSV downloads with formula cells quoted, a constant number of queries, no writes, and
the rollups read as they are (saying as of when) or, when they are behind, the sources."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights import rollups, selectors
from insights.models import HandoffOutcome, LeadDay, LeadJourney, RollupState
from insights.tasks import refresh_lead_journeys
from leads.models import Campaign, Handoff, Lead
from leads.spreadsheets import safe_text as csv_cell
from tests.factories import UserFactory
from tests.insights.builders import handoff, lead_with_history

pytestmark = pytest.mark.django_db

PAGES = [
    "/dashboard/",
    "/dashboard/funnel/",
    "/dashboard/sla/",
    "/dashboard/funnel.csv",
    "/dashboard/campaigns.csv",
    "/dashboard/hygiene/unchanged/",
    "/dashboard/hygiene/duplicates.csv",
]


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["rep", "teammate", "other_rep"])
def test_reps_get_403_everywhere(client, cast, who, url):
    client.force_login(getattr(cast, who))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_people_without_a_role_get_403(client, cast, url):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["cmo", "marketer", "vp", "manager"])
@pytest.mark.parametrize("url", PAGES)
def test_leaders_marketing_and_managers_see_every_page(client, cast, who, url):
    client.force_login(getattr(cast, who))
    assert client.get(url).status_code == 200


def test_an_unknown_figure_or_check_is_404(client, cast):
    client.force_login(cast.cmo)
    assert client.get("/dashboard/nothing/").status_code == 404
    assert client.get("/dashboard/hygiene/nothing/").status_code == 404


def test_a_manager_cannot_ask_for_another_team(client, cast):
    client.force_login(cast.manager)
    assert client.get(f"/dashboard/?team={cast.team.pk}").status_code == 200
    response = client.get(f"/dashboard/?team={cast.other_team.pk}")
    # The form refuses a team outside the manager's; the page falls back to their own teams.
    assert response.status_code == 200
    assert response.context["scope"].teams == (cast.team.pk,)


def test_a_leader_can_look_at_one_team(client, cast):
    now = timezone.now()
    for team, rep in ((cast.team, cast.rep), (cast.team, cast.teammate), (cast.other_team, cast.other_rep)):
        lead = lead_with_history(source=cast.source, created=now - timedelta(days=2), path=[("handed_off", 1)])
        handoff(lead=lead, rep=rep, by=cast.marketer, team=team, created=now - timedelta(days=2))
    client.force_login(cast.vp)
    assert client.get("/dashboard/").context["tiles"][0].current.value == 3
    assert client.get(f"/dashboard/?team={cast.team.pk}").context["tiles"][0].current.value == 2
    assert client.get(f"/dashboard/?team={cast.other_team.pk}").context["tiles"][0].current.value == 1


def test_a_manager_sees_only_their_teams_figures(client, cast):
    now = timezone.now()
    mine = lead_with_history(source=cast.source, created=now - timedelta(days=2), path=[("handed_off", 1)])
    theirs = lead_with_history(source=cast.source, created=now - timedelta(days=2), path=[("handed_off", 1)])
    handoff(lead=mine, rep=cast.rep, by=cast.marketer, team=cast.team, created=now - timedelta(days=2))
    handoff(lead=theirs, rep=cast.other_rep, by=cast.marketer, team=cast.other_team, created=now - timedelta(days=2))
    client.force_login(cast.manager)
    csv_text = body(client.get("/dashboard/funnel.csv"))
    assert "All,All leads,1,1,100.0 %" in csv_text
    client.force_login(cast.cmo)
    assert "All,All leads,2,2,100.0 %" in body(client.get("/dashboard/funnel.csv"))


def test_charts_are_inline_svg_without_scripts(client, cast):
    lead_with_history(source=cast.source, created=timezone.now() - timedelta(days=1), path=[("mql", 1)])
    client.force_login(cast.cmo)
    html = "".join(body(client.get(f"/dashboard/{name}/")) for name in selectors.FIGURES)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(selectors.FIGURES)
    assert "<?xml" not in html
    assert "window.pygal" not in html and 'src="http' not in html


def test_each_csv_quotes_cells_that_spreadsheets_would_run(client, cast):
    Campaign.objects.create(name="=HYPERLINK(evil)", source=cast.source, cost=Decimal("10"))
    campaign = Campaign.objects.get()
    lead_with_history(source=cast.source, campaign=campaign, created=timezone.now() - timedelta(days=1))
    client.force_login(cast.cmo)
    response = client.get("/dashboard/campaigns.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert ",'=HYPERLINK(evil)," in body(response)


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+31", "'+31"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok")],
)
def test_csv_cell_quotes_formula_starts(value, written):
    assert csv_cell(value) == written


def test_the_period_filter_changes_what_is_counted(client, cast):
    now = timezone.now()
    lead_with_history(source=cast.source, created=now - timedelta(days=200))
    lead_with_history(source=cast.source, created=now - timedelta(days=2))
    client.force_login(cast.cmo)
    assert client.get("/dashboard/").context["tiles"][0].current.value == 1
    start = (now - timedelta(days=365)).date().isoformat()
    assert client.get(f"/dashboard/?start={start}").context["tiles"][0].current.value == 2


def test_an_impossible_period_is_explained_and_the_default_shown(client, cast):
    client.force_login(cast.cmo)
    response = client.get("/dashboard/?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 200
    assert "must end on or after" in body(response)
    assert response.context["scope"].days == selectors.DEFAULT_PERIOD_DAYS


def test_the_hygiene_page_lists_and_counts(client, cast):
    old = timezone.now() - timedelta(days=120)
    stale = Lead.objects.create(
        last_name="Stale", source=cast.source, created_at=old, stage_changed_at=old, stage="mql"
    )
    client.force_login(cast.cmo)
    response = client.get("/dashboard/hygiene/unchanged/")
    assert response.context["count"] == 1
    assert f'href="/leads/{stale.pk}/"' in body(response)


def add_data(cast, n: int) -> None:
    """n leads with events, hand-offs to both teams, and touches."""
    now = timezone.now()
    for i in range(n):
        lead = lead_with_history(
            source=cast.source,
            created=now - timedelta(days=1 + i % 30),
            path=[("handed_off", 1), ("accepted", 3), ("won", 50)] if i % 2 else [("mql", 2)],
            sourced_by=cast.rep if i % 5 == 0 else None,
        )
        if i % 2:
            team, rep = (cast.team, cast.rep) if i % 4 == 1 else (cast.other_team, cast.other_rep)
            handoff(
                lead=lead,
                rep=rep,
                by=cast.marketer,
                team=team,
                created=now - timedelta(days=1 + i % 30),
                status=Handoff.Status.ACCEPTED,
                decided_at=now - timedelta(days=i % 30),
            )


READS = ("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET ")


def _statement(sql: str) -> str:
    """The statement, upper-cased; on PostgreSQL a server-side cursor's (iterator()) query."""
    sql = sql.lstrip().upper()
    declared = sql.find(" CURSOR FOR ") if sql.startswith("DECLARE ") else -1
    return sql[declared + len(" CURSOR FOR ") :] if declared >= 0 else sql


def writes(queries) -> list[str]:
    """The statements that are neither a SELECT nor a savepoint or SET statement."""
    return [q["sql"] for q in queries.captured_queries if not _statement(q["sql"]).startswith(READS)]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            body(response)
    assert response.status_code == 200
    assert writes(queries) == [], f"{url} wrote to the database"
    return len(queries)


@pytest.mark.parametrize("who", ["cmo", "manager"])
@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/sla/", "/dashboard/campaigns.csv", "/dashboard/hygiene/no_touch/"]
)
def test_query_count_does_not_grow_with_data(client, cast, who, url):
    client.force_login(getattr(cast, who))
    add_data(cast, 4)
    small = count_queries(client, url)
    add_data(cast, 60)
    large = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with 4 leads, {large} with 64"
    assert large <= 40


DASHBOARD_PAGES = [
    "/dashboard/",
    *(f"/dashboard/{name}/" for name in selectors.FIGURES),
    *(f"/dashboard/{name}.csv" for name in selectors.FIGURES),
    *(f"/dashboard/hygiene/{check}/" for check in selectors.HYGIENE_CODES),
    *(f"/dashboard/hygiene/{check}.csv" for check in selectors.HYGIENE_CODES),
]


def rollup_rows() -> tuple:
    return (
        list(RollupState.objects.values_list()),
        list(LeadJourney.objects.order_by("pk").values_list()),
        list(HandoffOutcome.objects.order_by("pk").values_list()),
    )


@pytest.mark.parametrize("refreshed", [False, True], ids=["behind", "refreshed"])
def test_reading_the_dashboard_writes_nothing(client, cast, refreshed):
    add_data(cast, 6)
    if refreshed:
        refresh_lead_journeys()
        add_data(cast, 2)  # a little behind: read as they are
    before = rollup_rows()
    client.force_login(cast.cmo)
    for url in DASHBOARD_PAGES:
        count_queries(client, url)
    assert rollup_rows() == before


def test_rollups_behind_are_not_read_and_the_page_says_the_figures_are_live(client, cast, monkeypatch):
    add_data(cast, 4)
    refresh_lead_journeys()
    add_data(cast, 2)
    monkeypatch.setattr(rollups, "MAX_PENDING_ON_READ", 0)
    client.force_login(cast.cmo)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/")
    assert response.context["freshness"].current is False
    assert response.context["tiles"][0].current.value == 6
    assert "Live from the sources: the summary tables are being brought up to date." in body(response)
    rollup_tables = (LeadJourney._meta.db_table, LeadDay._meta.db_table)
    assert not any(table in q["sql"] for q in queries.captured_queries for table in rollup_tables)


def test_after_the_refresh_task_the_page_reads_the_rollups_as_of_that_refresh(client, cast):
    add_data(cast, 4)
    client.force_login(cast.cmo)
    assert client.get("/dashboard/").context["freshness"].current is False  # never refreshed
    refresh_lead_journeys()
    add_data(cast, 2)  # after the refresh: not counted until the next one
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/")
    freshness = response.context["freshness"]
    assert freshness.current is True
    assert freshness.as_of == RollupState.objects.get(name=rollups.NAME).refreshed_at
    assert response.context["tiles"][0].current.value == 4
    assert f"Figures as of {timezone.localtime(freshness.as_of):%H:%M}." in body(response)
    # The period is of whole days: the rollups' daily aggregates.
    assert any(LeadDay._meta.db_table in q["sql"] for q in queries.captured_queries)
    refresh_lead_journeys()
    assert client.get("/dashboard/").context["tiles"][0].current.value == 6


def test_a_figure_page_says_where_its_figures_come_from(client, cast):
    add_data(cast, 2)
    client.force_login(cast.cmo)
    assert "Live from the sources" in body(client.get("/dashboard/funnel/"))
    refresh_lead_journeys()
    assert "Figures as of" in body(client.get("/dashboard/funnel/"))
    assert 'id="freshness"' not in body(client.get("/dashboard/hygiene/"))


def without_medians(header: list, rows: list) -> tuple[list, list]:
    """A table without its median columns (from the daily aggregates they are within ±2 %)."""
    keep = [i for i, name in enumerate(header) if "median" not in str(name).casefold()]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in rows]


def read_pages(client, medians: bool = True) -> list:
    import csv
    import io

    urls = [
        "/dashboard/alerts/",
        *(f"/dashboard/{name}/" for name in selectors.FIGURES),
        *(f"/dashboard/{name}.csv" for name in selectors.FIGURES),
    ]
    pages = []
    for url in urls:
        response = client.get(url)
        if response.streaming:
            table = list(csv.reader(io.StringIO(body(response))))
            pages.append(table if medians or not table else without_medians(table[0], table[1:]))
        else:
            context = response.context
            if "alerts" in context:
                pages.append([(a.title, a.message, a.facts) for a in context["alerts"]])
                continue
            table = (context["section"]["table"].header, context["section"]["table"].rows)
            pages.append(
                (
                    table if medians else without_medians(*table),
                    [(t.rule.code, t.current.shown, t.current.detail) for t in context["tiles"]],
                )
            )
    return pages


@pytest.mark.parametrize("who", ["cmo", "manager"])
def test_the_figures_are_the_same_from_the_rollups_and_from_the_sources(client, cast, who, monkeypatch):
    add_data(cast, 12)
    client.force_login(getattr(cast, who))
    from_sources, counts_from_sources = read_pages(client), read_pages(client, medians=False)
    refresh_lead_journeys()
    assert selectors.rollup_freshness().current
    # The daily aggregates: every count the same (their medians are checked against the bound
    # in test_selectors).
    assert read_pages(client, medians=False) == counts_from_sources
    # The per-row rollups (a period not of whole days reads them): everything the same.
    monkeypatch.setattr(selectors, "_whole_days", lambda scope: None)
    assert read_pages(client) == from_sources


FIGURE_PAGES = [
    "/dashboard/",
    *(f"/dashboard/{name}/" for name in selectors.FIGURES),
    *(f"/dashboard/hygiene/{check}/" for check in selectors.HYGIENE_CODES),
]


@pytest.mark.parametrize("who", ["cmo", "vp", "manager", "marketer"])
def test_every_figure_page_stays_within_ten_queries_whatever_the_data(client, cast, who):
    client.force_login(getattr(cast, who))
    add_data(cast, 4)
    count_queries(client, FIGURE_PAGES[0])  # warm the process's caches
    small = {url: count_queries(client, url) for url in FIGURE_PAGES}
    add_data(cast, 60)
    large = {url: count_queries(client, url) for url in FIGURE_PAGES}
    assert small == large
    assert max(large.values()) <= 10, {url: n for url, n in large.items() if n > 10}
