"""Reads, each already scoped to the person asking."""

import heapq
import itertools
from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from alignment import policies
from alignment.models import LeadProperty, Membership, QualificationDefinition, RejectionReason, Team
from alignment.roles import GROUP_NAMES, Role
from alignment.selectors import working_reps
from leads.evaluation import readiness_of
from leads.models import SALES_STAGES, Campaign, Handoff, Lead, LeadEvent, Notification, Reminder, Source

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


# What a work-queue row shows of a hand-off besides itself.
QUEUE_ROW_RELATIONS = ("lead__source", "lead__campaign", "assigned_to", "handed_off_by", "team")
# A hand-off's next deadline: the accept time while pending, the first-touch time while
# accepted and untouched, else none.
_DUE = Case(
    When(status=Handoff.Status.PENDING, then=F("accept_due_at")),
    When(first_touch_at__isnull=True, then=F("first_touch_due_at")),
    default=None,
    output_field=DateTimeField(),
)


def inbox_for(*, user) -> QuerySet[Handoff]:
    """Hand-offs waiting on a decision or being worked: what a rep (or their manager) acts on,
    the highest priority first, then the soonest due (``due_at``, each row's next deadline)."""
    return (
        handoffs_visible_to(user=user)
        .open()
        .select_related(*QUEUE_ROW_RELATIONS)
        .annotate(due_at=_DUE)
        .order_by(F("lead__priority").desc(nulls_last=True), F("due_at").asc(nulls_last=True), "id")
    )


def queue_rows(handoffs: QuerySet[Handoff]) -> list[Handoff]:
    """The rows of ``handoffs`` (a page of :func:`inbox_for`, in its order) with, on each,
    ``why_ready``: one line saying why its lead is sales-ready under the active definition (or the
    override reason when marketing handed it off anyway). The page is chosen first, by id, and
    only its rows are read in full: ordering a rep's thousands of open hand-offs with every
    related row joined cost twice as much. Four queries whatever the number of rows."""
    ids = list(handoffs.select_related(None).values_list("pk", flat=True))
    by_id = Handoff.objects.select_related(*QUEUE_ROW_RELATIONS).annotate(due_at=_DUE).in_bulk(ids)
    rows = [by_id[pk] for pk in ids if pk in by_id]
    readiness = readiness_of([row.lead for row in rows if not row.override])
    for row in rows:
        row.why_ready = f"Handed off anyway: {row.override_reason}" if row.override else readiness.get(row.lead_id, "")
    return rows


def pending_handoffs_of(*, user, ids) -> QuerySet[Handoff]:
    """The hand-offs among ``ids`` that wait on ``user``'s own decision (bulk accept)."""
    return (
        handoffs_visible_to(user=user)
        .filter(pk__in=ids, assigned_to=user, status=Handoff.Status.PENDING)
        .select_related("lead", "team")
    )


def reminders_for(*, user, limit: int = 5) -> list[Reminder]:
    """The service-level reminders and escalations still standing on the hand-offs ``user``
    acts on (a rep's own; a manager's team's), newest first, one per hand-off and breach (the
    highest level). Standing: the due time it was sent for is still the hand-off's and still
    unmet. One query."""
    breach = Reminder.Breach
    standing = Q(breach=breach.ACCEPT, handoff__status=Handoff.Status.PENDING, due_at=F("handoff__accept_due_at")) | Q(
        breach=breach.FIRST_TOUCH,
        handoff__status=Handoff.Status.ACCEPTED,
        handoff__closed_at__isnull=True,
        handoff__first_touch_at__isnull=True,
        due_at=F("handoff__first_touch_due_at"),
    )
    # The visibility rule is applied to the joined hand-off, so the database starts from the
    # viewer's hand-offs rather than from every pending one; the leads and reps are joined to the
    # few reminders found, not to each of the viewer's hand-offs on the way.
    newest = ("-created_at", "-level", "-id")
    found = policies.visible(
        Reminder.objects.filter(standing, level__in=[Reminder.Level.REMIND, Reminder.Level.ESCALATE]),
        user,
        team="handoff__team",
        person="handoff__assigned_to",
    ).order_by(*newest)[: limit * 3]
    rows = (
        Reminder.objects.filter(pk__in=found.values("pk"))
        .select_related("handoff__lead", "handoff__assigned_to")
        .order_by(*newest)
    )
    shown: dict[tuple[int, str], Reminder] = {}
    for reminder in rows:
        key = (reminder.handoff_id, reminder.breach)
        if key not in shown or reminder.level > shown[key].level:
            shown[key] = reminder
    return list(shown.values())[:limit]


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
    """The lead's history, newest first; each SALES_READY event carries ``definition_pk``, the
    version it names (details["version"]), read in the same query for the timeline's link."""
    named_version = QualificationDefinition.objects.filter(
        version=Cast(KeyTextTransform("version", OuterRef("details")), IntegerField())
    ).values("pk")[:1]
    return (
        lead.events.select_related("actor")
        .annotate(
            definition_pk=Case(
                When(kind=LeadEvent.Kind.SALES_READY, then=Subquery(named_version)),
                default=None,
                output_field=IntegerField(),
            )
        )
        .order_by("-created_at", "-id")
    )


