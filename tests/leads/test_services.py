from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.business_hours import BusinessCalendar, add_business_hours
from alignment.exceptions import NotAllowed
from leads import services
from leads.exceptions import HandoffConflict, InvalidTransition, LeadError
from leads.models import Handoff, Lead, LeadEvent, Notification, Stage, Touch
from outbox.models import OutboxMessage
from tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db


def events_of(lead):
    return list(LeadEvent.objects.filter(lead=lead).order_by("created_at", "id").values_list("kind", flat=True))


class TestLeadCreateAndUpdate:
    def test_it_normalizes_email_and_company_domain_and_logs_creation(self, cast):
        lead = services.lead_create(
            by=cast.marketer, source=cast.source, last_name="Lovelace", email="  Ada@Analytical.Example "
        )
        assert lead.email_normalized == "ada@analytical.example"
        assert lead.company_domain == "analytical.example"
        assert lead.stage == Stage.NEW
        assert events_of(lead) == [LeadEvent.Kind.CREATED]

    def test_free_mail_gives_no_company_domain(self, cast):
        lead = services.lead_create(by=cast.marketer, source=cast.source, last_name="Byron", email="byron@gmail.com")
        assert lead.company_domain == ""

    def test_a_name_is_optional_but_an_email_or_phone_is_not(self, cast):
        lead = services.lead_create(by=cast.marketer, source=cast.source, email="x@y.example")
        assert lead.full_name == "x@y.example"
        with pytest.raises(LeadError, match="email or a phone"):
            services.lead_create(by=cast.marketer, source=cast.source, first_name="Ada")
        assert Lead.objects.count() == 1

    def test_update_logs_each_changed_field(self, cast, make_lead):
        lead = make_lead(company="Old Co", email="a@old.example")
        services.lead_update(lead=lead, by=cast.marketer, fields={"company": "New Co", "email": "A@New.example"})
        lead.refresh_from_db()
        assert lead.company_domain == "new.example"
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.UPDATED)
        assert event.details["changes"]["company"] == ["Old Co", "New Co"]

    def test_update_refuses_workflow_fields(self, cast, make_lead):
        lead = make_lead()
        with pytest.raises(LeadError, match="stage"):
            services.lead_update(lead=lead, by=cast.marketer, fields={"stage": Stage.WON})
        lead.refresh_from_db()
        assert lead.stage == Stage.MQL


class TestTransitions:
    def test_a_disallowed_move_is_refused_and_logs_nothing(self, cast, make_lead):
        lead = make_lead(stage=Stage.NEW)
        with pytest.raises(InvalidTransition, match="cannot move"):
            services.lead_transition(lead=lead, to_stage=Stage.WON, by=cast.marketer)
        lead.refresh_from_db()
        assert lead.stage == Stage.NEW
        assert not LeadEvent.objects.filter(lead=lead).exists()

    def test_an_allowed_move_is_saved_and_logged(self, cast, make_lead):
        lead = make_lead(stage=Stage.NEW)
        services.lead_transition(lead=lead, to_stage=Stage.MQL, by=cast.marketer)
        event = LeadEvent.objects.get(lead=lead)
        assert (event.from_stage, event.to_stage, event.actor) == (Stage.NEW, Stage.MQL, cast.marketer)


