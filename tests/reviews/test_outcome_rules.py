"""Which outcomes a lead may come out of the meeting with: one rule, read from the lead services
closing calls, offered by the form, refused by the recording service and asked again at close."""

import pytest

from leads import services as lead_services
from leads.exceptions import LeadError
from leads.models import Lead, Stage, Touch
from reviews import services
from reviews.exceptions import ItemsRefused
from reviews.forms import OutcomeForm
from reviews.models import Outcome, ReviewItem
from reviews.services import ItemOutcome
from tests.reviews import steps

pytestmark = pytest.mark.django_db

# What each stage may come out of the meeting with, written out by hand from the lead services'
# rules (advance: accepted, qualified or opportunity to won/lost; give up: accepted or qualified;
# reassign: any sales stage) so that a change to either side shows here.
EXPECTED = {
    Stage.HANDED_OFF: {Outcome.PROGRESSING, Outcome.STALLED, Outcome.REASSIGN},
    Stage.ACCEPTED: set(Outcome),
    Stage.QUALIFIED: set(Outcome),
    Stage.OPPORTUNITY: {Outcome.PROGRESSING, Outcome.STALLED, Outcome.WON, Outcome.LOST, Outcome.REASSIGN},
}


def expected(stage, outcome) -> bool:
    return outcome in EXPECTED.get(stage, set())


def agenda_item(cast, accepted_lead, open_meeting) -> ReviewItem:
    lead = accepted_lead()
    meeting = open_meeting()
    return meeting.items.select_related("lead").get(lead=lead)


def outcome_for(outcome, reasons, cast) -> ItemOutcome:
    reason = {Outcome.RECYCLE: reasons["not-now"], Outcome.DISQUALIFY: reasons["no-need"]}.get(outcome)
    return ItemOutcome(
        outcome=outcome, reason=reason, reassign_to=cast.teammate if outcome == Outcome.REASSIGN else None
    )


def apply_through_lead_services(lead, outcome, reasons, cast) -> bool:
    """Does the lead service closing would call accept this outcome for the lead as it is?"""
    try:
        if outcome in (Outcome.WON, Outcome.LOST):
            lead_services.lead_advance(lead=lead, by=cast.manager, to_stage=Stage(outcome))
        elif outcome == Outcome.RECYCLE:
            lead_services.lead_give_up(lead=lead, by=cast.manager, reason=reasons["not-now"])
        elif outcome == Outcome.DISQUALIFY:
            lead_services.lead_give_up(lead=lead, by=cast.manager, reason=reasons["no-need"])
        elif outcome == Outcome.REASSIGN:
            lead_services.lead_reassign(lead=lead, to=cast.teammate, by=cast.manager, reason="test")
        elif Lead.objects.get(pk=lead.pk).stage not in EXPECTED:
            return False  # progressing or stalled: nothing to apply, but only on a lead sales works
    except LeadError:
        return False
    return True


@pytest.mark.parametrize("outcome", list(Outcome), ids=str)
@pytest.mark.parametrize("stage", list(Stage), ids=str)
def test_the_outcomes_offered_are_those_the_lead_services_accept(
    cast, accepted_lead, open_meeting, reasons, stage, outcome
):
    item = agenda_item(cast, accepted_lead, open_meeting)
    Lead.objects.filter(pk=item.lead_id).update(stage=stage)
    item.lead.refresh_from_db()

    allowed = outcome in services.outcomes_allowed(item)
    assert allowed == expected(stage, outcome)
    # The same rule as the lead service closing calls: what is offered is what it accepts.
    assert allowed == apply_through_lead_services(Lead.objects.get(pk=item.lead_id), outcome, reasons, cast)


