"""Shared personas: one person per role, two sales teams, and a lead handed to each team. One
manager manages a team without being its member; the other is a member of a team they do not
manage."""

import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps

from alignment.models import RejectionReason, Team
from alignment.roles import Role
from leads import services
from tests.factories import LeadFactory, SourceFactory, TeamFactory, UserFactory, add_member


@dataclass
class Cast:
    cmo: object
    marketer: object
    vp: object
    manager: object
    rep: object
    teammate: object
    other_manager: object
    other_rep: object
    team: object
    other_team: object
    source: object


@pytest.fixture
def cast(db) -> Cast:
    team, other_team = TeamFactory(name="Enterprise"), TeamFactory(name="SMB", time_zone="Asia/Kolkata")
    people = {
        "cmo": UserFactory(username="cmo", role=Role.MARKETING_LEADER),
        "marketer": UserFactory(username="marketer", role=Role.MARKETER),
        "vp": UserFactory(username="vp-sales", role=Role.SALES_LEADER),
        "manager": UserFactory(username="manager", role=Role.SALES_MANAGER),
        "rep": UserFactory(username="rep", role=Role.SALES_REP),
        "teammate": UserFactory(username="teammate", role=Role.SALES_REP),
        "other_manager": UserFactory(username="other-manager", role=Role.SALES_MANAGER),
        "other_rep": UserFactory(username="other-rep", role=Role.SALES_REP),
    }
    add_member(team, people["manager"], manager=True)
    add_member(team, people["rep"])
    add_member(team, people["teammate"])
    # SMB's manager runs it without being one of its members, and Enterprise's manager is a
    # member of SMB who does not manage it: what a manager sees follows what they manage.
    Team.objects.filter(pk=other_team.pk).update(manager=people["other_manager"])
    other_team.refresh_from_db()
    add_member(other_team, people["manager"])
    add_member(other_team, people["other_rep"])
    return Cast(**people, team=team, other_team=other_team, source=SourceFactory())


@pytest.fixture
def reasons(db) -> dict[str, RejectionReason]:
    """The catalogue seeded by the data migration, by code. A transactional test flushes the
    database when it ends, data migrations' rows included, so reseed it when it is gone."""
    if not RejectionReason.objects.exists():
        importlib.import_module("alignment.migrations.0003_rejection_reasons").seed_reasons(apps, None)
    return {reason.code: reason for reason in RejectionReason.objects.all()}


@pytest.fixture
def make_lead(cast):
    def make(**fields):
        return LeadFactory(source=cast.source, **fields)

    return make


@pytest.fixture
def handoff_to_rep(cast, make_lead):
    """A pending hand-off from marketing to `rep`."""

    def make(rep=None, **lead_fields):
        return services.handoff_create(lead=make_lead(**lead_fields), by=cast.marketer, rep=rep or cast.rep)

    return make
