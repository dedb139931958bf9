"""Batch services run by the Celery workers (and by `sweep_overdue` / `reassign_departed`):

- overdue hand-offs: remind the rep, escalate to the manager, then apply the expiry action;
- accepted leads with no first touch in time: remind the rep, then escalate;
- leads of people who left: reassign them within their team, else return them to marketing.

Each sweep works in batches with a fixed number of queries per batch and is idempotent.
Reminders are claimed through Reminder's unique constraint (see Reminder); lead moves claim
rows with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, while SQLite serialises writers."""

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from alignment.models import Membership, Team
from alignment.roles import GROUP_NAMES, LEADERS, Role
from leads import selectors, services, sla
from leads.models import SALES_STAGES, Handoff, Lead, LeadEvent, Notification, Reminder, Stage
from leads.notifications import Draft, names_preview, notify

User = get_user_model()
BATCH_SIZE = 1000
# Moving leads costs a few UPDATEs per new owner per batch, so bigger batches pay off.
REASSIGN_BATCH_SIZE = 2000


# --- Overdue hand-offs and first touches -------------------------------------------------


@dataclass(frozen=True)
class _Breach:
    handoff_id: int
    due_at: datetime
    lead_id: int
    lead_name: str
    rep_id: int
    team_id: int | None
    handed_off_by_id: int | None  # None: Accord routed it


