"""The dashboard's charts, rendered on the server as inline SVG with pygal: no script, no
external file. Each function takes a figure from insights.selectors and returns SVG markup."""

from __future__ import annotations

import re

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from alignment.models import RejectionReason
from insights import selectors

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    title_font_size=14,
)
# pygal writes an inline <script> with its tooltip config even when no script file is asked for.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _config(**extra) -> dict:
    return {
        "disable_xml_declaration": True,
        "js": [],
        "style": STYLE,
        "height": 320,
        "width": 800,
        "legend_at_bottom": True,
        "print_values": False,
        "truncate_label": 28,
        "show_minor_x_labels": True,
        **extra,
    }


def _svg(chart) -> SafeString:
    return mark_safe(_SCRIPT.sub("", chart.render(is_unicode=True)))  # pygal escapes every label


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def funnel(figure: selectors.Funnel) -> SafeString:
    chart = pygal.Bar(**_config(title="Leads reaching each step"))
    chart.x_labels = [label for _, label in selectors.FUNNEL_STEPS]
    chart.add("All leads", figure.overall.counts)
    return _svg(chart)


def campaigns(figure: list[selectors.CampaignQuality]) -> SafeString:
    rows = [r for r in figure if r.campaign_id is not None] or figure
    chart = pygal.Bar(**_config(title="Leads, accepted and won per campaign", x_label_rotation=20))
    chart.x_labels = [r.campaign if r.campaign_id else f"{r.source} (no campaign)" for r in rows]
    chart.add("Leads", [r.volume for r in rows])
    chart.add("Accepted", [r.accepted for r in rows])
    chart.add("Won", [r.won for r in rows])
    return _svg(chart)


def interest(figure: list[selectors.InterestWeek]) -> SafeString:
    crowded = len(figure) > 14
    chart = pygal.Line(
        **_config(
            title="Active-interest share of new leads, per week (%)",
            range=(0, 100),
            x_label_rotation=30,
            x_labels_major_count=12 if crowded else None,
            show_minor_x_labels=not crowded,
        )
    )
    chart.x_labels = [w.week.strftime("%d %b") + (" (partial)" if w.partial else "") for w in figure]
    # A week not over yet (or cut by the period) is drawn apart, dashed from the last whole
    # week, rather than as a fall of the line: its share is of the days it has so far.
    whole = [None if w.partial else _pct(w.active_share) for w in figure]
    partial = [None] * len(figure)
    for i, w in enumerate(figure):
        if w.partial:
            partial[i] = _pct(w.active_share)
            for j in (i - 1, i + 1):
                if 0 <= j < len(figure) and not figure[j].partial:
                    partial[j] = _pct(figure[j].active_share)
    chart.add("Active share", whole)
    if any(w.partial for w in figure):
        chart.add("Part of a week", partial, stroke_style={"dasharray": "6, 4"}, dots_size=4)
    chart.add("50 % line", [50] * len(figure), show_dots=False, stroke_style={"width": 3})
    return _svg(chart)


def mix(figure: selectors.Mix) -> SafeString:
    chart = pygal.Bar(**_config(title="Share of hand-offs per grade and bucket (%)"))
    keys = [("grade", k) for k in figure.grades] + [("bucket", k) for k in figure.buckets]
    chart.x_labels = [f"{kind} {key or '—'}" for kind, key in keys]
    for index, name in ((0, "Handed off"), (1, "Accepted")):
        grades, buckets = figure.shares(figure.grades, index), figure.shares(figure.buckets, index)
        chart.add(name, [_pct((grades if kind == "grade" else buckets)[key]) for kind, key in keys])
    return _svg(chart)


def reasons(figure: dict[str, list[selectors.ReasonCount]]) -> SafeString:
    """A Pareto chart per phase, one above the other: a horizontal bar per reason, most frequent
    first, labelled in full on the left with the cumulative share of its phase. Stacked, so each
    reason has one bar of its phase's colour; a phase with no reasons has no legend entry."""
    labels = [f"{r.label} ({r.cumulative_share * 100:.0f} %)" for counts in figure.values() for r in counts]
    chart = pygal.HorizontalStackedBar(
        **_config(
            title="Rejection reasons, most frequent first (cumulative share)",
            height=max(240, 80 + 28 * len(labels)),
            truncate_label=-1,
        )
    )
    # pygal draws the first label at the bottom: reversed, the most frequent is on top.
    chart.x_labels = list(reversed(labels))
    phases = dict(RejectionReason.Phase.choices)
    for phase, counts in figure.items():
        if not counts:
            continue
        values = [r.count if phase == r.phase else None for counts_ in figure.values() for r in counts_]
        chart.add(phases[phase], list(reversed(values)))
    return _svg(chart)


def sla(figure: selectors.Sla) -> SafeString:
    chart = pygal.HorizontalBar(
        **_config(
            title="Share within the service levels per rep (%)", range=(0, 100), height=max(320, 30 * len(figure.reps))
        )
    )
    chart.x_labels = [r.label for r in figure.reps]
    chart.add("Decided in time", [_pct(r.accept_share) for r in figure.reps])
    chart.add("First touch in time", [_pct(r.touch_share) for r in figure.reps])
    return _svg(chart)


def recycling(figure: selectors.Recycling) -> SafeString:
    chart = pygal.Bar(**_config(title="Leads and wins by times recycled"))
    chart.x_labels = ["never", "once", "twice", "3+"]
    chart.add("Leads", [figure.leads[k] for k in range(4)])
    chart.add("Won", [figure.wins[k] for k in range(4)])
    return _svg(chart)


def skills(figure: list[selectors.RepSkill]) -> SafeString:
    chart = pygal.XY(
        **_config(
            title="Leads found themselves vs close ratio on marketing leads",
            stroke=False,
            x_title="leads found themselves",
            y_title="close ratio on marketing leads (%)",
        )
    )
    for r in figure:
        chart.add(r.name, [(r.sourced, _pct(r.close_ratio) or 0)])
    return _svg(chart)


def hygiene(figure: dict[str, int]) -> SafeString:
    chart = pygal.HorizontalBar(**_config(title="Records failing each check", show_legend=False))
    titles = selectors.hygiene_titles()
    chart.x_labels = [titles[k] for k in figure]
    chart.add("Count", list(figure.values()))
    return _svg(chart)


def definitions(figure: list[selectors.DefinitionRow]) -> SafeString:
    chart = pygal.Bar(**_config(title="Win rate per definition version (%)"))
    chart.x_labels = [r.label for r in figure]
    chart.add("Sales-ready", [_pct(r.ready_rates[1]) for r in figure])
    chart.add("Overridden", [_pct(r.overridden_rates[1]) for r in figure])
    return _svg(chart)


RENDERERS = {
    "funnel": funnel,
    "campaigns": campaigns,
    "interest": interest,
    "mix": mix,
    "reasons": reasons,
    "sla": sla,
    "recycling": recycling,
    "skills": skills,
    "hygiene": hygiene,
    "definitions": definitions,
}
