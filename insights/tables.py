"""Every figure as a table (a header and rows of plain values): the dashboard prints it under
its chart and the CSV download writes the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from alignment.models import RejectionReason
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


# Each figure's base in words: what it counts, so that two figures never disagree unexplained.
BASES = {
    "funnel": "Of the leads created in the period: how many reached each step, what share of the step before "
    "went on, and the median hours from the step before (from creation for a lead that skipped it).",
    "campaigns": "Of the leads created in the period, per campaign; acceptance is of those of them handed off.",
    "interest": "Of the leads created in the period, per week they were created in (weeks start on Monday).",
    "mix": "Of the hand-offs made in the period: the grade and bucket the lead had when it was handed off.",
    "reasons": "Of the hand-offs made in the period: the reasons given when rejecting them, or when giving up "
    "on them after accepting.",
    "sla": "Of the hand-offs made in the period (withdrawn ones left out): decided within the accept time, of "
    "those due; touched within the first-touch time, of the accepted ones due.",
    "recycling": "Of the leads created in the period, by how many times they went back to nurture.",
    "skills": "Leads found: of the leads created in the period. Marketing leads accepted: of the hand-offs made "
    "in the period.",
    "hygiene": "The state of things now, whatever the period.",
    "definitions": "Of the hand-offs made in the period, per definition version they met.",
}


def funnel(figure: selectors.Funnel) -> Table:
    header = ["Breakdown", "Source or campaign"]
    for code, label in selectors.FUNNEL_STEPS:
        header.append("New leads" if code == "new" else f"Reached {label}")
        if code != "new":
            header += [f"{label}: share of the step before", f"{label}: median hours from the step before"]
    rows = []
    for group, funnels in (("All", [figure.overall]), ("Source", figure.by_source), ("Campaign", figure.by_campaign)):
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
        "Source",
        "Campaign",
        "Leads",
        "Handed off",
        "Accepted",
        "Acceptance rate",
        "Won",
        "Cost",
        "Cost per accepted lead",
        "Rejection reasons",
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
        ["Week starting", "Active interest", "Passive interest", "Active share"],
        [
            [w.week.isoformat() + (" (part of a week)" if w.partial else ""), w.active, w.passive, pct(w.active_share)]
            for w in figure
        ],
    )


def mix(figure: selectors.Mix) -> Table:
    rows = []
    for kind, counts in (("Grade", figure.grades), ("Bucket", figure.buckets)):
        handed, accepted = figure.shares(counts, 0), figure.shares(counts, 1)
        for key, (n, a) in counts.items():
            rows.append([kind, key or "(not graded)", n, pct(handed[key]), a, pct(accepted[key])])
    return Table(
        ["Grade or bucket", "Value", "Handed off", "Share of handed off", "Accepted", "Share of accepted"], rows
    )


def reasons(figure: dict[str, list[selectors.ReasonCount]]) -> Table:
    phases = dict(RejectionReason.Phase.choices)
    rows = [
        [phases[phase], r.label, r.count, pct(r.cumulative_share)] for phase, counts in figure.items() for r in counts
    ]
    return Table(["When", "Reason", "Hand-offs", "Cumulative share"], rows)


def sla(figure: selectors.Sla) -> Table:
    header = [
        "Team or rep",
        "Name",
        "Hand-offs",
        "Median hours to decide",
        "Median hours to first touch",
        "Decided in time",
        "First touch in time",
        "Reminders",
        "Escalations",
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
        for level, group in (("All", [figure.overall]), ("Team", figure.teams), ("Rep", figure.reps))
        for r in group
    ]
    return Table(header, rows)


def recycling(figure: selectors.Recycling) -> Table:
    labels = {0: "Never", 1: "Once", 2: "Twice", 3: "Three times or more"}
    rows = [[labels[k], figure.leads[k], figure.wins[k]] for k in range(4)]
    rows.append(["Share of wins from leads recycled twice or more", "", pct(figure.share_of_wins_cycled_twice)])
    return Table(["Times recycled", "Leads", "Won"], rows)


def skills(figure: list[selectors.RepSkill]) -> Table:
    return Table(
        ["Rep", "Leads found themselves", "Of them won", "Marketing leads accepted", "Of them won", "Close ratio"],
        [[r.name, r.sourced, r.sourced_won, r.marketing_accepted, r.marketing_won, pct(r.close_ratio)] for r in figure],
    )


def hygiene(figure: dict[str, int]) -> Table:
    titles = selectors.hygiene_titles()
    return Table(["Check", "Records"], [[titles[k], n] for k, n in figure.items()])


def definitions(figure: list[selectors.DefinitionRow]) -> Table:
    header = [
        "Definition",
        "Sales-ready hand-offs",
        "Sales-ready: acceptance",
        "Sales-ready: win rate",
        "Overridden hand-offs",
        "Overridden: acceptance",
        "Overridden: win rate",
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
