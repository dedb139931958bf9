"""The navigation is built once from the role and shown by the workspace and the admin alike; each
item opens, and nothing the role may not use is offered."""

import pytest
from django.test import Client
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import DefinitionApproval, QualificationDefinition
from config.navigation import admin_items, workspace_items

pytestmark = pytest.mark.django_db

EXPECTED = {
    "rep": ["Inbox", "Leads", "Definition", "Lead reviews"],
    "manager": ["Inbox", "Leads", "Definition", "Hand-off outcomes", "Lead reviews", "Dashboard"],
    "marketer": ["Leads", "Definition", "Hand-off outcomes", "Dashboard"],
    "cmo": ["Leads", "Definition", "Hand-off outcomes", "Lead reviews", "Dashboard"],
    "vp": ["Leads", "Definition", "Hand-off outcomes", "Lead reviews", "Dashboard"],
}
EXPECTED_ADMIN = {
    "rep": [],
    "manager": ["Admin"],
    "marketer": ["Import leads", "Duplicates", "Admin"],
    "cmo": ["Import leads", "Duplicates", "Admin"],
    "vp": ["Admin"],
}
ALL_PAGES = ["/inbox/", "/handoffs/outcomes/", "/reviews/", "/dashboard/"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", EXPECTED)
def test_each_role_is_offered_its_own_pages(cast, who):
    user = getattr(cast, who)
    assert [item.label for item in workspace_items(user, "/")] == EXPECTED[who]
    assert [item.label for item in admin_items(user, "/")] == EXPECTED_ADMIN[who]


@pytest.mark.parametrize("who", EXPECTED)
def test_every_item_offered_opens_and_every_page_withheld_is_refused(cast, who):
    user = getattr(cast, who)
    client = logged_in(user)
    offered = [item.url for item in workspace_items(user, "/") + admin_items(user, "/")]
    for url in offered:
        assert client.get(url).status_code == 200, url
    for url in set(ALL_PAGES) - set(offered):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["marketer", "manager"])
def test_the_workspace_and_the_admin_show_the_same_navigation(cast, who):
    user = getattr(cast, who)
    client = logged_in(user)
    workspace = client.get("/leads/").content.decode()
    admin = client.get("/admin/").content.decode()
    for item in workspace_items(user, "/") + admin_items(user, "/"):
        assert f'href="{item.url}"' in workspace, item.label
        assert f'href="{item.url}"' in admin, item.label
    for page in (workspace, admin):
        assert "accord/brand.css" in page
        assert 'class="accord-mark"' in page


def test_the_current_page_is_marked_in_the_navigation(cast):
    content = logged_in(cast.marketer).get("/leads/").content.decode()
    assert 'class="nav-link active" href="/leads/" aria-current="page"' in content


def test_the_admin_header_leads_back_to_the_workspace(cast):
    content = logged_in(cast.vp).get("/admin/").content.decode()
    assert 'class="accord-brand" href="/"' in content
    assert 'href="/handoffs/outcomes/"' in content
    assert "Victor" in content or cast.vp.get_full_name() in content


@pytest.mark.parametrize(
    ("who", "start", "tasks"),
    [
        ("rep", "/inbox/", ["Work your inbox", "Review meetings"]),
        ("manager", "/inbox/", ["Work your inbox", "Review meetings"]),
        ("marketer", "/leads/", ["Import leads", "Hand off sales-ready leads"]),
        ("cmo", "/leads/", ["Open the dashboard"]),
        ("vp", "/handoffs/outcomes/", ["Open the dashboard"]),
    ],
)
def test_each_start_page_shows_the_days_tasks_one_click_away(cast, who, start, tasks):
    client = logged_in(getattr(cast, who))
    response = client.get("/")
    assert response["Location"] == start
    content = client.get(start).content.decode()
    assert 'id="today"' in content
    for task in tasks:
        assert f">{task}</a>" in content, task


def test_the_today_strip_is_only_on_the_start_page(cast):
    assert 'id="today"' not in logged_in(cast.marketer).get("/definitions/").content.decode()


def _proposed(cast) -> QualificationDefinition:
    definition = alignment_services.definition_create(by=cast.marketer, name="Next quarter")
    QualificationDefinition.objects.filter(pk=definition.pk).update(status=QualificationDefinition.Status.PROPOSED)
    definition.refresh_from_db()
    return definition


def test_a_leader_is_shown_the_definition_awaiting_their_signature(cast):
    definition = _proposed(cast)
    for leader, start in ((cast.cmo, "/leads/"), (cast.vp, "/handoffs/outcomes/")):
        content = logged_in(leader).get(start).content.decode()
        assert f'href="/definitions/{definition.pk}/">Sign definition v{definition.version}</a>' in content


def test_once_their_side_has_signed_the_leader_is_not_asked_again(cast):
    definition = _proposed(cast)
    DefinitionApproval.objects.create(
        definition=definition,
        round=definition.round,
        side="marketing",
        decision=DefinitionApproval.Decision.APPROVED,
        by=cast.cmo,
        created_at=timezone.now(),
    )
    assert "Sign definition" not in logged_in(cast.cmo).get("/leads/").content.decode()
    assert "Sign definition" in logged_in(cast.vp).get("/handoffs/outcomes/").content.decode()
