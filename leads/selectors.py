"""Reads, each already scoped to the person asking."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from alignment import policies
from alignment.models import LeadProperty, Membership, QualificationDefinition, RejectionReason, Team
from alignment.roles import GROUP_NAMES, Role
from alignment.selectors import working_reps
from leads.models import SALES_STAGES, Handoff, Lead, LeadEvent, Notification

User = get_user_model()


def leads_visible_to(*, user) -> QuerySet[Lead]:
    """Leaders and marketing see every lead; a manager the leads of the teams they manage and
    their own; a rep the leads they own (alignment.policies)."""
    return policies.visible(Lead.objects.all(), user, team="team", person="owner")


def handoffs_visible_to(*, user) -> QuerySet[Handoff]:
    return policies.visible(Handoff.objects.all(), user, team="team", person="assigned_to")


def service_level_breached(now: datetime | None = None) -> Q:
    """Hand-off filter: decided (or expired) after its accept time, still pending past it, or
    first touched after its first-touch time (or not yet, past it). Withdrawn ones are not
    judged. The dashboard counts the same breaches per rep."""
    now = now or timezone.now()
    status = Handoff.Status
    return ~Q(status=status.WITHDRAWN) & (
        Q(decided_at__gt=F("accept_due_at"))
        | Q(status=status.PENDING, accept_due_at__lt=now)
        | Q(status=status.ACCEPTED, first_touch_at__gt=F("first_touch_due_at"))
        | Q(status=status.ACCEPTED, first_touch_at__isnull=True, first_touch_due_at__lt=now)
    )


def inbox_for(*, user) -> QuerySet[Handoff]:
    """Hand-offs waiting on a decision or being worked: what a rep (or their manager) acts on."""
    return (
        handoffs_visible_to(user=user)
        .filter(status__in=[Handoff.Status.PENDING, Handoff.Status.ACCEPTED], closed_at__isnull=True)
        .select_related("lead__source", "lead__campaign", "assigned_to", "handed_off_by", "team")
        # Pending before accepted; among them the highest priority first, then the oldest due.
        .order_by("-status", F("lead__priority").desc(nulls_last=True), "accept_due_at", "id")
    )


def outcome_feed(*, user) -> QuerySet[Handoff]:
    """Every hand-off the viewer may see with what became of it, newest first."""
    return (
        handoffs_visible_to(user=user)
        .select_related(
            "lead__source",
            "lead__campaign",
            "assigned_to",
            "handed_off_by",
            "decided_by",
            "reason",
            "team",
            "definition",
        )
        .order_by("-created_at", "-id")
    )


def lead_events(*, lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("-created_at", "-id")


def rejection_reasons_in_force() -> QuerySet[RejectionReason]:
    """The reasons the active definition agreed (all active ones while none is active)."""
    reasons = RejectionReason.objects.filter(is_active=True).order_by("position", "label")
    agreed = QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
    if agreed.exists():
        reasons = reasons.filter(definitions__in=agreed)
    return reasons


def active_reps() -> QuerySet:
    """People who may receive a hand-off: active accounts in the sales rep group."""
    return (
        User.objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.SALES_REP])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def sales_teams() -> QuerySet[Team]:
    return Team.objects.filter(kind=Team.Kind.SALES).order_by("name")


def current_team_of(*, user) -> Team | None:
    membership = (
        Membership.objects.filter(user=user, ended_at__isnull=True, team__kind=Team.Kind.SALES)
        .select_related("team")
        .order_by("joined_at")
        .first()
    )
    return membership.team if membership else None


def least_loaded_reps(*, team_ids) -> QuerySet[Membership]:
    """The working reps of the teams (alignment.selectors.working_reps), least loaded first; on
    equal load the rep who was assigned longest ago comes first (round robin). Load is the open
    sales work a rep owns. Routing and the sweeps' reassignments both choose from this."""
    open_leads = (
        Lead.objects.filter(owner=OuterRef("user_id"), stage__in=SALES_STAGES)
        .order_by()
        .values("owner")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        working_reps()
        .filter(team_id__in=team_ids)
        .annotate(load=Coalesce(Subquery(open_leads, output_field=IntegerField()), Value(0)))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "id")
    )


def routing_candidates(*, team: Team) -> QuerySet[Membership]:
    """Who a hand-off to ``team`` may go to, the least loaded first."""
    return least_loaded_reps(team_ids=[team.pk])


def notifications_for(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_notification_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def property_values(*, lead: Lead) -> list[tuple[str, str]]:
    """The lead's property values as a person reads them, (label, value), in the properties'
    order (one query)."""
    values = lead.properties or {}
    shown = []
    for key, label in LeadProperty.objects.values_list("key", "label"):
        if key in values and values[key] not in (None, ""):
            value = values[key]
            shown.append((label, ("yes" if value else "no") if isinstance(value, bool) else str(value)))
    return shown