class TestHandoffCreate:
    def test_handing_to_a_named_rep(self, cast, make_lead):
        lead = make_lead()
        before = timezone.now()
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, note="Asked for pricing")
        lead.refresh_from_db()
        assert (lead.stage, lead.owner, lead.team) == (Stage.HANDED_OFF, cast.rep, cast.team)
        assert handoff.status == Handoff.Status.PENDING
        expected = add_business_hours(before, 8, BusinessCalendar.for_team(cast.team))
        assert (
            expected
            <= handoff.accept_due_at
            <= add_business_hours(timezone.now(), 8, BusinessCalendar.for_team(cast.team))
        )
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.HANDED_OFF)
        assert event.details["note"] == "Asked for pricing"

    def test_handing_to_a_team_picks_the_least_loaded_rep(self, cast, make_lead):
        services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
        handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, team=cast.team)
        assert handoff.assigned_to == cast.teammate
        assert handoff.team == cast.team

    def test_on_equal_load_the_rep_served_longest_ago_goes_first(self, cast, make_lead):
        third = UserFactory(username="third", role="sales_rep")
        add_member(cast.team, third)
        now = timezone.now()
        cast.team.memberships.filter(user=cast.rep).update(last_assigned_at=now - timedelta(hours=1))
        cast.team.memberships.filter(user=cast.teammate).update(last_assigned_at=now - timedelta(hours=2))
        cast.team.memberships.filter(user=third).update(last_assigned_at=now - timedelta(hours=3))
        picked = [
            services.handoff_create(lead=make_lead(), by=cast.marketer, team=cast.team).assigned_to for _ in range(3)
        ]
        assert picked == [third, cast.teammate, cast.rep]

    def test_routing_never_picks_an_inactive_rep(self, cast, make_lead):
        cast.teammate.is_active = False
        cast.teammate.save()
        services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
        handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, team=cast.team)
        assert handoff.assigned_to == cast.rep

    def test_routing_skips_people_whose_membership_ended(self, cast, make_lead):
        cast.team.memberships.filter(user=cast.teammate).update(ended_at=timezone.now())
        for _ in range(2):
            assert services.handoff_create(lead=make_lead(), by=cast.marketer, team=cast.team).assigned_to == cast.rep

    def test_a_team_without_active_reps_is_refused(self, cast, make_lead):
        cast.other_rep.is_active = False
        cast.other_rep.save()
        lead = make_lead()
        with pytest.raises(LeadError, match="no active sales rep"):
            services.handoff_create(lead=lead, by=cast.marketer, team=cast.other_team)
        lead.refresh_from_db()
        assert lead.stage == Stage.MQL
        assert not Handoff.objects.exists()

    def test_a_deactivated_rep_cannot_receive_a_lead(self, cast, make_lead):
        cast.rep.is_active = False
        cast.rep.save()
        lead = make_lead()
        with pytest.raises(LeadError, match="deactivated"):
            services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        assert not Handoff.objects.exists()
        assert not LeadEvent.objects.filter(lead=lead).exists()

    def test_only_sales_reps_receive_leads(self, cast, make_lead):
        with pytest.raises(LeadError, match="not a sales rep"):
            services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.manager)

    def test_a_lead_with_an_open_handoff_cannot_be_handed_off_again(self, cast, make_lead):
        lead = make_lead()
        services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        with pytest.raises(HandoffConflict, match="already has an open hand-off"):
            services.handoff_create(lead=lead, by=cast.cmo, rep=cast.teammate)
        assert Handoff.objects.filter(lead=lead).count() == 1

    def test_the_database_allows_one_open_handoff_per_lead(self, cast, make_lead):
        handoff = services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
        duplicate = Handoff(
            lead=handoff.lead,
            handed_off_by=cast.marketer,
            assigned_to=cast.teammate,
            created_at=timezone.now(),
            accept_due_at=timezone.now(),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()

    def test_sales_cannot_hand_off(self, cast, make_lead):
        for person in (cast.rep, cast.manager, cast.vp):
            with pytest.raises(NotAllowed):
                services.handoff_create(lead=make_lead(), by=person, rep=cast.rep)

    def test_it_needs_exactly_one_recipient(self, cast, make_lead):
        with pytest.raises(LeadError, match="either a rep or a team"):
            services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep, team=cast.team)
        with pytest.raises(LeadError, match="either a rep or a team"):
            services.handoff_create(lead=make_lead(), by=cast.marketer)

    def test_a_lead_sales_is_working_cannot_be_handed_off(self, cast, make_lead):
        lead = make_lead(stage=Stage.ACCEPTED)
        with pytest.raises(InvalidTransition, match="cannot be handed off"):
            services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)

    def test_it_enqueues_the_email_to_the_rep_after_commit(
        self, cast, make_lead, django_capture_on_commit_callbacks, mailoutbox
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.rep)
        # The outbox's relay of the email (beside it, the webhooks' kick of their task).
        assert [c.__module__ for c in callbacks].count("outbox.services") == 1