def rejection_reasons_in_force() -> QuerySet[RejectionReason]:
    """The reasons the active definition agreed (all active ones while none is active)."""
    active = QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
    # One query: agreed by the active version, or any active reason while no version is active.
    return (
        RejectionReason.objects.filter(is_active=True)
        .filter(Exists(active.filter(rejection_reasons=OuterRef("pk"))) | ~Exists(active))
        .order_by("position", "label")
    )


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


def least_loaded_reps(*, team_ids, now: datetime | None = None) -> QuerySet[Membership]:
    """The working reps of the teams who may receive leads now (alignment.selectors.working_reps:
    not away), least loaded first; on equal load the rep who was assigned longest ago comes
    first (round robin). Load is the open sales work a rep owns. Hand-offs to a team, routing and
    the sweeps' reassignments all choose from this (one at a time, or many through
    :func:`least_loaded_queues`)."""
    open_leads = (
        Lead.objects.filter(owner=OuterRef("user_id"), stage__in=SALES_STAGES)
        .order_by()
        .values("owner")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        working_reps(available_at=now or timezone.now())
        .filter(team_id__in=team_ids)
        .annotate(load=Coalesce(Subquery(open_leads, output_field=IntegerField()), Value(0)))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "id")
    )


_SEQUENCE = itertools.count(1)  # tie-break that keeps heap order stable


def least_loaded_queues(*, team_ids, now: datetime | None = None) -> dict[int, list]:
    """For choosing many reps at once: per team, a heap of (open load, served-before flag,
    tie-break, user id, membership id) of :func:`least_loaded_reps`, in one query. Take from
    it with :func:`take_least_loaded`, which counts each lead given."""
    if not team_ids:
        return {}
    rows = least_loaded_reps(team_ids=team_ids, now=now).values_list("team_id", "load", "user_id", "pk")
    heaps: dict[int, list] = defaultdict(list)
    for team_id, load, user_id, membership_id in rows:
        # Never served sorts before served; the query's order is the round robin among equals.
        heapq.heappush(heaps[team_id], (load, 0, next(_SEQUENCE), user_id, membership_id))
    return heaps


def take_least_loaded(heap: list, *, exclude: int | None = None) -> tuple[int, int] | None:
    """The least-loaded rep of a heap of :func:`least_loaded_queues` other than ``exclude``, as
    (user id, membership id), counted one lead busier; None when there is none."""
    skipped = []
    while heap and heap[0][3] == exclude:
        skipped.append(heapq.heappop(heap))
    chosen = None
    if heap:
        load, _served, _seq, user_id, membership_id = heapq.heappop(heap)
        heapq.heappush(heap, (load + 1, 1, next(_SEQUENCE), user_id, membership_id))
        chosen = (user_id, membership_id)
    for entry in skipped:
        heapq.heappush(heap, entry)
    return chosen


def routing_candidates(*, team: Team) -> QuerySet[Membership]:
    """Who a hand-off to ``team`` may go to, the least loaded first."""
    return least_loaded_reps(team_ids=[team.pk])


def usernames(*, user_ids) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=set(user_ids)).values_list("pk", "username")) if user_ids else {}


def routed_team_of(*, lead: Lead) -> Team | None:
    """The sales team the lead's latest routing decision named (for the hand-off form to
    propose), or None."""
    details = (
        LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ROUTED)
        .order_by("-created_at", "-id")
        .values_list("details", flat=True)
        .first()
    )
    team_id = (details or {}).get("team_id")
    return Team.objects.filter(pk=team_id, kind=Team.Kind.SALES).first() if isinstance(team_id, int) else None


def source_names() -> list[str]:
    """The names routing rules may give for sources (alignment.routing's catalogue)."""
    return list(Source.objects.order_by("name").values_list("name", flat=True))


def campaign_names() -> list[str]:
    return list(Campaign.objects.order_by("name").values_list("name", flat=True))


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
