"""Reads, each already scoped to the person asking. Every page reads in a constant number of
queries, whatever the number of items: aggregates are computed in the database."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from alignment import policies
from alignment.models import Membership, RejectionReason, Team
from alignment.roles import Role, has_role, is_leader
from alignment.selectors import working_reps
from reviews.models import ReviewItem, ReviewMeeting, ReviewReminder

User = get_user_model()


def takes_part(*, user) -> bool:
    """Who has anything to do with lead reviews: sales people and the two leaders."""
    return bool(user.is_superuser or is_leader(user) or has_role(user, Role.SALES_MANAGER, Role.SALES_REP))


def sees_every_item(*, meeting: ReviewMeeting, user) -> bool:
    """The team's manager and the leaders see the whole agenda; a rep sees their own items."""
    return policies.sees_whole_team(user, meeting.team)


def sales_teams() -> QuerySet[Team]:
    return Team.objects.filter(kind=Team.Kind.SALES).order_by("name")


def meetings_visible_to(*, user) -> QuerySet[ReviewMeeting]:
    """Leaders see every meeting; a manager their teams' meetings; a rep the meetings of the
    teams they are in and any meeting with an item under their name."""
    meetings = ReviewMeeting.objects.all()
    if user.is_superuser or is_leader(user):
        return meetings
    scope = Q()
    if has_role(user, Role.SALES_MANAGER):
        scope |= Q(team__in=policies.teams_managed_by(user).values("pk"))
    if has_role(user, Role.SALES_MANAGER, Role.SALES_REP):
        scope |= Q(team__in=Membership.objects.filter(user=user, ended_at__isnull=True).values("team_id"))
        scope |= Q(Exists(ReviewItem.objects.filter(meeting=OuterRef("pk"), rep=user)))
    return meetings.filter(scope) if scope else meetings.none()


def meeting_list(*, user) -> QuerySet[ReviewMeeting]:
    """The meetings the viewer may see, newest first, with their coverage counted."""
    return (
        meetings_visible_to(user=user)
        .select_related("team", "closed_by")
        .annotate(
            item_count=Count("items"),
            updated_count=Count("items", filter=Q(items__updated_at__isnull=False)),
            discussed_count=Count("items", filter=Q(items__discussed_at__isnull=False)),
            stale_count=Count("items", filter=Q(items__carried_weeks__gte=2)),
        )
        .order_by("-week_start", "team__name")
    )


def teams_run_by(*, user) -> QuerySet[Team]:
    """Teams whose meetings the person may open and run."""
    return policies.teams_run_by(user).order_by("name")


def give_up_reasons() -> QuerySet[RejectionReason]:
    """The after-working reasons a meeting may recycle or disqualify a lead with."""
    return RejectionReason.objects.filter(
        is_active=True,
        phase=RejectionReason.Phase.AFTER_WORKING,
        disposition__in=[RejectionReason.Disposition.RECYCLE, RejectionReason.Disposition.DISQUALIFY],
    ).order_by("position", "label")


def team_reps(*, team: Team) -> QuerySet:
    """The team's current, active sales reps: who may receive a reassigned lead."""
    return User.objects.filter(pk__in=working_reps().filter(team=team).values("user_id")).order_by(
        "first_name", "last_name", "username"
    )


@dataclass
class Coverage:
    """Share of items with a rep update, discussed, and carried over two weeks or more."""

    total: int = 0
    updated: int = 0
    discussed: int = 0
    stale: int = 0

    @staticmethod
    def _share(part: int, total: int) -> int:
        return round(100 * part / total) if total else 0

    @property
    def updated_pct(self) -> int:
        return self._share(self.updated, self.total)

    @property
    def discussed_pct(self) -> int:
        return self._share(self.discussed, self.total)

    @property
    def stale_pct(self) -> int:
        return self._share(self.stale, self.total)

    def __iadd__(self, other: "Coverage") -> "Coverage":
        self.total += other.total
        self.updated += other.updated
        self.discussed += other.discussed
        self.stale += other.stale
        return self


_COVERAGE = {
    "total": Count("id"),
    "updated": Count("id", filter=Q(updated_at__isnull=False)),
    "discussed": Count("id", filter=Q(discussed_at__isnull=False)),
    "stale": Count("id", filter=Q(carried_weeks__gte=2)),
}


@dataclass
class RepRow:
    rep: object
    coverage: Coverage


def meeting_reps(*, meeting: ReviewMeeting) -> tuple[list[RepRow], Coverage]:
    """One row per rep on the agenda with their coverage, and the meeting's total: one query."""
    rows = (
        meeting.items.order_by()
        .values("rep_id")
        .annotate(**_COVERAGE)
        .values("rep_id", "rep__username", "rep__first_name", "rep__last_name", *_COVERAGE)
    )
    reps, total = [], Coverage()
    for row in rows:
        rep = User(
            pk=row["rep_id"],
            username=row["rep__username"],
            first_name=row["rep__first_name"],
            last_name=row["rep__last_name"],
        )
        coverage = Coverage(*(row[key] for key in _COVERAGE))
        total += coverage
        reps.append(RepRow(rep=rep, coverage=coverage))
    reps.sort(key=lambda r: ((r.rep.get_full_name() or r.rep.username).casefold(), r.rep.pk))
    return reps, total


