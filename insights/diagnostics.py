"""The dashboard's alerts: pure functions over the figures (insights.selectors), each returning
the alerts it raises with the figures behind them, the figure to look at and the list of hand-offs
(or leads) behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse

from insights import selectors

# Marketing volume is "high" from this many marketing leads in the period, and the close ratio
# on the marketing leads sales accepted should be at least this.
HIGH_MARKETING_VOLUME = 100
MIN_MARKETING_CLOSE_RATIO = 0.10
# Needs this many accepted marketing leads before the close ratio means anything.
MIN_ACCEPTED_FOR_CLOSE_RATIO = 20
# Active-interest leads should be at least half the new leads (with enough new leads to tell).
MIN_ACTIVE_SHARE = 0.50
MIN_LEADS_FOR_SHARE = 20
# A campaign with at least this many leads, enough of them handed off, and an acceptance rate
# below this.
HIGH_CAMPAIGN_VOLUME = 50
MIN_HANDED_OFF_FOR_ACCEPTANCE = 10
LOW_ACCEPTANCE_RATE = 0.25
# A rep with at least this many service-level breaches in the period.
REPEATED_SLA_BREACHES = 3
SLA_REPS_LISTED = 8  # reps named in the alert, most breaches first
# Overridden hand-offs are compared with sales-ready ones once each side has this many.
MIN_HANDOFFS_TO_COMPARE = 10


@dataclass
class Alert:
    code: str
    title: str
    message: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    figure: str = ""  # the dashboard figure to follow
    subject: str = ""  # the campaign, rep or definition concerned
    # The list behind it: a view of the leads app and its filters (the period is added).
    list_view: str = "handoff_outcomes"
    list_filters: dict[str, object] = field(default_factory=dict)
    list_label: str = "See the hand-offs"
    list_url: str = ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def low_close_ratio(close: selectors.MarketingCloseRatio) -> list[Alert]:
    ratio = close.close_ratio
    if close.volume < HIGH_MARKETING_VOLUME or close.accepted < MIN_ACCEPTED_FOR_CLOSE_RATIO or ratio is None:
        return []
    if ratio >= MIN_MARKETING_CLOSE_RATIO:
        return []
    return [
        Alert(
            code="low_close_ratio",
            title="High marketing volume, low close ratio",
            message="Leads are likely not qualified — check the definition before blaming sales.",
            facts=[
                ("marketing leads", f"{close.volume:,}"),
                ("accepted by sales", f"{close.accepted:,}"),
                ("won", f"{close.won:,}"),
                ("close ratio", f"{_pct(ratio)} (below {_pct(MIN_MARKETING_CLOSE_RATIO)})"),
            ],
            figure="definitions",
            list_filters={"status": "accepted"},
            list_label="See the accepted hand-offs",
        )
    ]


def low_active_share(weeks: list[selectors.InterestWeek]) -> list[Alert]:
    total = selectors.interest_totals(weeks)
    if total is None or total.total < MIN_LEADS_FOR_SHARE or total.active_share >= MIN_ACTIVE_SHARE:
        return []
    return [
        Alert(
            code="low_active_share",
            title="Active interest below half of new leads",
            message="Most new leads come from passive sources (lists, events, downloads); they rarely convert.",
            facts=[
                ("active-interest leads", f"{total.active:,}"),
                ("passive-interest leads", f"{total.passive:,}"),
                ("active share", f"{_pct(total.active_share)} (target {_pct(MIN_ACTIVE_SHARE)})"),
            ],
            figure="interest",
            list_view="lead_list",
            list_filters={"interest": "passive"},
            list_label="See the passive-interest leads",
        )
    ]


def low_acceptance_campaigns(campaigns: list[selectors.CampaignQuality]) -> list[Alert]:
    alerts = []
    for c in campaigns:
        if c.campaign_id is None or c.volume < HIGH_CAMPAIGN_VOLUME or c.handed_off < MIN_HANDED_OFF_FOR_ACCEPTANCE:
            continue
        if c.acceptance_rate >= LOW_ACCEPTANCE_RATE:
            continue
        alerts.append(
            Alert(
                code="low_acceptance_campaign",
                title=f"“{c.campaign}”: high volume, low acceptance",
                message="Sales rejects most of what this campaign brings.",
                facts=[
                    ("leads", f"{c.volume:,}"),
                    ("handed off", f"{c.handed_off:,}"),
                    ("accepted", f"{c.accepted:,}"),
                    ("acceptance rate", f"{_pct(c.acceptance_rate)} (below {_pct(LOW_ACCEPTANCE_RATE)})"),
                    ("won", f"{c.won:,}"),
                ],
                figure="campaigns",
                subject=c.campaign,
                list_filters={"campaign": c.campaign_id, "status": "rejected"},
                list_label="See the rejected hand-offs",
            )
        )
    return alerts


def repeated_sla_breaches(sla: selectors.Sla) -> list[Alert]:
    """One alert naming every rep with repeated breaches, most breaches first."""
    reps = sorted((r for r in sla.reps if r.breaches >= REPEATED_SLA_BREACHES), key=lambda r: (-r.breaches, r.label))
    if not reps:
        return []
    facts = [
        (
            rep.label,
            f"{rep.breaches:,} breaches; decided in time {_pct(rep.accept_share)}, first touch in time "
            f"{_pct(rep.touch_share)}; {rep.reminders:,} reminders, {rep.escalations:,} escalations",
        )
        for rep in reps[:SLA_REPS_LISTED]
    ]
    if len(reps) > SLA_REPS_LISTED:
        facts.append(("and", f"{len(reps) - SLA_REPS_LISTED} more reps"))
    names = reps[0].label if len(reps) == 1 else f"{len(reps)} reps"
    return [
        Alert(
            code="repeated_sla_breaches",
            title=f"{names}: repeated service-level breaches",
            message=f"Hand-offs decided or first touched late, {REPEATED_SLA_BREACHES} times or more in the period.",
            facts=facts,
            figure="sla",
            subject=", ".join(rep.label for rep in reps),
            list_filters={"late": "true", **({"rep": reps[0].key} if len(reps) == 1 else {})},
            list_label="See the late hand-offs",
        )
    ]


def overrides_win_less(definitions: list[selectors.DefinitionRow]) -> list[Alert]:
    alerts = []
    for d in definitions:
        if d.ready[0] < MIN_HANDOFFS_TO_COMPARE or d.overridden[0] < MIN_HANDOFFS_TO_COMPARE:
            continue
        (_, ready_win), (_, override_win) = d.ready_rates, d.overridden_rates
        if override_win >= ready_win:
            continue
        alerts.append(
            Alert(
                code="overrides_win_less",
                title=f"{d.label}: overridden hand-offs win less",
                message="Leads sent to sales although not sales-ready close less often than those that were.",
                facts=[
                    ("sales-ready hand-offs", f"{d.ready[0]:,}, win rate {_pct(ready_win)}"),
                    ("overridden hand-offs", f"{d.overridden[0]:,}, win rate {_pct(override_win)}"),
                ],
                figure="definitions",
                subject=d.label,
                list_filters={"definition": d.definition_id, "override": "true"},
                list_label="See the overridden hand-offs",
            )
        )
    return alerts


def period_list_url(list_view: str, filters: dict[str, object], scope: selectors.Scope) -> str:
    """A list of the leads app (the leads, or the hand-off outcomes) with its filters, narrowed
    to the dashboard's period (and to its team, when it shows one): the leads created, or the
    hand-offs made, in it."""
    first, last = scope.start.date(), (scope.end - timedelta(days=1)).date()
    if list_view == "lead_list":
        narrowing = {"created_after": first, "created_before": last}
    else:
        narrowing = {"handed_off_after": first, "handed_off_before": last}
        if scope.teams is not None and len(scope.teams) == 1:
            narrowing["team"] = scope.teams[0]
    return f"{reverse(list_view)}?{urlencode({**filters, **narrowing})}"


def list_url(alert: Alert, scope: selectors.Scope) -> str:
    """The list behind an alert, filtered to the dashboard's period."""
    return period_list_url(alert.list_view, alert.list_filters, scope)


def alerts(figures: dict[str, object], scope: selectors.Scope | None = None) -> list[Alert]:
    """Every alert the figures raise, in the order the dashboard shows them, with the link to
    its list when the scope is given; figures not computed are skipped."""
    rules = [
        ("close_ratio", low_close_ratio),
        ("interest", low_active_share),
        ("campaigns", low_acceptance_campaigns),
        ("sla", repeated_sla_breaches),
        ("definitions", overrides_win_less),
    ]
    found: list[Alert] = []
    for name, rule in rules:
        if name in figures:
            found.extend(rule(figures[name]))
    if scope is not None:
        for alert in found:
            alert.list_url = list_url(alert, scope)
    return found