class TestDecisions:
    def test_accepting(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.ACCEPTED
        assert handoff.decided_by == cast.rep
        calendar = BusinessCalendar.for_team(cast.team)
        assert handoff.first_touch_due_at == add_business_hours(handoff.decided_at, 16, calendar)
        assert handoff.lead.stage == Stage.ACCEPTED
        assert events_of(handoff.lead)[-1] == LeadEvent.Kind.ACCEPTED

    def test_rejecting_without_a_reason_changes_nothing(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        with pytest.raises(LeadError, match="Choose a reason"):
            services.handoff_reject(handoff=handoff, by=cast.rep, reason=None, note="no")
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING
        assert handoff.lead.stage == Stage.HANDED_OFF

    def test_a_recycle_reason_sends_the_lead_back_to_nurture(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"], note="Bounced")
        handoff.refresh_from_db()
        lead = handoff.lead
        assert handoff.status == Handoff.Status.REJECTED
        assert (handoff.reason.code, handoff.decision_note) == ("bad-contact-data", "Bounced")
        assert (lead.stage, lead.cycle_count, lead.owner, lead.team) == (Stage.NURTURING, 1, None, None)
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REJECTED)
        assert event.details["reason"] == "bad-contact-data"
        assert event.details["note"] == "Bounced"

    def test_a_disqualify_reason_disqualifies(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["not-our-profile"])
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert (lead.stage, lead.cycle_count) == (Stage.DISQUALIFIED, 0)

    def test_a_duplicate_leaves_the_sales_queue(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["duplicate"])
        assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.DISQUALIFIED
        assert LeadEvent.objects.get(lead_id=handoff.lead_id, kind="rejected").details["disposition"] == "duplicate"

    def test_a_recycled_lead_can_be_handed_off_again(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
        again = services.handoff_create(lead=handoff.lead, by=cast.marketer, rep=cast.teammate)
        assert again.status == Handoff.Status.PENDING

    def test_after_working_reasons_do_not_fit_a_pending_handoff(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        with pytest.raises(LeadError, match="after working reason"):
            services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["no-budget"])
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_giving_up_an_accepted_lead_after_working_it(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        with pytest.raises(LeadError, match="before working reason"):
            services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["duplicate"])
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["not-now"], note="Budget in Q3")
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert (lead.stage, lead.cycle_count) == (Stage.NURTURING, 1)

    def test_a_retired_reason_is_refused(self, cast, handoff_to_rep, reasons):
        reason = reasons["bad-contact-data"]
        reason.is_active = False
        reason.save()
        with pytest.raises(LeadError, match="not an agreed rejection reason"):
            services.handoff_reject(handoff=handoff_to_rep(), by=cast.rep, reason=reason)

    def test_a_second_decision_is_refused_and_changes_nothing(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        stale = Handoff.objects.get(pk=handoff.pk)
        services.handoff_accept(handoff=handoff, by=cast.rep)
        with pytest.raises(HandoffConflict, match="already been decided"):
            services.handoff_accept(handoff=stale, by=cast.rep)
        with pytest.raises(HandoffConflict, match="already been decided"):
            services.handoff_reject(handoff=stale, by=cast.rep, reason=reasons["duplicate"])
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.ACCEPTED
        assert events_of(handoff.lead).count(LeadEvent.Kind.ACCEPTED) == 1
        assert LeadEvent.Kind.REJECTED not in events_of(handoff.lead)

    @pytest.mark.parametrize("who", ["teammate", "manager", "marketer", "vp"])
    def test_only_the_assigned_rep_decides(self, cast, handoff_to_rep, reasons, who):
        handoff = handoff_to_rep()
        person = getattr(cast, who)
        with pytest.raises(NotAllowed):
            services.handoff_accept(handoff=handoff, by=person)
        with pytest.raises(NotAllowed):
            services.handoff_reject(handoff=handoff, by=person, reason=reasons["duplicate"])
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING


class TestTouches:
    def test_the_first_touch_time_is_kept(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        first_at = timezone.now() - timedelta(hours=2)
        services.touch_log(lead=handoff.lead, by=cast.rep, kind=Touch.Kind.CALL, note="Voicemail", happened_at=first_at)
        services.touch_log(lead=handoff.lead, by=cast.rep, kind=Touch.Kind.EMAIL)
        handoff.refresh_from_db()
        assert handoff.first_touch_at == first_at
        assert handoff.touches.count() == 2
        assert events_of(handoff.lead).count(LeadEvent.Kind.TOUCHED) == 2

    def test_a_lead_must_be_accepted_before_touches(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        with pytest.raises(LeadError, match="Accept the lead"):
            services.touch_log(lead=handoff.lead, by=cast.rep, kind=Touch.Kind.CALL)
        assert not Touch.objects.exists()

    def test_only_the_owner_logs_touches(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        with pytest.raises(NotAllowed):
            services.touch_log(lead=handoff.lead, by=cast.teammate, kind=Touch.Kind.CALL)

    def test_a_touch_in_the_future_is_refused(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        with pytest.raises(LeadError, match="future"):
            services.touch_log(
                lead=handoff.lead, by=cast.rep, kind=Touch.Kind.CALL, happened_at=timezone.now() + timedelta(days=1)
            )
        assert not Touch.objects.exists()


class TestWorkingALead:
    @pytest.fixture
    def accepted(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        return handoff

    def test_the_owner_moves_it_along_and_winning_closes_the_handoff(self, cast, accepted):
        lead = services.lead_advance(lead=accepted.lead, by=cast.rep, to_stage=Stage.QUALIFIED)
        lead = services.lead_advance(lead=lead, by=cast.rep, to_stage=Stage.WON, note="Signed")
        accepted.refresh_from_db()
        assert lead.stage == Stage.WON
        assert accepted.status == Handoff.Status.ACCEPTED
        assert accepted.closed_at is not None
        assert LeadEvent.objects.filter(lead=lead, to_stage=Stage.WON, details__note="Signed").exists()

    def test_the_manager_may_act_for_the_rep_but_a_teammate_may_not(self, cast, accepted):
        services.lead_advance(lead=accepted.lead, by=cast.manager, to_stage=Stage.QUALIFIED)
        with pytest.raises(NotAllowed):
            services.lead_advance(lead=accepted.lead, by=cast.teammate, to_stage=Stage.OPPORTUNITY)
        with pytest.raises(NotAllowed):
            services.lead_advance(lead=accepted.lead, by=cast.other_manager, to_stage=Stage.OPPORTUNITY)
        assert Lead.objects.get(pk=accepted.lead_id).stage == Stage.QUALIFIED

    def test_a_lead_not_yet_accepted_cannot_be_advanced(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        with pytest.raises(InvalidTransition, match="not being worked"):
            services.lead_advance(lead=handoff.lead, by=cast.rep, to_stage=Stage.QUALIFIED)

    def test_giving_up_keeps_the_acceptance_and_records_the_reason(self, cast, accepted, reasons):
        services.lead_give_up(lead=accepted.lead, by=cast.manager, reason=reasons["no-budget"], note="FY27")
        accepted.refresh_from_db()
        lead = Lead.objects.get(pk=accepted.lead_id)
        assert (accepted.status, accepted.reason, accepted.decision_note) == ("accepted", reasons["no-budget"], "FY27")
        assert accepted.closed_at is not None
        assert (lead.stage, lead.cycle_count, lead.owner) == (Stage.NURTURING, 1, None)
        assert LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.GIVEN_UP).details["reason"] == "no-budget"

    def test_a_closed_handoff_leaves_the_inbox(self, cast, accepted):
        from leads.selectors import inbox_for

        assert accepted in inbox_for(user=cast.rep)
        services.lead_advance(lead=accepted.lead, by=cast.rep, to_stage=Stage.LOST)
        assert accepted not in inbox_for(user=cast.rep)

    def test_reassigning_moves_the_lead_and_its_open_handoff(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        lead = services.lead_reassign(lead=handoff.lead, to=cast.teammate, by=cast.manager, reason="Rep on leave")
        handoff.refresh_from_db()
        assert lead.owner == cast.teammate
        assert handoff.assigned_to == cast.teammate
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REASSIGNED)
        assert event.details == {"from": "rep", "to": "teammate", "reason": "Rep on leave"}
        assert event.actor == cast.manager
        # The new owner is told in the app, pointing at the lead; the manager did it in person,
        # so no email is queued for it.
        note = Notification.objects.get(recipient=cast.teammate, kind=Notification.Kind.REASSIGNED)
        assert (note.message, note.link) == (f"{lead} is now yours (Rep on leave).", f"/leads/{lead.pk}/")
        assert not OutboxMessage.objects.filter(key=f"notification:{note.pk}").exists()

    def test_reassigning_to_a_deactivated_person_is_refused(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        cast.teammate.is_active = False
        cast.teammate.save()
        with pytest.raises(LeadError, match="deactivated"):
            services.lead_reassign(lead=handoff.lead, to=cast.teammate, by=cast.manager, reason="x")
        assert Lead.objects.get(pk=handoff.lead_id).owner == cast.rep


def test_the_bulk_transition_moves_only_what_the_map_allows(cast, make_lead):
    from django.utils import timezone

    from leads.models import ALLOWED_TRANSITIONS

    now = timezone.now()
    accepted, won = make_lead(stage=Stage.ACCEPTED), make_lead(stage=Stage.WON)
    assert Stage.MQL in ALLOWED_TRANSITIONS[Stage.ACCEPTED] and Stage.MQL not in ALLOWED_TRANSITIONS[Stage.WON]
    moved = services.leads_transition(
        leads=Lead.objects.filter(pk__in=[accepted.pk, won.pk]),
        to_stage=Stage.MQL,
        kind=LeadEvent.Kind.RETURNED,
        details={"reason": "test"},
        fields={"owner": None},
        at=now,
    )
    assert moved == [accepted.pk]
    assert dict(Lead.objects.values_list("pk", "stage")) == {accepted.pk: Stage.MQL, won.pk: Stage.WON}
    event = LeadEvent.objects.get(lead=accepted, kind=LeadEvent.Kind.RETURNED)
    assert (event.from_stage, event.to_stage, event.details) == (Stage.ACCEPTED, Stage.MQL, {"reason": "test"})
    assert not LeadEvent.objects.filter(lead=won, kind=LeadEvent.Kind.RETURNED).exists()


def test_every_change_to_a_handoff_moves_its_updated_at(cast, handoff_to_rep):
    """Tools polling for outcomes read hand-offs by updated_at: a decision saved by the service
    and a bulk change (as the sweeps make) both move it."""
    import time_machine

    handoff = handoff_to_rep()
    made = handoff.updated_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        services.handoff_accept(handoff=handoff, by=cast.rep)
        handoff.refresh_from_db()
        assert handoff.updated_at > made
        accepted = handoff.updated_at
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        Handoff.objects.filter(pk=handoff.pk).update(first_touch_due_at=timezone.now())
        handoff.refresh_from_db()
        assert handoff.updated_at > accepted
