"""Which leads' outcomes are known, by the success chosen, and the commands' refusals."""

import pytest
from django.core.management import CommandError, call_command

from alignment.models import QualificationDefinition
from leads import services
from leads.learning import known_outcomes
from leads.models import Lead, Stage

pytestmark = pytest.mark.django_db


def outcomes(outcome: str) -> dict[int, bool]:
    return dict(known_outcomes(outcome=outcome).values_list("id", "success"))


def test_won_counts_won_against_lost_and_disqualified_and_leaves_open_leads_out(cast, make_lead):
    won, lost, disqualified, open_lead = (make_lead() for _ in range(4))
    Lead.objects.filter(pk=won.pk).update(stage=Stage.WON)
    Lead.objects.filter(pk=lost.pk).update(stage=Stage.LOST)
    Lead.objects.filter(pk=disqualified.pk).update(stage=Stage.DISQUALIFIED)
    assert outcomes("won") == {won.pk: True, lost.pk: False, disqualified.pk: False}
    assert open_lead.pk not in outcomes("won")


def test_accepted_counts_a_decided_hand_off_and_leaves_pending_ones_out(cast, reasons, handoff_to_rep):
    accepted, rejected, pending = handoff_to_rep(), handoff_to_rep(), handoff_to_rep()
    services.handoff_accept(handoff=accepted, by=cast.rep)
    reason = next(r for r in reasons.values() if r.phase == "before_working")
    services.handoff_reject(handoff=rejected, by=cast.rep, reason=reason, note="Not a fit")
    assert outcomes("accepted") == {accepted.lead_id: True, rejected.lead_id: False}
    assert pending.lead_id not in outcomes("accepted")


def test_qualified_counts_reaching_sql_even_when_the_lead_was_lost_later(cast, reasons, handoff_to_rep):
    reached, rejected = handoff_to_rep(), handoff_to_rep()
    services.handoff_accept(handoff=reached, by=cast.rep)
    services.lead_advance(lead=reached.lead, by=cast.rep, to_stage=Stage.QUALIFIED)
    services.lead_advance(lead=Lead.objects.get(pk=reached.lead_id), by=cast.rep, to_stage=Stage.LOST)
    reason = next(r for r in reasons.values() if r.phase == "before_working")
    services.handoff_reject(handoff=rejected, by=cast.rep, reason=reason, note="Not a fit")
    assert outcomes("qualified") == {reached.lead_id: True, rejected.lead_id: False}


def test_suggesting_with_too_few_outcomes_refuses_and_drafts_nothing(cast, make_lead):
    for _ in range(5):
        Lead.objects.filter(pk=make_lead().pk).update(stage=Stage.WON)
    with pytest.raises(CommandError, match="200"):
        call_command("suggest_definition", "--json")
    assert not QualificationDefinition.objects.exists()


def test_backtesting_an_unknown_version_says_so():
    with pytest.raises(CommandError, match="no definition version 99"):
        call_command("backtest_definition", "99")
