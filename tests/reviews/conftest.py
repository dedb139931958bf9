import pytest

from leads import services as lead_services
from leads.models import Lead
from reviews import services


@pytest.fixture
def accepted_lead(cast, handoff_to_rep):
    """A lead handed to `rep` (default cast.rep) and accepted: stage accepted, team Enterprise."""

    def make(rep=None, **fields):
        rep = rep or cast.rep
        handoff = handoff_to_rep(rep=rep, **fields)
        lead_services.handoff_accept(handoff=handoff, by=rep)
        return Lead.objects.get(pk=handoff.lead_id)

    return make


@pytest.fixture
def open_meeting(cast):
    def make(team=None, **kwargs):
        return services.review_meeting_open(team=team or cast.team, by=cast.manager, **kwargs)

    return make
