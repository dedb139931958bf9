import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment.roles import Role
from leads import services, sweeps
from leads.models import Handoff, Lead, LeadEvent, Notification, Reminder, Stage
from leads.tasks import reassign_leads_of_person, sweep_overdue_handoffs
from tests.factories import UserFactory, bulk_handed_off_leads

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def notified(user, kind=None):
    notes = Notification.objects.filter(recipient=user)
    return list((notes.filter(kind=kind) if kind else notes).values_list("message", flat=True))


def overdue(handoff, hours):
    """Move a hand-off's accept due time `hours` into the past."""
    Handoff.objects.filter(pk=handoff.pk).update(accept_due_at=timezone.now() - hours * HOUR)


class TestOverdueHandoffs:
    def test_a_handoff_within_time_is_left_alone(self, cast, handoff_to_rep):
        handoff_to_rep()
        assert sweeps.sweep_overdue() == {"reminded": 0, "escalated": 0, "expired": 0, "reassigned": 0}
        assert not Reminder.objects.exists()

    def test_an_overdue_handoff_reminds_the_rep_once(
        self, cast, handoff_to_rep, mailoutbox, django_capture_on_commit_callbacks
    ):
        handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace")
        overdue(handoff, 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert sweeps.sweep_overdue()["reminded"] == 1
            assert sweeps.sweep_overdue()["reminded"] == 0
        assert Reminder.objects.get().level == Reminder.Level.REMIND
        assert [m for m in notified(cast.rep, "reminder") if "Ada Lovelace" in m]
        overdue_mail = [m for m in mailoutbox if m.subject.startswith("Reminder")]
        assert len(overdue_mail) == 1 and overdue_mail[0].to == [cast.rep.email]

    def test_a_second_breach_escalates_to_the_manager(self, cast, handoff_to_rep, settings):
        handoff = handoff_to_rep(last_name="Lovelace")
        overdue(handoff, 1)
        sweeps.sweep_overdue()
        with time_machine.travel(timezone.now() + settings.ACCORD_ESCALATE_AFTER_HOURS * HOUR):
            assert sweeps.sweep_overdue()["escalated"] == 1
        assert any("Lovelace" in m for m in notified(cast.manager, "escalation"))
        assert not notified(cast.other_manager)
        assert sorted(Reminder.objects.values_list("level", flat=True)) == [1, 2]

    def test_a_handoff_found_long_overdue_reminds_the_rep_before_the_manager_hears(
        self, cast, handoff_to_rep, settings
    ):
        handoff = handoff_to_rep(last_name="Lovelace")
        overdue(handoff, settings.ACCORD_ESCALATE_AFTER_HOURS + 1)
        assert sweeps.sweep_overdue() == {"reminded": 1, "escalated": 0, "expired": 0, "reassigned": 0}
        assert notified(cast.rep, "reminder") and not notified(cast.manager, "escalation")
        assert sweeps.sweep_overdue()["escalated"] == 1
        reminder = Notification.objects.get(recipient=cast.rep, kind="reminder")
        escalation = Notification.objects.get(recipient=cast.manager, kind="escalation")
        assert reminder.created_at < escalation.created_at
        notice = notified(cast.rep, "escalation_notice")
        assert len(notice) == 1
        assert notice[0].startswith(f"Your manager {cast.manager.get_full_name()} was told that 1 of your lead(s)")
        assert "Lovelace" in notice[0]
        assert sweeps.sweep_overdue() == {"reminded": 0, "escalated": 0, "expired": 0, "reassigned": 0}

    def test_the_rep_is_reminded_as_the_due_time_nears(self, cast, handoff_to_rep, settings):
        handoff = handoff_to_rep(last_name="Lovelace")
        Handoff.objects.filter(pk=handoff.pk).update(
            accept_due_at=timezone.now() + timedelta(minutes=settings.ACCORD_REMIND_BEFORE_MINUTES - 5)
        )
        assert sweeps.sweep_overdue()["reminded"] == 1
        assert any("due by" in m and "Lovelace" in m for m in notified(cast.rep, "reminder"))

    def test_without_a_manager_the_sales_leaders_hear_of_it(self, cast, handoff_to_rep, settings):
        cast.team.manager = None
        cast.team.save()
        handoff = handoff_to_rep()
        overdue(handoff, settings.ACCORD_ESCALATE_AFTER_HOURS + 1)
        sweeps.sweep_overdue()
        sweeps.sweep_overdue()
        assert notified(cast.vp, "escalation")
        assert any(m.startswith("The sales leaders were told") for m in notified(cast.rep, "escalation_notice"))

    def test_at_the_limit_the_lead_returns_to_the_marketing_queue(self, cast, handoff_to_rep, settings):
        handoff = handoff_to_rep(last_name="Lovelace")
        overdue(handoff, settings.ACCORD_EXPIRE_AFTER_HOURS + 1)
        assert sweeps.sweep_overdue()["expired"] == 1
        handoff.refresh_from_db()
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert handoff.status == Handoff.Status.EXPIRED
        assert (lead.stage, lead.owner, lead.team) == (Stage.MQL, None, None)
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.EXPIRED)
        assert (event.from_stage, event.to_stage) == (Stage.HANDED_OFF, Stage.MQL)
        assert notified(cast.marketer, "expired")
        # Expired is the last word: nothing more is sent for it.
        assert sweeps.sweep_overdue() == {"reminded": 0, "escalated": 0, "expired": 0, "reassigned": 0}

    def test_the_expiry_action_can_reassign_within_the_team(self, cast, handoff_to_rep, settings):
        settings.ACCORD_EXPIRY_ACTION = "reassign"
        handoff = handoff_to_rep()
        overdue(handoff, settings.ACCORD_EXPIRE_AFTER_HOURS + 1)
        counts = sweeps.sweep_overdue()
        assert (counts["reassigned"], counts["expired"]) == (1, 0)
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING
        assert handoff.assigned_to == cast.teammate
        assert handoff.accept_due_at > timezone.now()
        assert Lead.objects.get(pk=handoff.lead_id).owner == cast.teammate
        event = LeadEvent.objects.get(lead_id=handoff.lead_id, kind=LeadEvent.Kind.REASSIGNED)
        assert event.details["reason"].startswith("expired")
        # The new owner's clock starts afresh: a later breach of the new due time is reminded.
        overdue(handoff, 1)
        assert sweeps.sweep_overdue()["reminded"] == 1

    def test_reassign_on_expiry_with_nobody_else_returns_to_marketing(self, cast, handoff_to_rep, settings):
        settings.ACCORD_EXPIRY_ACTION = "reassign"
        handoff = handoff_to_rep(rep=cast.other_rep)  # alone in SMB, whose manager is other_manager
        cast.other_team.manager = None
        cast.other_team.save()
        overdue(handoff, settings.ACCORD_EXPIRE_AFTER_HOURS + 1)
        assert sweeps.sweep_overdue()["expired"] == 1
        assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.MQL

    def test_a_rep_deciding_between_claim_and_expiry_keeps_the_lead(self, cast, handoff_to_rep, settings, monkeypatch):
        handoff = handoff_to_rep()
        overdue(handoff, settings.ACCORD_EXPIRE_AFTER_HOURS + 1)
        claim = sweeps._claim

        def claim_then_rep_accepts(*args, **kwargs):
            claimed = claim(*args, **kwargs)
            services.handoff_accept(handoff=Handoff.objects.get(pk=handoff.pk), by=cast.rep)
            return claimed

        monkeypatch.setattr(sweeps, "_claim", claim_then_rep_accepts)
        assert sweeps.sweep_overdue()["expired"] == 0
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert (lead.stage, lead.owner) == (Stage.ACCEPTED, cast.rep)

    def test_a_decided_handoff_is_never_reminded(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        overdue(handoff, 50)
        services.handoff_accept(handoff=handoff, by=cast.rep)
        assert sweeps.sweep_overdue()["expired"] == 0


class TestFirstTouch:
    def test_no_first_touch_in_time_reminds_then_escalates(self, cast, handoff_to_rep, settings):
        handoff = handoff_to_rep(last_name="Hopper")
        services.handoff_accept(handoff=handoff, by=cast.rep)
        Handoff.objects.filter(pk=handoff.pk).update(first_touch_due_at=timezone.now() - HOUR)
        assert sweeps.sweep_overdue()["reminded"] == 1
        assert any("need a first touch" in m for m in notified(cast.rep, "reminder"))
        with time_machine.travel(timezone.now() + settings.ACCORD_ESCALATE_AFTER_HOURS * HOUR):
            assert sweeps.sweep_overdue()["escalated"] == 1
        assert any("not contacted" in m for m in notified(cast.manager, "escalation"))

    def test_a_touched_lead_is_left_alone(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        services.touch_log(lead=handoff.lead, by=cast.rep, kind="call")
        Handoff.objects.filter(pk=handoff.pk).update(first_touch_due_at=timezone.now() - HOUR)
        assert sweeps.sweep_overdue()["reminded"] == 0


class TestDepartedStaff:
    def deactivate(self, user):
        user.is_active = False
        user.save()

    def test_a_deactivated_reps_leads_go_to_a_teammate(self, cast, handoff_to_rep):
        pending = handoff_to_rep(last_name="Pending")
        accepted = handoff_to_rep(last_name="Accepted")
        services.handoff_accept(handoff=accepted, by=cast.rep)
        self.deactivate(cast.rep)
        assert sweeps.reassign_departed() == {"reassigned": 2, "returned_to_marketing": 0}
        assert not Lead.objects.filter(owner=cast.rep).exists()
        for handoff in (pending, accepted):
            handoff.refresh_from_db()
            assert handoff.assigned_to == cast.teammate
            # Inherited: the kind says the owner left, so no one need read the reason's text.
            event = LeadEvent.objects.get(lead_id=handoff.lead_id, kind=LeadEvent.Kind.INHERITED)
            assert event.details == {"from": "rep", "to": "teammate", "reason": "departed: rep was deactivated"}
        assert pending.accept_due_at > timezone.now()
        departed = cast.rep.get_full_name() or cast.rep.username
        told = notified(cast.teammate, "moved_by_accord")
        assert any(m.startswith(f"2 leads from {departed} are now yours (departed)") for m in told)
        assert sweeps.reassign_departed() == {"reassigned": 0, "returned_to_marketing": 0}

    def test_a_rep_who_left_the_team_hands_its_leads_on(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        cast.team.memberships.filter(user=cast.rep).update(ended_at=timezone.now())
        sweeps.reassign_departed()
        assert Lead.objects.get(pk=handoff.lead_id).owner == cast.teammate
        reason = LeadEvent.objects.get(lead_id=handoff.lead_id, kind=LeadEvent.Kind.INHERITED).details["reason"]
        assert reason == "departed: rep left the team"

    def test_leads_spread_to_the_least_loaded_with_ties_in_turn(self, cast, handoff_to_rep, make_lead):
        third = UserFactory(username="third", role=Role.SALES_REP)
        cast.team.memberships.create(user=third)
        for _ in range(2):  # the teammate already carries two leads
            services.handoff_create(lead=make_lead(), by=cast.marketer, rep=cast.teammate)
        mine = [handoff_to_rep() for _ in range(6)]
        self.deactivate(cast.rep)
        sweeps.reassign_departed()
        owners = list(
            Lead.objects.filter(pk__in=[h.lead_id for h in mine])
            .order_by("pk")
            .values_list("owner__username", flat=True)
        )
        # third: 0 → takes two to reach the teammate's 2, then they alternate.
        assert owners[:2] == ["third", "third"]
        assert sorted(owners[2:]) == ["teammate", "teammate", "third", "third"]
        assert owners.count("third") == 4

    def test_with_no_active_rep_the_manager_takes_them(self, cast, handoff_to_rep):
        handoff = handoff_to_rep(rep=cast.other_rep)
        self.deactivate(cast.other_rep)
        sweeps.reassign_departed()
        assert Lead.objects.get(pk=handoff.lead_id).owner == cast.other_manager

    def test_with_nobody_left_the_leads_go_to_marketing_and_leaders_hear(self, cast, handoff_to_rep):
        handoff = handoff_to_rep(rep=cast.other_rep)
        self.deactivate(cast.other_manager)
        self.deactivate(cast.other_rep)
        assert sweeps.reassign_departed() == {"reassigned": 0, "returned_to_marketing": 1}
        lead = Lead.objects.get(pk=handoff.lead_id)
        handoff.refresh_from_db()
        assert (lead.stage, lead.owner) == (Stage.MQL, None)
        assert handoff.status == Handoff.Status.WITHDRAWN
        assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.RETURNED).exists()
        for leader in (cast.cmo, cast.vp):
            assert notified(leader, "unowned")

    def test_one_persons_sweep_leaves_others_alone(self, cast, handoff_to_rep):
        handoff_to_rep()
        other = handoff_to_rep(rep=cast.other_rep)
        self.deactivate(cast.rep)
        self.deactivate(cast.other_rep)
        assert sweeps.reassign_departed(person_id=cast.rep.pk)["reassigned"] == 1
        assert Lead.objects.get(pk=other.lead_id).owner == cast.other_rep

    def test_deactivation_enqueues_the_reassignment_after_commit(self, cast, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            self.deactivate(cast.rep)
        assert len(callbacks) == 1


class TestBatches:
    """Queries grow with the number of batches, never with the number of rows."""

    BATCH = 100

    def overdue_sweep_queries(self, cast, n) -> int:
        Reminder.objects.all().delete()
        Lead.objects.all().delete()
        bulk_handed_off_leads(n=n, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
        Handoff.objects.update(accept_due_at=timezone.now() - HOUR)
        with CaptureQueriesContext(connection) as queries:
            assert sweeps.sweep_overdue(batch_size=self.BATCH)["reminded"] == n
        return len(queries)

    def departed_sweep_queries(self, cast, n) -> int:
        Lead.objects.all().delete()
        bulk_handed_off_leads(n=n, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
        with CaptureQueriesContext(connection) as queries:
            assert sweeps.reassign_departed(batch_size=self.BATCH)["reassigned"] == n
        return len(queries)

    def test_the_overdue_sweep_costs_a_fixed_number_of_queries_per_batch(self, cast):
        one, two, four = (self.overdue_sweep_queries(cast, n) for n in (100, 200, 400))
        per_batch = two - one
        assert four - one == 3 * per_batch
        assert per_batch <= 9  # one of them asks who wants which channel

    def test_the_departed_sweep_costs_a_fixed_number_of_queries_per_batch(self, cast):
        cast.rep.is_active = False
        cast.rep.save()
        one, two, four = (self.departed_sweep_queries(cast, n) for n in (100, 200, 400))
        per_batch = two - one
        assert four - one == 3 * per_batch
        assert per_batch <= 16  # one of them asks who wants which channel


class TestTasksAndCommands:
    def test_the_tasks_do_the_sweeps_at_frozen_time(self, cast, handoff_to_rep, settings):
        handoff = handoff_to_rep()
        with time_machine.travel(handoff.accept_due_at + timedelta(minutes=1)):
            assert sweep_overdue_handoffs()["reminded"] == 1
        with time_machine.travel(
            handoff.accept_due_at + timedelta(hours=settings.ACCORD_EXPIRE_AFTER_HOURS, minutes=1)
        ):
            assert sweep_overdue_handoffs()["expired"] == 1
        assert reassign_leads_of_person(cast.rep.pk) == {"reassigned": 0, "returned_to_marketing": 0}

    def test_sweep_overdue_prints_json(self, cast, handoff_to_rep, capsys):
        overdue(handoff_to_rep(), 1)
        call_command("sweep_overdue", "--json")
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert json.loads(last) == {"reminded": 1, "escalated": 0, "expired": 0, "reassigned": 0}

    def test_reassign_departed_prints_json(self, cast, handoff_to_rep, capsys):
        handoff_to_rep()
        cast.rep.is_active = False
        cast.rep.save()
        call_command("reassign_departed", "--json")
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert json.loads(last) == {"reassigned": 1, "returned_to_marketing": 0}

    def test_the_sweeps_are_scheduled_in_the_database(self):
        from django_celery_beat.models import PeriodicTask

        tasks = dict(PeriodicTask.objects.values_list("task", "interval__every"))
        assert tasks["leads.tasks.sweep_overdue_handoffs"] == 15
        assert tasks["leads.tasks.reassign_departed_staff"] == 60
