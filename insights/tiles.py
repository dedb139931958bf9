"""The overview's tiles: a few headline figures, each with its value, its base in words, its
trend against the period of the same length before, a weekly sparkline, and links to its figure
page and to the list behind it. Pure functions over what the selectors read
(insights.selectors.overview_inputs); a figure page states its tiles from its own reads with the
same functions, so a tile and its figure page never disagree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from insights import diagnostics, selectors

LEADS_BASE = "of the leads created in the period"
HANDOFFS_BASE = "of the hand-offs made in the period"


@dataclass
class Measure:
    """One tile's figure for one period: the number the trend compares (`value`; a share from 0
    to 1 when `share`), how it reads, and the counts behind it."""

    value: float | None
    detail: str
    share: bool

    @property
    def shown(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value * 100:.1f} %" if self.share else f"{int(self.value):,}"


@dataclass(frozen=True)
class TileRule:
    code: str
    title: str
    base: str
    figure: str
    measure: object  # (OverviewInputs) -> Measure
    weekly: object | None  # (OverviewInputs) -> [(week, Measure)]
    list_view: str
    list_filters: dict
    list_label: str
    higher_is_better: bool = True


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def new_leads(inputs: selectors.OverviewInputs) -> Measure:
    return Measure(inputs.cells.total()[0], "", share=False)


def active_share(inputs: selectors.OverviewInputs) -> Measure:
    total = selectors.interest_totals(inputs.weeks)
    if total is None:
        return Measure(None, "no new leads", share=True)
    return Measure(total.active_share, f"{total.active:,} active of {total.total:,} new leads", share=True)


def acceptance(inputs: selectors.OverviewInputs) -> Measure:
    accepted, made = selectors.handoff_acceptance(inputs.handoff_rows)
    return Measure(_rate(accepted, made), f"{accepted:,} accepted of {made:,} hand-offs", share=True)


def sla_compliance(inputs: selectors.OverviewInputs) -> Measure:
    total = selectors.sla_overall(inputs.handoff_rows)
    return Measure(
        total.accept_share,
        f"{total.accept_in_time:,} decided in time of {total.accept_judged:,} due",
        share=True,
    )


def close_ratio(inputs: selectors.OverviewInputs) -> Measure:
    close = selectors.marketing_close_ratio(scope=inputs.scope, cells=inputs.cells)
    return Measure(close.close_ratio, f"{close.won:,} won of {close.accepted:,} accepted", share=True)


def recycled_wins(inputs: selectors.OverviewInputs) -> Measure:
    recycled = selectors.recycling(scope=inputs.scope, cells=inputs.cells)
    share = recycled.share_of_wins_cycled_twice
    detail = f"of {recycled.won:,} wins" + ("" if share is None else f" ({share * 100:.1f} %)")
    return Measure(recycled.wins_from_twice_or_more, detail, share=False)


def _lead_weeks(measure):
    def weekly(inputs: selectors.OverviewInputs) -> list[tuple[date, Measure]]:
        by_week: dict[date, dict] = defaultdict(dict)
        for key, counts in inputs.cells.cells.items():
            by_week[key[3]][key] = counts
        return [
            (week, measure(selectors.OverviewInputs(inputs.scope, selectors.LeadCells(cells, {}), [], [])))
            for week, cells in sorted(by_week.items())
        ]

    return weekly


def _handoff_weeks(measure):
    def weekly(inputs: selectors.OverviewInputs) -> list[tuple[date, Measure]]:
        by_week: dict[date, list[dict]] = defaultdict(list)
        for row in inputs.handoff_rows:
            by_week[row["week"]].append(row)
        return [
            (week, measure(selectors.OverviewInputs(inputs.scope, inputs.cells, rows, [])))
            for week, rows in sorted(by_week.items())
        ]

    return weekly


def _interest_weeks(inputs: selectors.OverviewInputs) -> list[tuple[date, Measure]]:
    return [(w.week, Measure(w.active_share, "", share=True)) for w in inputs.weeks]


TILES = [
    TileRule(
        "new_leads", "New leads", "Leads created in the period", "funnel", new_leads, _lead_weeks(new_leads),
        "lead_list", {}, "See the leads",
    ),
    TileRule(
        "active_share", "Active-interest share", f"Active-interest leads, {LEADS_BASE}", "interest", active_share,
        _interest_weeks, "lead_list", {"interest": "active"}, "See the active-interest leads",
    ),
    TileRule(
        "acceptance", "Acceptance", f"Accepted by sales, {HANDOFFS_BASE}", "definitions", acceptance,
        _handoff_weeks(acceptance), "handoff_outcomes", {"status": "accepted"}, "See the accepted hand-offs",
    ),
    TileRule(
        "sla", "SLA compliance", f"Decided within the accept time, {HANDOFFS_BASE} that were due",
        "sla", sla_compliance, _handoff_weeks(sla_compliance), "handoff_outcomes", {"late": "true"},
        "See the late hand-offs",
    ),
    TileRule(
        "close_ratio", "Close ratio", f"Won of the accepted marketing leads, {LEADS_BASE} (not those reps found)",
        "funnel", close_ratio, _lead_weeks(close_ratio), "lead_list", {"stage": "won", "marketing": "true"},
        "See the won marketing leads",
    ),
    TileRule(
        "recycled_wins", "Recycled wins", f"Wins from leads recycled twice or more, {LEADS_BASE}", "recycling",
        recycled_wins, None, "lead_list", {"stage": "won", "min_cycles": 2}, "See those won leads",
    ),
]  # fmt: skip
BY_CODE = {rule.code: rule for rule in TILES}


@dataclass
class Tile:
    rule: TileRule
    current: Measure
    previous: Measure | None
    sparkline: SafeString
    figure_url: str
    list_url: str

    @property
    def change(self) -> str:
        """The trend in words: how far the value moved since the period before."""
        if self.previous is None:
            return ""
        now, before = self.current.value, self.previous.value
        if now is None or before is None:
            return f"previous period: {self.previous.shown}"
        if self.current.share:
            delta = (now - before) * 100
            moved = f"{abs(delta):.1f} points"
        else:
            delta = now - before
            moved = f"{abs(int(delta)):,}"
        if round(delta, 1) == 0:
            return f"no change on the previous period ({self.previous.shown})"
        arrow = "▲ up" if delta > 0 else "▼ down"
        return f"{arrow} {moved} on the previous period ({self.previous.shown})"

    @property
    def direction(self) -> str:
        """ "better", "worse" or "same", for the colour of the trend."""
        if self.previous is None or self.current.value is None or self.previous.value is None:
            return "same"
        delta = self.current.value - self.previous.value
        if abs(delta) < 1e-9:
            return "same"
        return "better" if (delta > 0) == self.rule.higher_is_better else "worse"


def sparkline(points: list[tuple[date, Measure]], scope: selectors.Scope, title: str) -> SafeString:
    """A small inline SVG line of the weekly values; an unfinished or cut week (the last, the
    first) is drawn dashed with a hollow dot, not as a drop."""
    values = [(week, m.value) for week, m in points if m.value is not None]
    if len(values) < 2:
        return mark_safe("")
    width, height, pad = 120, 32, 3
    top = max(v for _, v in values) or 1
    step = (width - 2 * pad) / (len(values) - 1)
    xy = [(pad + i * step, height - pad - (v / top) * (height - 2 * pad)) for i, (_, v) in enumerate(values)]
    partial = [selectors.week_is_partial(scope, week) for week, _ in values]
    whole = [p for p, cut in zip(xy, partial, strict=True) if not cut]
    solid = " ".join(f"{x:.1f},{y:.1f}" for x, y in whole)
    cut_ends = [(xy[-2], xy[-1])] if partial[-1] else []
    if partial[0]:
        cut_ends.append((xy[0], xy[1]))
    dashed = [tuple(f"{n:.1f}" for n in (a[0], a[1], b[0], b[1])) for a, b in cut_ends]
    shown = [m.shown for _, m in points if m.value is not None]
    label = f"{title}, week by week: {', '.join(shown)}" + (" (the last week is not over)" if partial[-1] else "")
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<title>{}</title><polyline points="{}" fill="none" stroke="#0d6efd" stroke-width="2"/>{}{}</svg>',
        width, height, width, height, label, label, solid,
        format_html_join(
            "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#0d6efd" stroke-width="2" '
            'stroke-dasharray="3 3"/>', dashed,
        ),
        format_html_join(
            "", '<circle cx="{}" cy="{}" r="2.5" fill="#fff" stroke="#0d6efd"/>',
            ((f"{x:.1f}", f"{y:.1f}") for (x, y), cut in zip(xy, partial, strict=True) if cut),
        ),
    )  # fmt: skip


def _query(query: str) -> str:
    return f"?{query}" if query else ""


def tiles(current: selectors.OverviewInputs, previous: selectors.OverviewInputs | None, query: str = "") -> list[Tile]:
    """Every tile of the overview (or, without `previous`, the tiles as a figure page states
    them)."""
    return [tile(rule, current, previous, query) for rule in TILES]


def tile(
    rule: TileRule, current: selectors.OverviewInputs, previous: selectors.OverviewInputs | None, query: str = ""
) -> Tile:
    points = rule.weekly(current) if (rule.weekly and previous is not None) else []
    return Tile(
        rule=rule,
        current=rule.measure(current),
        previous=rule.measure(previous) if previous is not None else None,
        sparkline=sparkline(points, current.scope, rule.title),
        figure_url=reverse("insights:figure", args=[rule.figure]) + _query(query),
        list_url=diagnostics.period_list_url(rule.list_view, rule.list_filters, current.scope),
    )


def figure_tiles(name: str, figures: dict, scope: selectors.Scope) -> list[Tile]:
    """The tiles whose figure page this is, from the page's own reads."""
    inputs = selectors.OverviewInputs(
        scope,
        figures.get("lead_cells") or selectors.LeadCells({}, {}),
        figures.get("handoff_rows") or [],
        figures.get("interest") or [],
    )
    return [tile(rule, inputs, None) for rule in TILES if rule.figure == name]


def funnel_bases(cells: selectors.LeadCells, scope: selectors.Scope) -> str:
    """Why the funnel's accepted and won leads are more than the close ratio's: the funnel counts
    every lead created in the period, the close ratio only marketing's (reps' own finds are
    judged in the rep-skills figure)."""
    every = cells.total()
    marketing = selectors.marketing_close_ratio(scope=scope, cells=cells)
    found = every[3] - marketing.accepted
    return (
        f"The funnel counts every lead created in the period: {every[5]:,} won of {every[3]:,} accepted. "
        f"The close ratio counts marketing's leads only: {marketing.won:,} won of {marketing.accepted:,} "
        f"accepted; the other {found:,} accepted leads were found by reps themselves."
    )
