"""Opening, updating, recording, closing and carrying over: the weekly lead review's rules."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from alignment.exceptions import NotAllowed
from alignment.models import Membership
from alignment.roles import Role
from leads import services as lead_services
from leads import sweeps
from leads.models import Handoff, Lead, LeadEvent, Stage, Touch
from outbox import services as outbox_services
from reviews import services
from reviews.exceptions import DuplicateMeeting, ItemsRefused, MeetingClosed
from reviews.models import Outcome, ReviewEvent, ReviewItem, ReviewMeeting, ReviewReminder, SlaStatus
from reviews.services import ItemOutcome, RepUpdate
from tests.factories import UserFactory, add_member
from tests.reviews import steps

pytestmark = pytest.mark.django_db


def item_of(meeting, lead) -> ReviewItem:
    return meeting.items.get(lead=lead)


def record(meeting, lead, by, **fields) -> ReviewItem:
    return steps.item_record(item=item_of(meeting, lead), by=by, outcome=ItemOutcome(**fields))


# --- Opening -----------------------------------------------------------------------------------


def test_it_puts_every_open_lead_of_every_rep_of_the_team_on_the_agenda(cast, accepted_lead, handoff_to_rep):
    mine = accepted_lead()
    teammates = accepted_lead(rep=cast.teammate)
    pending = handoff_to_rep()
    accepted_lead(rep=cast.other_rep)  # another team
    won = accepted_lead()
    lead_services.lead_advance(lead=won, by=cast.rep, to_stage=Stage.WON)

    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)

    assert set(meeting.items.values_list("lead_id", flat=True)) == {mine.pk, teammates.pk, pending.lead_id}
    assert item_of(meeting, mine).rep == cast.rep
    assert item_of(meeting, pending.lead).stage == Stage.HANDED_OFF
    assert meeting.opened_by == cast.manager
    assert meeting.events.get().kind == ReviewEvent.Kind.OPENED


def test_it_leaves_out_reps_who_left_the_team(cast, accepted_lead):
    accepted_lead(rep=cast.teammate)
    Membership.objects.filter(user=cast.teammate).update(ended_at=timezone.now())
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    assert meeting.items.count() == 0


def test_the_snapshot_records_stage_days_last_touch_sla_and_inheritance(cast, accepted_lead, handoff_to_rep):
    touched = accepted_lead()
    touch_at = timezone.now() - timedelta(hours=3)
    Touch.objects.create(lead=touched, by=cast.rep, kind=Touch.Kind.CALL, happened_at=touch_at - timedelta(days=2))
    Touch.objects.create(lead=touched, by=cast.rep, kind=Touch.Kind.CALL, happened_at=touch_at)
    Lead.objects.filter(pk=touched.pk).update(stage_changed_at=timezone.now() - timedelta(days=12, hours=1))
    late_accept = handoff_to_rep()
    Handoff.objects.filter(pk=late_accept.pk).update(accept_due_at=timezone.now() - timedelta(hours=1))
    no_touch = accepted_lead()
    Handoff.objects.filter(lead=no_touch).update(first_touch_due_at=timezone.now() - timedelta(hours=1))
    # Inherited the way it happens: its owner leaves and the departed-staff sweep hands it on.
    leaver = UserFactory(username="leaver", role=Role.SALES_REP)
    add_member(cast.team, leaver)
    inherited = accepted_lead(rep=leaver)
    Membership.objects.filter(user=leaver).update(ended_at=timezone.now())
    assert sweeps.reassign_departed()["reassigned"] == 1
    not_inherited = accepted_lead(rep=cast.teammate)
    lead_services.lead_reassign(lead=not_inherited, to=cast.rep, by=cast.manager, reason="workload")

    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)

    item = item_of(meeting, touched)
    assert item.last_touch_at == touch_at
    assert item.days_in_stage == 12
    assert item.stage == Stage.ACCEPTED
    assert item.sla_status == SlaStatus.ON_TIME
    # Graded leads carry their grade and bucket into the snapshot (ungraded ones: blank).
    assert (item.grade, item.bucket) == (touched.grade, touched.bucket)
    Lead.objects.filter(pk=no_touch.pk).update(grade="A", bucket="hot")
    later = services.review_meeting_open(team=cast.team, by=cast.manager, week_start=meeting.week_start + timedelta(7))
    assert (item_of(later, no_touch).grade, item_of(later, no_touch).bucket) == ("A", "hot")
    assert item_of(meeting, late_accept.lead).sla_status == SlaStatus.ACCEPT_OVERDUE
    assert item_of(meeting, no_touch).sla_status == SlaStatus.FIRST_TOUCH_OVERDUE
    assert item_of(meeting, inherited).inherited is True
    assert item_of(meeting, not_inherited).inherited is False
    assert item_of(meeting, touched).inherited is False


def test_a_second_meeting_for_the_same_team_and_week_is_refused(cast, accepted_lead):
    accepted_lead()
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    with pytest.raises(DuplicateMeeting):
        services.review_meeting_open(team=cast.team, by=cast.vp, week_start=meeting.week_start + timedelta(days=3))
    assert ReviewMeeting.objects.count() == 1


@pytest.mark.parametrize("who", ["rep", "other_manager", "marketer", "cmo"])
def test_only_the_manager_or_a_sales_leader_opens_a_meeting(cast, who):
    with pytest.raises(NotAllowed):
        services.review_meeting_open(team=cast.team, by=getattr(cast, who))
    assert services.review_meeting_open(team=cast.team, by=cast.vp).opened_by == cast.vp


def test_the_meeting_is_scheduled_monday_ten_in_the_team_time_zone(cast):
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager, week_start=date(2026, 11, 25))
    assert meeting.week_start == date(2026, 11, 23)
    assert meeting.week == "2026-W48"
    assert meeting.scheduled_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def test_opening_a_week_for_every_team_is_idempotent(cast, accepted_lead):
    accepted_lead()
    accepted_lead(rep=cast.other_rep)
    first = services.review_meetings_open_week(week_start=date(2026, 11, 23))
    second = services.review_meetings_open_week(week_start=date(2026, 11, 23))
    assert first.as_dict() == {"opened": 2, "items": 2, "carried_over": 0}
    assert second.as_dict() == {"opened": 0, "items": 0, "carried_over": 0}
    assert ReviewMeeting.objects.get(team=cast.team).opened_by is None


def test_the_weekly_task_opens_a_team_once_its_local_time_is_past_monday_six(cast):
    # Monday 2026-11-23 01:00 UTC: 06:30 in Kolkata (SMB), 02:00 in Berlin (Enterprise).
    with time_machine.travel(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), tick=False):
        summary = services.review_meetings_open_due()
    assert summary.opened == 1
    assert ReviewMeeting.objects.get().team == cast.other_team
    with time_machine.travel(datetime(2026, 11, 23, 5, 5, tzinfo=UTC), tick=False):
        assert services.review_meetings_open_due().opened == 1  # Berlin is at 06:05 now
        assert services.review_meetings_open_due().opened == 0
    assert set(ReviewMeeting.objects.values_list("week_start", flat=True)) == {date(2026, 11, 23)}


# --- Rep updates -------------------------------------------------------------------------------


def test_a_rep_posts_updates_on_their_own_items(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    meeting = open_meeting()
    due = meeting.week_start + timedelta(days=4)
    item = steps.item_update(
        item=item_of(meeting, lead),
        by=cast.rep,
        update=RepUpdate(
            update="Demo booked", proposed_outcome=Outcome.PROGRESSING, next_step="Demo", next_step_due=due
        ),
    )
    assert (item.update, item.proposed_outcome, item.next_step, item.next_step_due) == (
        "Demo booked",
        "progressing",
        "Demo",
        due,
    )
    assert item.updated_at is not None


@pytest.mark.parametrize("who", ["teammate", "manager", "vp"])
def test_nobody_else_edits_a_reps_items(cast, accepted_lead, open_meeting, who):
    lead = accepted_lead()
    meeting = open_meeting()
    with pytest.raises(NotAllowed):
        steps.item_update(item=item_of(meeting, lead), by=getattr(cast, who), update=RepUpdate(update="x"))
    assert item_of(meeting, lead).updated_at is None


def test_a_closed_meeting_is_read_only(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    meeting = open_meeting()
    services.review_meeting_close(meeting=meeting, by=cast.manager)
    item = item_of(meeting, lead)
    with pytest.raises(MeetingClosed):
        steps.item_update(item=item, by=cast.rep, update=RepUpdate(update="late"))
    with pytest.raises(MeetingClosed):
        record(meeting, lead, cast.manager, outcome=Outcome.STALLED)
    with pytest.raises(MeetingClosed):
        services.review_meeting_close(meeting=meeting, by=cast.manager)
    item.refresh_from_db()
    assert (item.update, item.outcome) == ("", "")


def test_a_due_date_without_a_step_changes_nothing(cast, accepted_lead, open_meeting):
    good, bad = accepted_lead(), accepted_lead()
    meeting = open_meeting()
    updates = {
        item_of(meeting, good).pk: RepUpdate(update="fine"),
        item_of(meeting, bad).pk: RepUpdate(next_step_due=meeting.week_start + timedelta(days=2)),
    }
    with pytest.raises(ItemsRefused) as refused:
        services.review_items_update(meeting=meeting, by=cast.rep, updates=updates)
    assert list(refused.value.errors) == [item_of(meeting, bad).pk]
    assert item_of(meeting, good).update == ""


# --- Recording outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.RECYCLE, Outcome.DISQUALIFY])
def test_a_give_up_outcome_without_a_reason_is_refused_and_changes_nothing(cast, accepted_lead, open_meeting, outcome):
    lead = accepted_lead()
    meeting = open_meeting()
    with pytest.raises(ItemsRefused, match="choose a reason from the catalogue"):
        record(meeting, lead, cast.manager, outcome=outcome, next_step="x")
    item = item_of(meeting, lead)
    assert (item.outcome, item.next_step, item.discussed_at) == ("", "", None)


def test_the_reason_must_mean_what_the_outcome_does(cast, accepted_lead, open_meeting, reasons):
    lead = accepted_lead()
    meeting = open_meeting()
    with pytest.raises(ItemsRefused, match="choose a reason that means disqualify"):
        record(meeting, lead, cast.manager, outcome=Outcome.DISQUALIFY, reason=reasons["no-budget"])
    with pytest.raises(ItemsRefused, match="choose one of the after working reasons"):
        record(meeting, lead, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["bad-contact-data"])
    item = record(meeting, lead, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["no-budget"])
    assert item.reason == reasons["no-budget"] and item.discussed_at is not None


@pytest.mark.parametrize("outcome", [Outcome.WON, Outcome.LOST, Outcome.RECYCLE, Outcome.DISQUALIFY])
def test_a_lead_not_yet_accepted_can_only_progress_stall_or_move(cast, handoff_to_rep, open_meeting, reasons, outcome):
    handoff = handoff_to_rep()
    meeting = open_meeting()
    reason = reasons["no-budget"] if outcome == Outcome.RECYCLE else reasons["no-need"]
    with pytest.raises(ItemsRefused, match="it can be Progressing, Stalled or Reassign, not"):
        record(meeting, handoff.lead, cast.manager, outcome=outcome, reason=reason)
    assert record(meeting, handoff.lead, cast.manager, outcome=Outcome.STALLED).outcome == Outcome.STALLED


def test_an_opportunity_is_lost_rather_than_recycled(cast, accepted_lead, open_meeting, reasons):
    lead = accepted_lead()
    lead_services.lead_advance(lead=lead, by=cast.rep, to_stage=Stage.QUALIFIED)
    lead_services.lead_advance(lead=lead, by=cast.rep, to_stage=Stage.OPPORTUNITY)
    meeting = open_meeting()
    with pytest.raises(ItemsRefused, match="it can be Progressing, Stalled, Won, Lost or Reassign, not “Recycle"):
        record(meeting, lead, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["no-budget"])


def test_reassigning_needs_an_active_rep_of_the_team(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    meeting = open_meeting()
    with pytest.raises(ItemsRefused, match="choose the rep"):
        record(meeting, lead, cast.manager, outcome=Outcome.REASSIGN)
    with pytest.raises(ItemsRefused, match="not an active rep of Enterprise"):
        record(meeting, lead, cast.manager, outcome=Outcome.REASSIGN, reassign_to=cast.other_rep)
    with pytest.raises(ItemsRefused, match="already belongs"):
        record(meeting, lead, cast.manager, outcome=Outcome.REASSIGN, reassign_to=cast.rep)
    assert record(meeting, lead, cast.manager, outcome=Outcome.REASSIGN, reassign_to=cast.teammate).reassign_to == (
        cast.teammate
    )


@pytest.mark.parametrize("who", ["rep", "other_manager", "cmo", "marketer"])
def test_only_the_manager_or_a_sales_leader_records_outcomes(cast, accepted_lead, open_meeting, who):
    lead = accepted_lead()
    meeting = open_meeting()
    with pytest.raises(NotAllowed):
        record(meeting, lead, getattr(cast, who), outcome=Outcome.WON)
    assert record(meeting, lead, cast.vp, outcome=Outcome.WON).recorded_by == cast.vp


# --- Closing -----------------------------------------------------------------------------------


def test_closing_applies_every_outcome_through_the_lead_services(
    cast, accepted_lead, handoff_to_rep, open_meeting, reasons
):
    won, lost, recycled, disqualified, moved, stalled = (accepted_lead() for _ in range(6))
    pending = handoff_to_rep()
    untouched = accepted_lead()
    meeting = open_meeting()
    record(meeting, won, cast.manager, outcome=Outcome.WON, note="Signed")
    record(meeting, lost, cast.manager, outcome=Outcome.LOST)
    record(meeting, recycled, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["not-now"])
    record(meeting, disqualified, cast.manager, outcome=Outcome.DISQUALIFY, reason=reasons["no-need"])
    record(meeting, moved, cast.manager, outcome=Outcome.REASSIGN, reassign_to=cast.teammate)
    record(meeting, stalled, cast.manager, outcome=Outcome.STALLED, next_step="Call again")
    record(meeting, pending.lead, cast.manager, outcome=Outcome.REASSIGN, reassign_to=cast.teammate)

    meeting = services.review_meeting_close(meeting=meeting, by=cast.manager)

    assert meeting.status == ReviewMeeting.Status.CLOSED and meeting.closed_by == cast.manager
    stages = dict(Lead.objects.values_list("pk", "stage"))
    assert stages[won.pk] == Stage.WON
    assert stages[lost.pk] == Stage.LOST
    assert stages[recycled.pk] == Stage.NURTURING
    assert stages[disqualified.pk] == Stage.DISQUALIFIED
    assert stages[stalled.pk] == stages[untouched.pk] == Stage.ACCEPTED
    assert Lead.objects.get(pk=moved.pk).owner == cast.teammate
    assert Handoff.objects.get(pk=pending.pk).assigned_to == cast.teammate
    reviewed = LeadEvent.objects.filter(kind=LeadEvent.Kind.REVIEWED)
    assert reviewed.count() == 7
    assert reviewed.get(lead=won).details["note"] == "Signed"
    assert reviewed.get(lead=stalled).details["next_step"] == "Call again"
    assert not reviewed.filter(lead=untouched).exists()
    assert LeadEvent.objects.get(lead=moved, kind=LeadEvent.Kind.REASSIGNED).details["reason"] == "review meeting"
    assert meeting.items.filter(applied_at__isnull=False).count() == 7


def test_if_one_outcome_cannot_be_applied_the_close_is_refused_and_nothing_changes(
    cast, accepted_lead, open_meeting, reasons
):
    fine, changed_meanwhile = accepted_lead(), accepted_lead()
    meeting = open_meeting()
    record(meeting, fine, cast.manager, outcome=Outcome.WON)
    record(meeting, changed_meanwhile, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["not-now"])
    lead_services.lead_advance(lead=changed_meanwhile, by=cast.rep, to_stage=Stage.LOST)  # after the meeting

    with pytest.raises(ItemsRefused) as refused:
        services.review_meeting_close(meeting=meeting, by=cast.manager)

    assert list(refused.value.errors) == [item_of(meeting, changed_meanwhile).pk]
    assert "no longer worked by sales (it is Lost)" in str(refused.value)
    meeting.refresh_from_db()
    assert meeting.status == ReviewMeeting.Status.OPEN and meeting.closed_at is None
    assert Lead.objects.get(pk=fine.pk).stage == Stage.ACCEPTED
    assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.REVIEWED).exists()
    assert not meeting.items.filter(applied_at__isnull=False).exists()
    assert meeting.events.filter(kind=ReviewEvent.Kind.CLOSE_REFUSED).count() == 1

    record(meeting, changed_meanwhile, cast.manager, outcome="")  # the manager clears it, then closes
    services.review_meeting_close(meeting=meeting, by=cast.manager)
    assert Lead.objects.get(pk=fine.pk).stage == Stage.WON


@pytest.mark.parametrize("who", ["rep", "other_manager", "cmo"])
def test_only_the_manager_or_a_sales_leader_closes(cast, open_meeting, who):
    meeting = open_meeting()
    with pytest.raises(NotAllowed):
        services.review_meeting_close(meeting=meeting, by=getattr(cast, who))
    meeting.refresh_from_db()
    assert meeting.is_open


# --- Carry-over --------------------------------------------------------------------------------


def test_unmet_next_steps_are_carried_into_next_weeks_agenda(cast, accepted_lead, open_meeting, reasons):
    committed, done, recycled, quiet = accepted_lead(), accepted_lead(), accepted_lead(), accepted_lead()
    week = open_meeting()
    due = week.week_start + timedelta(days=9)
    steps.item_update(
        item=item_of(week, committed), by=cast.rep, update=RepUpdate(next_step="Send proposal", next_step_due=due)
    )
    record(week, done, cast.manager, outcome=Outcome.PROGRESSING, next_step="Book demo", next_step_due=due)
    record(week, recycled, cast.manager, outcome=Outcome.RECYCLE, reason=reasons["not-now"], next_step="Nurture")
    services.review_meeting_close(meeting=week, by=cast.manager)

    summary = services.review_meetings_open_week(week_start=week.week_start + timedelta(days=7))
    assert summary.as_dict() == {"opened": 2, "items": 3, "carried_over": 2}  # SMB has no open leads
    following = ReviewMeeting.objects.get(team=cast.team, week_start=week.week_start + timedelta(days=7))
    carried = item_of(following, committed)
    assert (carried.carried_step, carried.carried_step_due, carried.carried_weeks) == ("Send proposal", due, 1)
    assert carried.carried_from == item_of(week, committed)
    assert item_of(following, quiet).carried_weeks == 0

    # Week two: the proposal is still not sent (carried again: 2 weeks); the demo was booked.
    steps.item_update(item=item_of(following, done), by=cast.rep, update=RepUpdate(step_done=True))
    services.review_meeting_close(meeting=following, by=cast.manager)
    third = services.review_meeting_open(
        team=cast.team, by=cast.manager, week_start=following.week_start + timedelta(days=7)
    )
    assert item_of(third, committed).carried_weeks == 2
    assert item_of(third, committed).carried_step == "Send proposal"
    assert item_of(third, done).carried_weeks == 0


def test_closing_late_carries_into_the_meeting_already_open(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    week = open_meeting()
    record(week, lead, cast.manager, outcome=Outcome.PROGRESSING, next_step="Call CFO")
    following = open_meeting(week_start=week.week_start + timedelta(days=7))
    assert item_of(following, lead).carried_weeks == 0  # last week is still open

    services.review_meeting_close(meeting=week, by=cast.manager)

    item = item_of(following, lead)
    assert (item.carried_step, item.carried_weeks) == ("Call CFO", 1)


# --- Emails ------------------------------------------------------------------------------------


def test_reps_are_reminded_once_the_day_before(cast, accepted_lead, open_meeting, django_capture_on_commit_callbacks):
    accepted_lead()
    accepted_lead(rep=cast.teammate)
    updated = accepted_lead(rep=cast.teammate)
    meeting = open_meeting(week_start=date(2026, 11, 23))
    steps.item_update(item=item_of(meeting, updated), by=cast.teammate, update=RepUpdate(update="ok"))
    day_before = meeting.scheduled_at - timedelta(hours=20)

    with time_machine.travel(meeting.scheduled_at - timedelta(days=2), tick=False):
        assert services.review_reminders_send_due() == 0
    with time_machine.travel(day_before, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.review_reminders_send_due() == 2
        assert services.review_reminders_send_due() == 0

    assert ReviewReminder.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["rep@accord.test", "teammate@accord.test"]
    assert "1 of your lead" in next(m.body for m in mail.outbox if m.to == ["rep@accord.test"])
    assert f"/reviews/{meeting.pk}/my-items/" in mail.outbox[0].body


def test_reps_with_every_update_posted_are_not_reminded(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    meeting = open_meeting()
    steps.item_update(item=item_of(meeting, lead), by=cast.rep, update=RepUpdate(update="ok"))
    assert services.review_reminders_send(meeting=meeting) == 0
    assert mail.outbox == []


def test_the_minutes_go_to_the_attendees_once(cast, accepted_lead, open_meeting, django_capture_on_commit_callbacks):
    mine = accepted_lead(last_name="Lovelace")
    accepted_lead(rep=cast.teammate, last_name="Hopper")
    meeting = open_meeting()
    record(meeting, mine, cast.manager, outcome=Outcome.WON)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.review_meeting_close(meeting=meeting, by=cast.manager)
    # The minutes are written with the close and sent after commit (beside the webhooks' kick).
    assert [c.__module__ for c in callbacks].count("outbox.services") == 1
    assert mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 3

    assert services.review_minutes_email(meeting=meeting) == 0  # once
    assert not outbox_services.unsent().filter(key__startswith="minutes:").exists()
    by_person = {m.to[0]: m.body for m in mail.outbox}
    # Decided items are listed; the ones nobody discussed are only counted, with the link.
    manager_mail = by_person["manager@accord.test"]
    assert "Lovelace" in manager_mail and "Hopper" not in manager_mail
    assert "Not discussed: 1 lead" in manager_mail and f"/reviews/{meeting.pk}/minutes/" in manager_mail
    assert "Lovelace" in by_person["rep@accord.test"] and "Hopper" not in by_person["rep@accord.test"]
    assert "Won" in by_person["rep@accord.test"] and "Not discussed" not in by_person["rep@accord.test"]
    assert "No lead was discussed" in by_person["teammate@accord.test"]
    assert "Not discussed: 1 lead" in by_person["teammate@accord.test"]
    assert meeting.events.filter(kind=ReviewEvent.Kind.MINUTES_SENT).count() == 1


# --- Leads that change owner -------------------------------------------------------------------


def test_open_commitments_follow_the_leads_of_a_rep_who_left(cast, accepted_lead, open_meeting):
    from leads.sweeps import reassign_departed

    lead = accepted_lead()
    meeting = open_meeting()
    assert item_of(meeting, lead).rep == cast.rep
    cast.rep.is_active = False
    cast.rep.save()
    reassign_departed()
    assert item_of(meeting, lead).rep == cast.teammate


def test_a_closed_meetings_minutes_keep_who_reported(cast, accepted_lead, open_meeting):
    lead = accepted_lead()
    meeting = open_meeting()
    services.review_meeting_close(meeting=meeting, by=cast.manager)
    lead_services.lead_reassign(lead=lead, to=cast.teammate, by=cast.manager, reason="rebalancing")
    assert item_of(meeting, lead).rep == cast.rep