@pytest.mark.parametrize("outcome", list(Outcome), ids=str)
@pytest.mark.parametrize("stage", list(Stage), ids=str)
def test_recording_refuses_exactly_the_outcomes_not_offered(cast, accepted_lead, open_meeting, reasons, stage, outcome):
    item = agenda_item(cast, accepted_lead, open_meeting)
    Lead.objects.filter(pk=item.lead_id).update(stage=stage)
    change = outcome_for(outcome, reasons, cast)
    if expected(stage, outcome):
        assert steps.item_record(item=item, by=cast.manager, outcome=change).outcome == outcome
    else:
        with pytest.raises(ItemsRefused) as refused:
            steps.item_record(item=item, by=cast.manager, outcome=change)
        assert list(refused.value.errors) == [item.pk]
        item.refresh_from_db()
        assert item.outcome == "" and item.discussed_at is None


@pytest.mark.parametrize("stage", [Stage.HANDED_OFF, Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON], ids=str)
def test_the_form_offers_only_the_allowed_outcomes(cast, accepted_lead, open_meeting, stage):
    item = agenda_item(cast, accepted_lead, open_meeting)
    item.lead.stage = stage
    form = OutcomeForm(item=item, reason_choices=[], rep_choices=[])
    offered = {value for value, _label in form.fields["outcome"].widget.choices if value}
    assert offered == {o.value for o in EXPECTED.get(stage, set())}
    html = str(form["outcome"])
    assert ('value="won"' in html) == (Outcome.WON in EXPECTED.get(stage, set()))


def test_the_form_refuses_an_outcome_it_did_not_offer_with_a_plain_message(cast, handoff_to_rep, open_meeting):
    handoff = handoff_to_rep()
    meeting = open_meeting()
    item = meeting.items.select_related("lead").get(lead=handoff.lead)
    form = OutcomeForm(
        {f"item-{item.pk}-outcome": "won"}, item=item, reason_choices=[], rep_choices=[("", "Reassign to…")]
    )
    assert not form.is_valid()
    assert form.errors["outcome"] == ["“Won” is not possible for a lead in stage “Handed off”."]


def test_unresponsive_without_the_agreed_touches_is_refused_when_recorded(cast, accepted_lead, open_meeting, reasons):
    lead = accepted_lead()
    meeting = open_meeting()
    item = meeting.items.get(lead=lead)
    unresponsive = ItemOutcome(outcome=Outcome.RECYCLE, reason=reasons["unresponsive"], note="No answer")
    with pytest.raises(ItemsRefused, match=r"reached nobody .* before a lead counts as unresponsive; 0 so far"):
        steps.item_record(item=item, by=cast.manager, outcome=unresponsive)
    item.refresh_from_db()
    assert (item.outcome, item.reason, item.outcome_note, item.discussed_at) == ("", None, "", None)

    for _ in range(3):  # the agreement's default: three touches first
        lead_services.touch_log(lead=lead, by=cast.rep, kind=Touch.Kind.CALL)
    assert steps.item_record(item=item, by=cast.manager, outcome=unresponsive).reason == reasons["unresponsive"]


def test_closing_asks_every_rule_again_and_names_the_item_that_fails(cast, accepted_lead, open_meeting, reasons):
    fine, unresponsive = accepted_lead(), accepted_lead()
    meeting = open_meeting()
    for _ in range(3):
        lead_services.touch_log(lead=unresponsive, by=cast.rep, kind=Touch.Kind.CALL)
    steps.item_record(item=meeting.items.get(lead=fine), by=cast.manager, outcome=ItemOutcome(outcome=Outcome.WON))
    failing = steps.item_record(
        item=meeting.items.get(lead=unresponsive),
        by=cast.manager,
        outcome=ItemOutcome(outcome=Outcome.RECYCLE, reason=reasons["unresponsive"]),
    )
    Touch.objects.filter(lead=unresponsive).first().delete()  # the touches changed after recording

    with pytest.raises(ItemsRefused) as refused:
        services.review_meeting_close(meeting=meeting, by=cast.manager)

    assert list(refused.value.errors) == [failing.pk]
    assert "; 2 so far" in refused.value.errors[failing.pk]
    meeting.refresh_from_db()
    assert meeting.is_open
    assert Lead.objects.get(pk=fine.pk).stage == Stage.ACCEPTED
