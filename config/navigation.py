"""The portal's navigation, built once from the person's role and rendered by both the workspace
(templates/base.html) and the admin's header (templates/admin/base_site.html): which pages a role
opens is asked of the same rules the pages themselves enforce."""

from dataclasses import dataclass

from django.urls import reverse

from alignment import policies
from alignment.roles import is_leader, is_marketing
from insights.selectors import may_view_dashboard
from reviews.selectors import takes_part


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool = False


def start_page(user) -> str | None:
    """The URL name of the page a person starts on (``/`` redirects there); None without a role."""
    if policies.works_in_sales(user) and not is_leader(user):
        return "inbox"
    if is_marketing(user):
        return "lead_list"
    if policies.follows_outcomes(user):
        return "handoff_outcomes"
    return None


def _may_use_imports(user) -> bool:
    # alignment.roles grants imports and duplicates to marketing; asked of the roles (already
    # read for the page) rather than of the permission tables, which would cost two queries a page.
    return bool(user.is_superuser or is_marketing(user))


def workspace_items(user, path: str) -> list[NavItem]:
    """The role's workspace pages, in the order a working day visits them."""
    pages = [
        ("Inbox", "inbox", policies.works_in_sales(user)),
        ("Leads", "lead_list", True),
        ("Definition", "definition_list", True),
        ("Hand-off outcomes", "handoff_outcomes", policies.follows_outcomes(user)),
        ("Lead reviews", "review_list", takes_part(user=user)),
        ("Dashboard", "insights:dashboard", may_view_dashboard(user)),
    ]
    items = []
    for label, name, allowed in pages:
        if allowed:
            url = reverse(name)
            items.append(NavItem(label, url, active=path.startswith(url)))
    return items


def admin_items(user, path: str) -> list[NavItem]:
    """The admin pages the person may use, for the workspace's header."""
    if not user.is_staff:
        return []
    items = []
    if _may_use_imports(user):
        imports = path.startswith("/admin/leads/leadimport/")
        items.append(NavItem("Import leads", reverse("admin:leads_leadimport_add"), active=imports))
        items.append(
            NavItem(
                "Duplicates",
                reverse("admin:leads_duplicatecandidate_changelist"),
                path.startswith("/admin/leads/duplicatecandidate/"),
            )
        )
    admin_index = reverse("admin:index")
    items.append(NavItem("Admin", admin_index, active=path == admin_index))
    return items


def today_items(user) -> list[NavItem]:
    """The role's daily tasks, one click from its start page."""
    from alignment.selectors import definitions_awaiting_signature

    items = []
    if policies.works_in_sales(user) and not is_leader(user):
        items.append(NavItem("Work your inbox", reverse("inbox")))
    if is_marketing(user) and not is_leader(user) and user.is_staff:
        items.append(NavItem("Import leads", reverse("admin:leads_leadimport_add")))
    if is_marketing(user) and not is_leader(user):
        items.append(NavItem("Hand off sales-ready leads", reverse("lead_list") + "?queue=waiting"))
    if is_leader(user) or user.is_superuser:
        items.append(NavItem("Open the dashboard", reverse("insights:dashboard")))
        waiting = next(iter(definitions_awaiting_signature(user=user)), None)
        if waiting is not None:
            items.append(
                NavItem(f"Sign definition v{waiting.version}", reverse("definition_detail", args=[waiting.pk]))
            )
    if takes_part(user=user) and policies.works_in_sales(user) and not policies.sees_everything(user):
        # Managers (and reps) meet weekly to review their team's leads.
        items.append(NavItem("Review meetings", reverse("review_list")))
    return items


def navigation(request) -> dict:
    """Context processor: the header's items, and on a person's start page their day's tasks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context = {
        "nav_workspace": workspace_items(user, request.path),
        "nav_admin": admin_items(user, request.path),
    }
    match = getattr(request, "resolver_match", None)
    start = start_page(user)
    if match is not None and start is not None and match.view_name == start and not request.GET:
        context["today"] = today_items(user)
    return context