def sweep_overdue(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Remind, escalate and expire what is overdue. Returns the counts of what this run did."""
    now = now or timezone.now()
    run = uuid.uuid4()
    counts: Counter = Counter(reminded=0, escalated=0, expired=0, reassigned=0)
    escalate_after = timedelta(hours=settings.ACCORD_ESCALATE_AFTER_HOURS)
    expire_after = timedelta(hours=settings.ACCORD_EXPIRE_AFTER_HOURS)
    remind_before = timedelta(minutes=settings.ACCORD_REMIND_BEFORE_MINUTES)

    pending = Handoff.objects.filter(status=Handoff.Status.PENDING)
    # Each level is its own pass over the hand-offs due for it and not yet claimed at it. The
    # rep is reminded as the due time nears, and the manager hears of a hand-off only once its
    # rep was reminded in an earlier run: a sweep that finds a hand-off long overdue (the beat
    # was off, demo data) reminds first and escalates next time, never the other way round.
    accept_levels = [
        (Reminder.Level.EXPIRE, pending.filter(accept_due_at__lt=now - expire_after)),
        (
            Reminder.Level.ESCALATE,
            pending.filter(accept_due_at__lt=now - escalate_after).filter(
                _reminded_before(Reminder.Breach.ACCEPT, "accept_due_at", now)
            ),
        ),
        (Reminder.Level.REMIND, pending.filter(accept_due_at__lt=now + remind_before)),
    ]
    for level, candidates in accept_levels:
        for batch in _unclaimed_batches(candidates, Reminder.Breach.ACCEPT, "accept_due_at", level, batch_size):
            with transaction.atomic():
                claimed = _claim(batch, Reminder.Breach.ACCEPT, level, run, now)
                _act_on_accept_breach(claimed, level, now, counts)

    untouched = Handoff.objects.filter(
        status=Handoff.Status.ACCEPTED, closed_at__isnull=True, first_touch_at__isnull=True
    )
    touch_levels = [
        (
            Reminder.Level.ESCALATE,
            untouched.filter(first_touch_due_at__lt=now - escalate_after).filter(
                _reminded_before(Reminder.Breach.FIRST_TOUCH, "first_touch_due_at", now)
            ),
        ),
        (Reminder.Level.REMIND, untouched.filter(first_touch_due_at__lt=now + remind_before)),
    ]
    for level, candidates in touch_levels:
        for batch in _unclaimed_batches(
            candidates, Reminder.Breach.FIRST_TOUCH, "first_touch_due_at", level, batch_size
        ):
            with transaction.atomic():
                claimed = _claim(batch, Reminder.Breach.FIRST_TOUCH, level, run, now)
                _act_on_first_touch_breach(claimed, level, now, counts)
    return dict(counts)


def _reminded_before(breach: str, due_field: str, now: datetime) -> Exists:
    """Hand-off filter: its rep was reminded of this due time before this moment."""
    return Exists(
        Reminder.objects.filter(
            handoff=OuterRef("pk"),
            breach=breach,
            due_at=OuterRef(due_field),
            level=Reminder.Level.REMIND,
            created_at__lt=now,
        )
    )


def _due_phrase(items: list[_Breach], now: datetime) -> str:
    """'overdue since Mar 03, 14:00' or 'due by Mar 03, 14:00' (the earliest of the items)."""
    first = min(b.due_at for b in items)
    return f"{'overdue since' if first <= now else 'due by'} {timezone.localtime(first):%b %d, %H:%M}"


def _unclaimed_batches(candidates: QuerySet, breach: str, due_field: str, level: int, batch_size: int):
    """Batches of breaches (one query each) not yet claimed at this level, in id order."""
    same_breach = Reminder.objects.filter(handoff=OuterRef("pk"), breach=breach, due_at=OuterRef(due_field))
    already = same_breach.filter(level=level)
    # A higher level supersedes a lower one: an escalated hand-off is not reminded afterwards.
    higher = same_breach.filter(level__gt=level)
    rows = candidates.filter(~Exists(already), ~Exists(higher)).order_by("id")
    last_id = 0
    while True:
        batch = [
            _Breach(
                handoff_id=row["id"],
                due_at=row[due_field],
                lead_id=row["lead_id"],
                lead_name=f"{row['lead__first_name']} {row['lead__last_name']}".strip(),
                rep_id=row["assigned_to_id"],
                team_id=row["team_id"],
                handed_off_by_id=row["handed_off_by_id"],
            )
            for row in rows.filter(id__gt=last_id).values(
                "id",
                due_field,
                "lead_id",
                "lead__first_name",
                "lead__last_name",
                "assigned_to_id",
                "team_id",
                "handed_off_by_id",
            )[:batch_size]
        ]
        if not batch:
            return
        yield batch
        last_id = batch[-1].handoff_id


def _claim(batch: list[_Breach], breach: str, level: int, run: uuid.UUID, now: datetime) -> list[_Breach]:
    """Insert this run's claims; whatever another worker claimed first is skipped."""
    Reminder.objects.bulk_create(
        [
            Reminder(handoff_id=b.handoff_id, breach=breach, level=level, due_at=b.due_at, created_at=now, run=run)
            for b in batch
        ],
        ignore_conflicts=True,
    )
    mine = set(
        Reminder.objects.filter(
            run=run, breach=breach, level=level, handoff_id__in=[b.handoff_id for b in batch]
        ).values_list("handoff_id", flat=True)
    )
    return [b for b in batch if b.handoff_id in mine]


def _people(ids) -> dict[int, object]:
    return {user.pk: user for user in User.objects.filter(pk__in=set(ids) - {None})}


def _name(person) -> str:
    return person.get_full_name() or person.username


def _managers_of(team_ids) -> dict[int, int]:
    """team id → id of its active manager."""
    return dict(
        Team.objects.filter(pk__in=set(team_ids) - {None}, manager__is_active=True).values_list("pk", "manager_id")
    )


def _sales_leaders() -> list:
    return list(User.objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.SALES_LEADER]).distinct())


def _by_person(breaches: list[_Breach], key) -> dict[int, list[_Breach]]:
    grouped = defaultdict(list)
    for breach in breaches:
        grouped[key(breach)].append(breach)
    return grouped