def coverage_over_time(*, team: Team, weeks: int = 8) -> tuple[list[date], list[tuple[object, dict]]]:
    """Per rep, their coverage in each of the team's last `weeks` meetings: (weeks, rows) where
    each row is (rep, {week_start: Coverage}). One query for the weeks, one for the counts."""
    week_starts = list(
        ReviewMeeting.objects.filter(team=team).order_by("-week_start").values_list("week_start", flat=True)[:weeks]
    )
    rows = (
        ReviewItem.objects.filter(meeting__team=team, meeting__week_start__in=week_starts)
        .order_by()
        .values("rep_id", "meeting__week_start")
        .annotate(**_COVERAGE)
        .values("rep_id", "rep__username", "rep__first_name", "rep__last_name", "meeting__week_start", *_COVERAGE)
    )
    by_rep: dict[int, tuple[object, dict]] = {}
    for row in rows:
        _rep, cells = by_rep.setdefault(
            row["rep_id"],
            (
                User(
                    pk=row["rep_id"],
                    username=row["rep__username"],
                    first_name=row["rep__first_name"],
                    last_name=row["rep__last_name"],
                ),
                {},
            ),
        )
        cells[row["meeting__week_start"]] = Coverage(*(row[key] for key in _COVERAGE))
    ordered = sorted(by_rep.values(), key=lambda pair: (pair[0].get_full_name() or pair[0].username).casefold())
    return sorted(week_starts), ordered


def _items(meeting: ReviewMeeting) -> QuerySet[ReviewItem]:
    return meeting.items.select_related("lead", "reason", "reassign_to").order_by("lead__last_name", "lead_id")


def items_of_rep(*, meeting: ReviewMeeting, rep) -> QuerySet[ReviewItem]:
    return _items(meeting).filter(rep=rep)


@dataclass(frozen=True)
class ItemPlace:
    """Where an item sits on the manager's page: its rep's tab and the page of that tab."""

    rep_id: int
    page: int


def item_places(*, meeting: ReviewMeeting, item_ids: list[int], page_size: int) -> dict[int, ItemPlace]:
    """The tab and page of each of a few items (the ones a refused close names), in the order
    items_of_rep lists them: one query for the items, one count per item."""
    places = {}
    for item in meeting.items.filter(pk__in=item_ids).select_related("lead"):
        before = (
            meeting.items.filter(rep_id=item.rep_id)
            .filter(
                Q(lead__last_name__lt=item.lead.last_name)
                | Q(lead__last_name=item.lead.last_name, lead_id__lt=item.lead_id)
            )
            .count()
        )
        places[item.pk] = ItemPlace(rep_id=item.rep_id, page=before // page_size + 1)
    return places


def items_for_viewer(*, meeting: ReviewMeeting, user) -> QuerySet[ReviewItem]:
    """The items the viewer may read: all of them for the manager and leaders, else their own."""
    items = meeting.items.select_related("lead", "rep", "reason", "reassign_to").order_by("rep_id", "lead_id")
    if sees_every_item(meeting=meeting, user=user):
        return items
    return items.filter(rep=user)


def minutes_for_viewer(*, meeting: ReviewMeeting, user, discussed: bool) -> QuerySet[ReviewItem]:
    """The items the viewer may read that were discussed (decided first in the minutes), or
    those that were not, rep by rep in the order of the reps' names."""
    return (
        items_for_viewer(meeting=meeting, user=user)
        .filter(discussed_at__isnull=not discussed)
        .order_by("rep__first_name", "rep__last_name", "rep_id", "lead__last_name", "lead_id")
    )


def minutes_items(*, meeting: ReviewMeeting) -> QuerySet[ReviewItem]:
    return meeting.items.select_related("lead", "rep", "reason", "reassign_to").order_by(
        "rep__first_name", "rep__last_name", "rep_id", "lead__last_name", "lead_id"
    )


def reps_to_remind(*, meeting: ReviewMeeting) -> list[tuple[object, int]]:
    """Active reps with items still lacking an update and no reminder yet, with how many."""
    missing = dict(
        meeting.items.filter(updated_at__isnull=True)
        .exclude(rep__in=ReviewReminder.objects.filter(meeting=meeting).values("rep"))
        .order_by()
        .values("rep_id")
        .annotate(n=Count("id"))
        .values_list("rep_id", "n")
    )
    reps = User.objects.filter(pk__in=list(missing), is_active=True).order_by("pk")
    return [(rep, missing[rep.pk]) for rep in reps]


def attendees(*, meeting: ReviewMeeting) -> list:
    """The manager and every rep with an item on the agenda."""
    people = list(User.objects.filter(Q(pk=meeting.team.manager_id) | Q(review_items__meeting=meeting)).distinct())
    return sorted(people, key=lambda u: (u.pk != meeting.team.manager_id, u.get_full_name() or u.username))
