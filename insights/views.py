"""The alignment dashboard: an overview of a few tiles (each with its trend and its way down to
its figure and to the list behind it), every figure on a page of its own with its chart, its
table and a CSV download, the alerts, and the hygiene lists. Leaders, marketing and sales
managers (their teams); everyone else gets 403."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from alignment.models import Team
from insights import charts, diagnostics, selectors, tables, tiles
from insights.forms import DashboardFilter
from leads.spreadsheets import csv_response


def _scope(request) -> tuple[selectors.Scope, DashboardFilter]:
    if not selectors.may_view_dashboard(request.user):
        raise PermissionDenied
    visible = selectors.teams_visible_to(user=request.user)
    teams = Team.objects.filter(kind=Team.Kind.SALES).order_by("name") if visible is None else visible.order_by("name")
    form = DashboardFilter(request.GET or None, teams=teams)
    data = form.cleaned_data if form.is_valid() else {}
    scope = selectors.scope_for(user=request.user, start=data.get("start"), end=data.get("end"), team=data.get("team"))
    return scope, form


def _sections(figures: dict, names: list[str]) -> list[dict]:
    return [
        {
            "name": name,
            "title": selectors.FIGURES[name],
            "base": tables.BASES[name],
            "chart": charts.RENDERERS[name](figures[name]),
            "table": tables.BUILDERS[name](figures[name]),
        }
        for name in names
    ]


def _context(request, scope, form, **extra) -> dict:
    return {
        "scope": scope,
        "form": form,
        "query": request.GET.urlencode(),
        "period_end": (scope.end - timedelta(days=1)).date(),
        "hygiene_checks": list(selectors.hygiene_titles().items()),
        **extra,
    }


@login_required
def dashboard(request):
    """The overview: the tiles of the period beside the period before, read from the daily
    aggregates in a constant number of queries. The alerts, which need every figure, load after
    the page (htmx), or on a page of their own without JavaScript."""
    scope, form = _scope(request)
    freshness = selectors.rollup_freshness()
    current, previous = selectors.overview_inputs(scope=scope, freshness=freshness)
    query = request.GET.urlencode()
    context = _context(
        request,
        scope,
        form,
        freshness=freshness,
        tiles=tiles.tiles(current, previous, query),
        figure_links=[(name, title, tables.BASES[name]) for name, title in selectors.FIGURES.items()],
        previous=selectors.previous_scope(scope),
        previous_last=(selectors.previous_scope(scope).end - timedelta(days=1)).date(),
    )
    return render(request, "insights/dashboard.html", context)


@login_required
def alerts(request):
    """What the figures of the period raise, with the figures and the list behind each alert: the
    overview loads it as a fragment, and links to it as a page."""
    scope, form = _scope(request)
    figures = selectors.figures(scope=scope, names=["close_ratio", "interest", "campaigns", "sla", "definitions"])
    context = _context(request, scope, form, alerts=diagnostics.alerts(figures, scope))
    template = "insights/_alerts.html" if request.htmx else "insights/alerts.html"
    return render(request, template, context)


def _figure_name(name: str) -> str:
    if name not in selectors.FIGURES:
        raise Http404
    return name


@login_required
def figure_detail(request, name: str):
    scope, form = _scope(request)
    name = _figure_name(name)
    # The hygiene audit reads the leads themselves, never the rollups.
    freshness = None if name == "hygiene" else selectors.rollup_freshness()
    figures = selectors.figures(scope=scope, names=[name, "lead_cells", "handoff_rows"], freshness=freshness)
    section = _sections(figures, [name])[0]
    context = _context(
        request,
        scope,
        form,
        section=section,
        freshness=freshness,
        tiles=tiles.figure_tiles(name, figures, scope),
        funnel_bases=tiles.funnel_bases(figures["lead_cells"], scope) if name == "funnel" else None,
    )
    return render(request, "insights/figure.html", context)


def _period(scope) -> str:
    return f"{scope.start.date()}-to-{(scope.end - timedelta(days=1)).date()}"


@login_required
def figure_csv(request, name: str):
    scope, _ = _scope(request)
    name = _figure_name(name)
    table = tables.BUILDERS[name](selectors.figures(scope=scope, names=[name])[name])
    return csv_response([table.header, *table.rows], f"accord-{name}-{_period(scope)}.csv")


def _check(check: str) -> str:
    if check not in selectors.HYGIENE_CODES:
        raise Http404
    return check


def _hygiene_rows(scope, check: str) -> tuple[int, list[str], list[list], str]:
    records = selectors.hygiene_list(scope=scope, check=check)
    count = records.count()
    limited = records[: selectors.HYGIENE_LIST_LIMIT]
    if check == "duplicates":
        header = ["lead", "lead id", "likely duplicate of", "its id", "similarity", "reason", "found"]
        rows = [
            [str(d.lead), d.lead_id, str(d.likely_duplicate_of), d.likely_duplicate_of_id, d.similarity, d.reason,
             d.found_at.strftime("%Y-%m-%d %H:%M")]
            for d in limited.select_related("lead", "likely_duplicate_of")
        ]  # fmt: skip
        return count, header, rows, "duplicates"
    if check == "overdue_handoffs":
        header = ["lead", "lead id", "assigned to", "team", "handed off", "accept due"]
        rows = [
            [str(h.lead), h.lead_id, h.assigned_to.get_full_name() or h.assigned_to.username,
             h.team.name if h.team else "", h.created_at.strftime("%Y-%m-%d %H:%M"),
             h.accept_due_at.strftime("%Y-%m-%d %H:%M")]
            for h in limited.select_related("lead", "assigned_to", "team")
        ]  # fmt: skip
        return count, header, rows, "handoffs"
    header = ["lead", "lead id", "company", "stage", "owner", "owner active", "team", "stage since"]
    rows = [
        [lead.full_name, lead.pk, lead.company, lead.get_stage_display(),
         (lead.owner.get_full_name() or lead.owner.username) if lead.owner else "",
         ("yes" if lead.owner.is_active else "no") if lead.owner else "", lead.team.name if lead.team else "",
         lead.stage_changed_at.strftime("%Y-%m-%d %H:%M")]
        for lead in limited.select_related("owner", "team")
    ]  # fmt: skip
    return count, header, rows, "leads"


@login_required
def hygiene_detail(request, check: str):
    scope, form = _scope(request)
    check = _check(check)
    count, header, rows, kind = _hygiene_rows(scope, check)
    context = _context(
        request,
        scope,
        form,
        check=check,
        title=selectors.hygiene_titles()[check],
        count=count,
        header=header,
        rows=rows,
        kind=kind,
        limit=selectors.HYGIENE_LIST_LIMIT,
    )
    return render(request, "insights/hygiene.html", context)


@login_required
def hygiene_csv(request, check: str):
    scope, _ = _scope(request)
    check = _check(check)
    _, header, rows, _ = _hygiene_rows(scope, check)
    return csv_response([header, *rows], f"accord-hygiene-{check}.csv")