def _act_on_accept_breach(claimed: list[_Breach], level: int, now: datetime, counts: Counter) -> None:
    if not claimed:
        return
    inbox = reverse("inbox")
    if level == Reminder.Level.REMIND:
        reps = _people(b.rep_id for b in claimed)
        notify(
            [
                Draft(
                    recipient=reps[rep_id],
                    kind=Notification.Kind.REMINDER,
                    message=f"{len(items)} lead(s) are waiting for you to accept or reject "
                    f"({_due_phrase(items, now)}): {names_preview([b.lead_name for b in items])}.",
                    link=inbox,
                    subject=f"Reminder: {len(items)} lead(s) waiting for your decision",
                )
                for rep_id, items in _by_person(claimed, lambda b: b.rep_id).items()
            ]
        )
        counts["reminded"] += len(claimed)
    elif level == Reminder.Level.ESCALATE:
        _escalate(claimed, "still not accepted or rejected", counts)
    else:
        _expire(claimed, now, counts)


def _act_on_first_touch_breach(claimed: list[_Breach], level: int, now: datetime, counts: Counter) -> None:
    if not claimed:
        return
    if level == Reminder.Level.REMIND:
        reps = _people(b.rep_id for b in claimed)
        notify(
            [
                Draft(
                    recipient=reps[rep_id],
                    kind=Notification.Kind.REMINDER,
                    message=f"{len(items)} accepted lead(s) still need a first touch "
                    f"({_due_phrase(items, now)}): {names_preview([b.lead_name for b in items])}.",
                    link=reverse("inbox") + "?status=accepted",
                    subject=f"Reminder: first touch on {len(items)} lead(s)",
                )
                for rep_id, items in _by_person(claimed, lambda b: b.rep_id).items()
            ]
        )
        counts["reminded"] += len(claimed)
    else:
        _escalate(claimed, "accepted but not contacted", counts)


def _escalate(claimed: list[_Breach], what: str, counts: Counter) -> None:
    """Tell each rep's manager (a sales leader when the team has none) about the breaches, and
    the rep, in the app, that they were told."""
    managers = _managers_of(b.team_id for b in claimed)
    leaders = None
    people = _people([b.rep_id for b in claimed] + list(managers.values()))
    drafts = []
    for (team_id, rep_id), items in _by_person(claimed, lambda b: (b.team_id, b.rep_id)).items():
        rep = people[rep_id]
        if team_id in managers:
            recipients = [people[managers[team_id]]]
            told = f"Your manager {_name(recipients[0])} was"
        else:
            leaders = leaders if leaders is not None else _sales_leaders()
            recipients = leaders
            told = "The sales leaders were"
        if recipients:
            drafts.append(
                Draft(
                    recipient=rep,
                    kind=Notification.Kind.ESCALATION_NOTICE,
                    message=f"{told} told that {len(items)} of your lead(s) are {what}: "
                    f"{names_preview([b.lead_name for b in items])}.",
                    link=reverse("inbox"),
                    subject=f"Your manager was told: {len(items)} lead(s) {what}",
                )
            )
        for recipient in recipients:
            drafts.append(
                Draft(
                    recipient=recipient,
                    kind=Notification.Kind.ESCALATION,
                    message=f"{_name(rep)} has {len(items)} lead(s) {what}: "
                    f"{names_preview([b.lead_name for b in items])}.",
                    link=reverse("inbox"),
                    subject=f"Escalation: {len(items)} lead(s) {what}",
                )
            )
    notify(drafts)
    counts["escalated"] += len(claimed)


