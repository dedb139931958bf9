"""Every figure as a table (a header and rows of plain values): the dashboard prints it under
its chart and the CSV download writes the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from insights import selectors


@dataclass
class Table:
    header: list[str]
    rows: list[list]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def funnel(figure: selectors.Funnel) -> Table:
    header = ["group", "name"]
    for code, label in selectors.FUNNEL_STEPS:
        header.append(label)
        if code != "new":
            header += [f"→ {label} conversion", f"→ {label} median hours"]
    rows = []
    for group, funnels in (("all", [figure.overall]), ("source", figure.by_source), ("campaign", figure.by_campaign)):
        for row in funnels:
            cells = [group, row.label]
            for step in row.steps:
                cells.append(step["count"])
                if step["code"] != "new":
                    cells += [pct(step["conversion"]), hours(step["median_hours"])]
            rows.append(cells)
    return Table(header, rows)


def campaigns(figure: list[selectors.CampaignQuality]) -> Table:
    header = [
        "source",
        "campaign",
        "leads",
        "handed off",
        "accepted",
        "acceptance rate",
        "won",
        "cost",
        "cost per accepted lead",
        "rejection reasons",
    ]
    rows = [
        [
            r.source,
            r.campaign,
            r.volume,
            r.handed_off,
            r.accepted,
            pct(r.acceptance_rate),
            r.won,
            money(r.cost),
            money(r.cost_per_accepted),
            "; ".join(f"{label} ({n})" for label, n in r.reasons),
        ]
        for r in figure
    ]
    return Table(header, rows)


def interest(figure: list[selectors.InterestWeek]) -> Table:
    return Table(
        ["week starting", "active interest", "passive interest", "active share"],
        [[w.week.isoformat(), w.active, w.passive, pct(w.active_share)] for w in figure],
    )


def mix(figure: selectors.Mix) -> Table:
    rows = []
    for kind, counts in (("grade", figure.grades), ("bucket", figure.buckets)):
        handed, accepted = figure.shares(counts, 0), figure.shares(counts, 1)
        for key, (n, a) in counts.items():
            rows.append([kind, key or "(not graded)", n, pct(handed[key]), a, pct(accepted[key])])
    return Table(["by", "value", "handed off", "share of handed off", "accepted", "share of accepted"], rows)


def reasons(figure: dict[str, list[selectors.ReasonCount]]) -> Table:
    rows = [
        [phase.replace("_", " "), r.label, r.count, pct(r.cumulative_share)]
        for phase, counts in figure.items()
        for r in counts
    ]
    return Table(["phase", "reason", "hand-offs", "cumulative share"], rows)


def sla(figure: selectors.Sla) -> Table:
    header = [
        "level",
        "name",
        "hand-offs",
        "median hours to accept",
        "median hours to first touch",
        "accepted or rejected in time",
        "first touch in time",
        "reminders",
        "escalations",
    ]
    rows = [
        [
            level,
            r.label,
            r.handoffs,
            hours(r.median_accept_hours),
            hours(r.median_touch_hours),
            f"{pct(r.accept_share)} ({r.accept_in_time}/{r.accept_judged})",
            f"{pct(r.touch_share)} ({r.touch_in_time}/{r.touch_judged})",
            r.reminders,
            r.escalations,
        ]
        for level, group in (("team", figure.teams), ("rep", figure.reps))
        for r in group
    ]
    return Table(header, rows)


def recycling(figure: selectors.Recycling) -> Table:
    labels = {0: "never", 1: "once", 2: "twice", 3: "three times or more"}
    rows = [[labels[k], figure.leads[k], figure.wins[k]] for k in range(4)]
    rows.append(["share of wins from leads cycled twice or more", "", pct(figure.share_of_wins_cycled_twice)])
    return Table(["recycled", "leads", "won"], rows)


def skills(figure: list[selectors.RepSkill]) -> Table:
    return Table(
        ["rep", "leads found themselves", "of them won", "marketing leads accepted", "of them won", "close ratio"],
        [[r.name, r.sourced, r.sourced_won, r.marketing_accepted, r.marketing_won, pct(r.close_ratio)] for r in figure],
    )


def hygiene(figure: dict[str, int]) -> Table:
    titles = selectors.hygiene_titles()
    return Table(["check", "count"], [[titles[k], n] for k, n in figure.items()])


def definitions(figure: list[selectors.DefinitionRow]) -> Table:
    header = [
        "definition",
        "sales-ready hand-offs",
        "acceptance",
        "win rate",
        "overridden hand-offs",
        "acceptance",
        "win rate",
    ]
    rows = []
    for r in figure:
        (ready_acc, ready_win), (over_acc, over_win) = r.ready_rates, r.overridden_rates
        rows.append(
            [r.label, r.ready[0], pct(ready_acc), pct(ready_win), r.overridden[0], pct(over_acc), pct(over_win)]
        )
    return Table(header, rows)


BUILDERS = {
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
