"""Routing: a lead that becomes sales-ready (evaluated, re-scored, imported, from the API or a
form) is handed off by the first routing rule of the active version it matches
(alignment.routing), inside the transaction that made it sales-ready, so the rep's notification
exists the moment that commits.

- An automatic rule hands it to the least-loaded working rep of its team (leads.selectors:
  away and departed people are skipped), with the accept time started.
- A rule that is not automatic names the team; the lead waits in the marketing queue (stage
  MQL) for a marketer to hand it off, and the hand-off form proposes that team.
- With no matching rule (or nobody in the team to take it, or no email or phone to reach it),
  the lead waits in the marketing queue too.

Every decision is a ROUTED event on the lead naming the rule. Leads already handed off (an open
hand-off, or a stage marketing no longer holds) are left alone. A version without routing rules
routes nothing: leads wait for marketing as before routing existed.

A batch costs a bounded number of queries whatever its size: the rules, the leads, the
candidate reps, then the bulk writes of leads.services."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alignment.models import QualificationDefinition, Team
from alignment.routing import Route, RoutingFacts, first_match
from alignment.selectors import active_routes
from leads import selectors, services
from leads.imports.countries import region_of
from leads.models import MARKETING_STAGES, Handoff, Lead, Stage
from leads.slack import post_message

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Lead columns routing reads, as values() names.
_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "country",
    "employees",
    "industry",
    "source__name",
    "campaign__name",
    "properties",
    "grade",
    "bucket",
)


def facts_of_row(row: dict) -> RoutingFacts:
    """What the matcher reads of a lead; its country as an ISO code ("Germany" is DE)."""
    return RoutingFacts(
        country_code=(region_of(row["country"]) or "") if row["country"] else "",
        employees=row["employees"],
        industry=row["industry"] or "",
        source=row["source__name"] or "",
        campaign=row["campaign__name"] or "",
        properties=row["properties"] or {},
    )


def _name_of(row: dict) -> str:
    return str(
        Lead(
            pk=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            company=row["company"],
            email=row["email"],
            phone=row["phone"],
        )
    )


def _details(route: Route | None, *, rep: str | None = None, waiting: str = "") -> dict:
    if route is None:
        return {
            "rule": None,
            "rule_id": None,
            "position": None,
            "team": None,
            "team_id": None,
            "automatic": None,
            "rep": None,
        }
    details = {
        "rule": route.name,
        "rule_id": route.rule_id,
        "position": route.position,
        "team": route.team,
        "team_id": route.team_id,
        "automatic": route.automatic,
        "rep": rep,
    }
    if waiting:
        details["waiting"] = waiting  # why it stays with marketing although a rule matched
    return details


def leads_route(*, lead_ids: list[int], at: datetime | None = None) -> dict[str, int]:
    """Route the leads ``lead_ids`` that just became sales-ready. Call inside their transaction.
    Returns counts: ``handed_off``, ``for_marketing`` (a manual rule), ``waiting`` (no rule
    matched, or nobody could take it)."""
    counts = {"handed_off": 0, "for_marketing": 0, "waiting": 0}
    if not lead_ids:
        return counts
    routes = active_routes()
    if not routes:
        return counts
    now = at or timezone.now()
    definition_id = (
        QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = _route_batch(ids[start : start + BATCH_SIZE], routes=routes, definition_id=definition_id, now=now)
        for name, value in batch.items():
            counts[name] += value
    return counts


def _route_batch(ids: list[int], *, routes: list[Route], definition_id: int | None, now: datetime) -> dict[str, int]:
    open_handoff = Handoff.objects.filter(lead=OuterRef("pk"), status=Handoff.Status.PENDING)
    # Locked, so a marketer handing one of them off at this moment waits, then finds it taken.
    rows = list(
        Lead.objects.filter(pk__in=ids, stage__in=MARKETING_STAGES, sales_ready=True)
        .exclude(Exists(open_handoff))
        .select_for_update(of=("self",))
        .order_by("id")
        .values(*_COLUMNS)
    )
    matched = [(row, first_match(routes, facts_of_row(row))) for row in rows]
    team_ids = {route.team_id for _, route in matched if route is not None and route.automatic and route.team_id}
    queues = selectors.least_loaded_queues(team_ids=team_ids, now=now)
    teams = Team.objects.in_bulk(team_ids) if team_ids else {}
    reps = selectors.usernames(user_ids={entry[3] for heap in queues.values() for entry in heap})
    decisions: list[tuple[int, dict]] = []
    routed: list[services.RoutedLead] = []
    waiting: list[int] = []
    for row, route in matched:
        if route is None:
            decisions.append((row["id"], _details(None)))
            waiting.append(row["id"])
            continue
        if not route.automatic:
            decisions.append((row["id"], _details(route)))
            waiting.append(row["id"])
            continue
        chosen = None
        if route.team_id in teams and teams[route.team_id].kind == Team.Kind.SALES and (row["email"] or row["phone"]):
            chosen = selectors.take_least_loaded(queues.get(route.team_id, []))
        if chosen is None:
            why = (
                "no email or phone to reach it"
                if not (row["email"] or row["phone"])
                else "nobody in the team can take it"
            )
            decisions.append((row["id"], _details(route, waiting=why)))
            waiting.append(row["id"])
            continue
        rep_id, membership_id = chosen
        decisions.append((row["id"], _details(route, rep=reps[rep_id])))
        routed.append(
            services.RoutedLead(
                lead_id=row["id"],
                name=_name_of(row),
                grade=row["grade"],
                bucket=row["bucket"],
                rep_id=rep_id,
                membership_id=membership_id,
                team=teams[route.team_id],
                rule=route.name,
            )
        )
    services.leads_record_routed(decisions=decisions, at=now)
    services.handoffs_create_by_accord(routed=routed, definition_id=definition_id, now=now)
    if waiting:
        # The marketing queue: sales-ready leads wait there as MQLs.
        services.leads_transition(
            leads=Lead.objects.filter(pk__in=waiting).exclude(stage=Stage.MQL),
            to_stage=Stage.MQL,
            details={"reason": "sales-ready; waiting in the marketing queue"},
            at=now,
        )
    for_marketing = sum(1 for _, details in decisions if details["automatic"] is False)
    return {"handed_off": len(routed), "for_marketing": for_marketing, "waiting": len(waiting) - for_marketing}


def leads_route_safely(*, lead_ids: list[int], at: datetime | None = None) -> dict[str, int]:
    """:func:`leads_route` in a savepoint: should routing fail, the change that made the leads
    sales-ready (an import, a re-evaluation) still commits, and they wait for marketing."""
    try:
        with transaction.atomic():
            return leads_route(lead_ids=lead_ids, at=at)
    except Exception:
        log.exception("Routing %d lead(s) failed; they wait in the marketing queue", len(lead_ids))
        return {}


def routed_post_to_slack(*, handoff_ids: list[int]) -> int:
    """Post routed hand-offs to their team's Slack webhook, one message per team. Returns how
    many messages were posted. Raises OSError when Slack cannot be reached (the task retries)."""
    handoffs = list(
        Handoff.objects.filter(pk__in=handoff_ids).select_related("lead__source", "assigned_to", "team").order_by("id")
    )
    by_team: dict[int, list[Handoff]] = {}
    for handoff in handoffs:
        if handoff.team is not None and handoff.team.slack_webhook_url:
            by_team.setdefault(handoff.team_id, []).append(handoff)
    for items in by_team.values():
        lines = [
            f"• {handoff.lead} ({handoff.lead.source}) → {handoff.assigned_to.get_full_name() or handoff.assigned_to},"
            f" accept by {timezone.localtime(handoff.accept_due_at):%b %d, %H:%M}"
            for handoff in items
        ]
        post_message(
            url=items[0].team.slack_webhook_url, text=f"New leads routed to {items[0].team}:\n" + "\n".join(lines)
        )
    return len(by_team)