def _expire(claimed: list[_Breach], now: datetime, counts: Counter) -> None:
    """The accept time ran out: reassign within the team, or return the leads to marketing."""
    # Lock what is still pending: a rep who decided at the last moment keeps the lead.
    still_pending = set(
        Handoff.objects.filter(pk__in=[b.handoff_id for b in claimed], status=Handoff.Status.PENDING)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    claimed = [b for b in claimed if b.handoff_id in still_pending]
    if sla.terms().expiry_action == "reassign":
        moved, unplaced = _reassign_within_teams(
            leads=list(Lead.objects.filter(pk__in=[b.lead_id for b in claimed], stage=Stage.HANDED_OFF)),
            exclude={b.lead_id: b.rep_id for b in claimed},
            now=now,
            reason="expired: accept time ran out",
        )
        counts["reassigned"] += moved
        left = [b for b in claimed if b.lead_id in unplaced]
    else:
        left = claimed
    if not left:
        return
    handoff_ids = [b.handoff_id for b in left]
    Handoff.objects.filter(pk__in=handoff_ids, status=Handoff.Status.PENDING).update(
        status=Handoff.Status.EXPIRED, decided_at=now
    )
    _return_to_marketing([b.lead_id for b in left], now=now, kind=LeadEvent.Kind.EXPIRED, reason="accept time ran out")
    people = _people([b.rep_id for b in left] + [b.handed_off_by_id for b in left])
    drafts = []
    for rep_id, items in _by_person(left, lambda b: b.rep_id).items():
        drafts.append(
            Draft(
                recipient=people[rep_id],
                kind=Notification.Kind.EXPIRED,
                message=f"The accept time ran out on {len(items)} lead(s), now back with marketing: "
                f"{names_preview([b.lead_name for b in items])}.",
            )
        )
    for marketer_id, items in _by_person(left, lambda b: b.handed_off_by_id).items():
        if marketer_id is None:
            continue  # routed by Accord: nobody handed them off; they wait in the marketing queue
        drafts.append(
            Draft(
                recipient=people[marketer_id],
                kind=Notification.Kind.EXPIRED,
                message=f"Sales did not decide on {len(items)} lead(s) you handed off in time; they are back in "
                f"your queue: {names_preview([b.lead_name for b in items])}.",
                link=reverse("lead_list") + "?stage=mql",
                subject=f"{len(items)} hand-off(s) expired",
            )
        )
    notify(drafts)
    counts["expired"] += len(left)


# --- Leads of people who left ------------------------------------------------------------


def departed_owner() -> Q:
    """Lead filter: its owner has been deactivated, or no longer belongs to the lead's team
    (and is not its manager)."""
    current_member = Membership.objects.filter(
        user=OuterRef("owner_id"), team=OuterRef("team_id"), ended_at__isnull=True
    )
    return Q(owner__is_active=False) | (Q(team__isnull=False) & ~Exists(current_member) & ~Q(team__manager=F("owner")))


def reassign_departed(
    *, person_id: int | None = None, now: datetime | None = None, batch_size: int = REASSIGN_BATCH_SIZE
) -> dict[str, int]:
    """Move every open lead (and its open hand-off) owned by someone who left to an active rep
    of the same team, else the team's manager, else back to marketing. `person_id` limits the
    sweep to one person (run right after their deactivation)."""
    now = now or timezone.now()
    counts = Counter(reassigned=0, returned_to_marketing=0)
    suspects = [person_id] if person_id is not None else _departure_suspects()
    # Every lead of a batch leaves the departed set (new owner, or back to marketing), so the
    # loop ends; on PostgreSQL, rows another worker holds are skipped, not waited for.
    while suspects:
        with transaction.atomic():
            leads = _lock_departed_batch(suspects=suspects, batch_size=batch_size)
            if not leads:
                break
            moved, unplaced = _reassign_within_teams(
                leads=leads,
                exclude={lead.pk: lead.owner_id for lead in leads},
                now=now,
                reason=None,
            )
            counts["reassigned"] += moved
            if unplaced:
                _return_unplaced(leads=[lead for lead in leads if lead.pk in unplaced], now=now)
                counts["returned_to_marketing"] += len(unplaced)
    return dict(counts)


def _departure_suspects() -> list[int]:
    """People who may own leads they should not: deactivated, or with a membership that ended.
    A short list, so each batch reads only their leads (through the owner index)."""
    return list(
        User.objects.filter(Q(is_active=False) | Q(memberships__ended_at__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
    )


def _lock_departed_batch(*, suspects: list[int], batch_size: int) -> list[Lead]:
    rows = Lead.objects.filter(owner_id__in=suspects, stage__in=SALES_STAGES).filter(departed_owner())
    return list(
        rows.select_related("owner")
        .only(
            "id",
            "first_name",
            "last_name",
            "stage",
            "team_id",
            "owner__username",
            "owner__is_active",
            "owner__first_name",
            "owner__last_name",
        )
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))[:batch_size]
    )


def _reassign_within_teams(
    *, leads: list[Lead], exclude: dict[int, int], now: datetime, reason: str | None
) -> tuple[int, set[int]]:
    """Give each lead to the least-loaded active rep of its team (ties: the one served longest
    ago, then round robin), else to the team's active manager. `exclude` maps lead → the person
    it must not go back to. Returns how many moved and the ids of leads nobody can take."""
    if not leads:
        return 0, set()
    team_of = _team_for_leads(leads)
    candidates = selectors.least_loaded_queues(team_ids=set(team_of.values()) - {None}, now=now)
    managers = _managers_of(team_of.values())
    moves: list[tuple[Lead, int]] = []  # (lead, new owner id)
    unplaced: set[int] = set()
    touched_memberships: set[int] = set()
    for lead in leads:
        team_id = team_of.get(lead.pk)
        chosen = selectors.take_least_loaded(candidates.get(team_id, []), exclude=exclude.get(lead.pk))
        if chosen is not None:
            user_id, membership_id = chosen
            touched_memberships.add(membership_id)
            moves.append((lead, user_id))
        elif team_id in managers and managers[team_id] != exclude.get(lead.pk):
            moves.append((lead, managers[team_id]))
        else:
            unplaced.add(lead.pk)
        lead.team_id = team_id
    if moves:
        services.leads_reassign(moves=moves, reason=reason, now=now)
        Membership.objects.filter(pk__in=touched_memberships).update(last_assigned_at=now)
    return len(moves), unplaced


def _team_for_leads(leads: list[Lead]) -> dict[int, int | None]:
    """A lead's own team; for a lead without one, the team its owner last belonged to."""
    orphans = {lead.owner_id for lead in leads if lead.team_id is None}
    last_team = {}
    if orphans:
        for user_id, team_id in (
            Membership.objects.filter(user_id__in=orphans, team__kind=Team.Kind.SALES)
            .order_by("user_id", "-joined_at")
            .values_list("user_id", "team_id")
        ):
            last_team.setdefault(user_id, team_id)
    return {lead.pk: lead.team_id or last_team.get(lead.owner_id) for lead in leads}


def _return_to_marketing(lead_ids: list[int], *, now: datetime, kind: str, reason: str) -> None:
    """Leads nobody in sales will take go back to the marketing queue (stage MQL, no owner),
    through the guarded bulk transition."""
    services.leads_transition(
        leads=Lead.objects.filter(pk__in=lead_ids, stage__in=SALES_STAGES),
        to_stage=Stage.MQL,
        kind=kind,
        details={"reason": reason},
        fields={"owner": None, "team": None},
        at=now,
    )


def _return_unplaced(*, leads: list[Lead], now: datetime) -> None:
    """A team with no active rep and no manager: its leads go back to marketing, open hand-offs
    are withdrawn or closed, and the leaders are told."""
    ids = [lead.pk for lead in leads]
    Handoff.objects.filter(lead_id__in=ids, status=Handoff.Status.PENDING).update(
        status=Handoff.Status.WITHDRAWN, decided_at=now
    )
    Handoff.objects.filter(lead_id__in=ids, status=Handoff.Status.ACCEPTED, closed_at__isnull=True).update(
        closed_at=now
    )
    _return_to_marketing(ids, now=now, kind=LeadEvent.Kind.RETURNED, reason="departed: nobody left in the team")
    leaders = User.objects.filter(is_active=True, groups__name__in=[GROUP_NAMES[role] for role in LEADERS]).distinct()
    owners = sorted({lead.owner.get_full_name() or lead.owner.username for lead in leads})
    notify(
        [
            Draft(
                recipient=leader,
                kind=Notification.Kind.UNOWNED,
                message=f"{len(leads)} lead(s) of {names_preview(owners)}, who left, went back to the marketing "
                "queue: their team has no active rep or manager.",
                link=reverse("lead_list") + "?stage=mql",
                subject=f"{len(leads)} lead(s) of departed staff returned to marketing",
            )
            for leader in leaders
        ]
    )
