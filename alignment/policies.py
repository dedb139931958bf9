"""Who sees which leads, hand-offs, teams and meetings: the one answer every selector, view, admin
page and dashboard figure asks.

- Superusers, sales and marketing leaders and marketers see everything: marketing owns every
  lead until it is handed off and follows each hand-off's outcome.
- A sales manager sees the sales teams they **manage** (``Team.manager``) and what those teams
  hold, plus what is theirs by name. Being a member of a team, as a manager may be of a team
  someone else runs, gives no sight of the team's work: the team's manager answers for it.
- A sales rep sees what is theirs by name.
"""

from django.db.models import Q, QuerySet

from alignment.models import Team
from alignment.roles import Role, has_role, is_leader, is_marketing


def sees_everything(user) -> bool:
    return bool(user.is_superuser or is_leader(user) or is_marketing(user))


def teams_managed_by(user) -> QuerySet[Team]:
    """The sales teams ``user`` manages."""
    return Team.objects.filter(kind=Team.Kind.SALES, manager=user)


def sees_whole_team(user, team: Team) -> bool:
    """Whether ``user`` sees all of ``team``'s work (a meeting's whole agenda): its manager and
    the leaders."""
    return bool(user.is_superuser or is_leader(user) or team.manager_id == user.pk)


def runs(user, team: Team) -> bool:
    """Whether ``user`` runs ``team``'s work (opens and closes its meetings): its manager or a
    sales leader."""
    return bool(user.is_superuser or has_role(user, Role.SALES_LEADER) or team.manager_id == user.pk)


def teams_run_by(user) -> QuerySet[Team]:
    if user.is_superuser or has_role(user, Role.SALES_LEADER):
        return Team.objects.filter(kind=Team.Kind.SALES)
    return teams_managed_by(user)


def scope(user, *, team: str = "team", person: str = "owner") -> Q | None:
    """The filter of what ``user`` sees among rows that belong to a team (through the field path
    ``team``) and to a person (``person``): None means everything."""
    if sees_everything(user):
        return None
    mine = Q(**{person: user})
    if has_role(user, Role.SALES_MANAGER):
        return Q(**{f"{team}__in": teams_managed_by(user).values("pk")}) | mine
    if has_role(user, Role.SALES_REP):
        return mine
    return Q(pk__in=[])


def visible(queryset: QuerySet, user, *, team: str = "team", person: str = "owner") -> QuerySet:
    """``queryset`` narrowed to what ``user`` sees (see :func:`scope`)."""
    condition = scope(user, team=team, person=person)
    return queryset if condition is None else queryset.filter(condition)


def works_in_sales(user) -> bool:
    """Who works hand-offs in an inbox: sales reps and managers (and superusers)."""
    return bool(user.is_superuser or has_role(user, Role.SALES_REP, Role.SALES_MANAGER))


def follows_outcomes(user) -> bool:
    """Who follows what became of hand-offs: marketing, the leaders and sales managers."""
    return bool(user.is_superuser or is_marketing(user) or is_leader(user) or has_role(user, Role.SALES_MANAGER))
