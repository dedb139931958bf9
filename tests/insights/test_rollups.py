"""The dashboard's rollups (lead journeys and hand-off outcomes): every writer of the leads app
keeps them right, a refresh is idempotent and an incremental refresh equals a full rebuild; the
dashboard reads them (or the sources when too much is pending) with the same figures; the beat
task that refreshes them is scheduled."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import FieldRule
from insights import rollups, selectors, sketch
from insights.models import HandoffOutcome, LeadJourney, RollupState
from leads import evaluation, services
from leads.demo import ensure_demo_definition
from leads.duplicates import duplicate_merge
from leads.imports.services import leads_import
from leads.models import Campaign, DuplicateCandidate, Handoff, Lead, Reminder
from leads.sweeps import sweep_overdue
from tests.factories import UserFactory
from tests.insights.builders import NOW, at, lead_with_history, passive_source
from tests.leads.test_imports import SALESFORCE_API, ada_row, csv_bytes

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in LeadJourney._meta.concrete_fields]
OUTCOME_FIELDS = [f.attname for f in HandoffOutcome._meta.concrete_fields]


def rows() -> list[tuple]:
    return list(LeadJourney.objects.order_by("lead_id").values_list(*FIELDS))


def outcome_rows() -> list[tuple]:
    return list(HandoffOutcome.objects.order_by("handoff_id").values_list(*OUTCOME_FIELDS))


def rebuilt() -> tuple[list[tuple], list[tuple]]:
    """The rows of both rollups a full rebuild gives (the rollups are left rebuilt)."""
    rollups.rebuild()
    return rows(), outcome_rows()


def assert_refresh_equals_rebuild():
    assert rollups.refresh() is True
    incremental = rows(), outcome_rows()
    assert incremental == rebuilt()
    return incremental


def outcome(handoff) -> HandoffOutcome:
    return HandoffOutcome.objects.get(handoff_id=handoff.pk)


def journey(lead) -> LeadJourney:
    return LeadJourney.objects.get(lead_id=lead.pk)


def history(cast):
    """Hand-built leads at every step, one without a campaign, one recycled."""
    push = Campaign.objects.create(name=f"Push {Campaign.objects.count()}", source=cast.source, cost=Decimal("100"))
    born = at(-24 * 10)
    won = lead_with_history(
        source=cast.source,
        campaign=push,
        created=born,
        path=[("mql", 2), ("handed_off", 4), ("accepted", 10), ("qualified", 34), ("won", 58)],
    )
    straight = lead_with_history(source=cast.source, created=born, path=[("handed_off", 6), ("accepted", 8)])
    mql = lead_with_history(source=passive_source(), created=born, path=[("mql", 4)], cycle_count=4)
    fresh = lead_with_history(source=cast.source, created=born)
    return {"won": won, "straight": straight, "mql": mql, "fresh": fresh, "push": push}


class TestRows:
    def test_a_row_holds_the_first_time_of_each_step_and_the_seconds_between(self, cast):
        leads = history(cast)
        assert_refresh_equals_rebuild()
        won = journey(leads["won"])
        born = leads["won"].created_at
        assert won.created_at == born
        assert won.source_id == cast.source.pk and won.campaign_id == leads["push"].pk
        assert won.reached_mql == born + timedelta(hours=2)
        assert won.reached_won == born + timedelta(hours=58)
        assert [won.secs_mql, won.secs_handed_off, won.secs_accepted, won.secs_qualified, won.secs_won] == [
            pytest.approx(h * 3600, abs=0.01) for h in (2, 2, 6, 24, 24)
        ]
        straight = journey(leads["straight"])  # handed off from new: MQL passed at that moment
        assert straight.reached_mql == straight.reached_handed_off == born + timedelta(hours=6)
        # Its hand-off is measured from the last step it stood at, its creation, not from the
        # MQL moment it passed at the hand-off itself (which made every such median 0.0).
        assert [straight.secs_mql, straight.secs_handed_off, straight.secs_accepted] == [
            pytest.approx(h * 3600, abs=0.01) for h in (6, 6, 2)
        ]
        assert straight.reached_qualified is None and straight.secs_qualified is None
        assert journey(leads["mql"]).cycles == 3  # three or more
        fresh = journey(leads["fresh"])
        assert fresh.reached_mql is None and fresh.week.weekday() == 0

    def test_a_refresh_is_idempotent(self, cast):
        history(cast)
        first = assert_refresh_equals_rebuild()
        state = RollupState.objects.get(name=rollups.NAME)
        assert rollups.refresh() is True
        assert (rows(), outcome_rows()) == first
        assert RollupState.objects.get(name=rollups.NAME).event_watermark == state.event_watermark

    def test_an_incremental_refresh_equals_a_full_rebuild_on_hand_built_data(self, cast):
        leads = history(cast)
        rollups.refresh()
        # More history after the watermark: new leads, and new events of known leads.
        lead_with_history(source=cast.source, created=at(-24), path=[("mql", 1), ("won", 3)])
        from leads.models import LeadEvent

        LeadEvent.objects.create(
            lead=leads["fresh"], kind="stage_changed", from_stage="new", to_stage="mql", created_at=at(-1)
        )
        journeys, _ = assert_refresh_equals_rebuild()
        assert len(journeys) == 5
        assert journey(leads["fresh"]).reached_mql == at(-1)

    def test_a_read_after_the_beat_caught_up_reads_the_rollups(self, cast):
        history(cast)  # leads changed in the last minutes, within the beat's lookback
        assert selectors.rollup_freshness().current is False  # never refreshed
        assert rollups.refresh() is True
        freshness = selectors.rollup_freshness()
        assert freshness.current is True
        assert freshness.as_of == RollupState.objects.get(name=rollups.NAME).refreshed_at

    def test_a_late_commit_is_counted_by_the_next_beat_not_by_a_read(self, cast):
        leads = history(cast)
        rollups.refresh()
        began = RollupState.objects.get(name=rollups.NAME).refreshed_at
        show = passive_source()
        # A transaction that changed the lead before the refresh began and committed after it.
        Lead.objects.filter(pk=leads["fresh"].pk).update(source=show, updated_at=began - timedelta(minutes=1))
        viewer = selectors.scope_for(user=cast.cmo, start=at(-24 * 20).date(), end=NOW.date(), now=NOW)
        selectors.figures(scope=viewer)
        assert journey(leads["fresh"]).source_id == cast.source.pk
        assert rollups.refresh() is True
        assert journey(leads["fresh"]).source_id == show.pk

    def test_without_a_state_everything_is_pending_and_a_refresh_catches_up(self, cast):
        history(cast)
        RollupState.objects.all().delete()
        LeadJourney.objects.all().delete()
        assert selectors.rollup_freshness().current is False
        assert rollups.refresh() is True
        assert (rows(), outcome_rows()) == rebuilt()


class TestWriters:
    """Each writer of the leads app, then a refresh: the rows equal a full rebuild."""

    def test_creating_handing_off_accepting_and_winning(self, cast):
        rollups.refresh()
        lead = services.lead_create(
            by=cast.marketer, last_name="Lovelace", email="lovelace@rollup.example", source=cast.source
        )
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        services.handoff_accept(handoff=handoff, by=cast.rep)
        lead.refresh_from_db()
        services.lead_advance(lead=lead, by=cast.rep, to_stage="qualified")
        services.lead_advance(lead=lead, by=cast.rep, to_stage="won")
        assert_refresh_equals_rebuild()
        row = journey(lead)
        assert row.reached_handed_off and row.reached_accepted and row.reached_won
        handoff.refresh_from_db()
        made = outcome(handoff)
        assert (made.status, made.won, made.assigned_to_id, made.lead_id) == ("accepted", True, cast.rep.pk, lead.pk)
        assert made.accept_secs == pytest.approx((handoff.decided_at - handoff.created_at).total_seconds(), abs=0.01)

    def test_a_rejection_recycles_the_lead(self, cast, reasons):
        lead = services.lead_create(
            by=cast.marketer, last_name="Byron", email="byron@rollup.example", source=cast.source
        )
        rollups.refresh()
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
        assert_refresh_equals_rebuild()
        assert journey(lead).cycles == Lead.objects.get(pk=lead.pk).cycle_count == 1
        assert (outcome(handoff).status, outcome(handoff).reason_id) == ("rejected", reasons["bad-contact-data"].pk)

    def test_editing_the_source_and_campaign(self, cast):
        lead = services.lead_create(
            by=cast.marketer, last_name="Babbage", email="babbage@rollup.example", source=cast.source
        )
        rollups.refresh()
        show = passive_source()
        summit = Campaign.objects.create(name="Summit", source=show, cost=Decimal("10"))
        services.lead_update(lead=lead, by=cast.marketer, fields={"source": show, "campaign": summit})
        assert_refresh_equals_rebuild()
        assert (journey(lead).source_id, journey(lead).campaign_id) == (show.pk, summit.pk)

    def test_a_change_saved_without_an_event(self, cast):
        lead = services.lead_create(
            by=cast.marketer, last_name="Somerville", email="somerville@rollup.example", source=cast.source
        )
        rollups.refresh()
        lead.sourced_by = cast.rep
        lead.save()  # as the admin does: updated_at moves, no event
        assert_refresh_equals_rebuild()
        assert journey(lead).sourced_by_id == cast.rep.pk

    def test_an_expired_hand_off_goes_back_to_marketing(self, cast):
        lead = services.lead_create(
            by=cast.marketer, last_name="Herschel", email="herschel@rollup.example", source=cast.source
        )
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        rollups.refresh()
        Handoff.objects.filter(pk=handoff.pk).update(accept_due_at=timezone.now() - timedelta(days=3))
        sweep_overdue(now=timezone.now() + timedelta(days=5))
        assert_refresh_equals_rebuild()
        assert journey(lead).reached_handed_off is not None

    def test_a_merge_moves_the_duplicates_history_to_the_survivor(self, cast):
        older = lead_with_history(source=cast.source, created=at(-24 * 30), email="jon@acme.example")
        newer = lead_with_history(
            source=cast.source, created=at(-24 * 2), path=[("mql", 1)], email="jon.smith@acme.example"
        )
        candidate = DuplicateCandidate.objects.create(
            lead=newer, likely_duplicate_of=older, similarity=95, reason="Same domain.", found_at=NOW
        )
        rollups.refresh()
        assert journey(older).reached_mql is None
        survivor = duplicate_merge(candidate=candidate, by=cast.marketer)
        assert_refresh_equals_rebuild()
        assert journey(survivor).reached_mql == at(-24 * 2 + 1)

    def test_an_import_creates_and_updates_leads(self, cast):
        leads_import(
            data=csv_bytes(SALESFORCE_API, [ada_row()]), file_name="a.csv", by=cast.marketer, default_source=cast.source
        )
        assert_refresh_equals_rebuild()
        lead = Lead.objects.get(salesforce_id="00Q5e00000AbCdEAAV")
        assert journey(lead).source_id == cast.source.pk
        leads_import(
            data=csv_bytes(SALESFORCE_API, [ada_row(LeadSource="Webinar")]),
            file_name="b.csv",
            by=cast.marketer,
            default_source=cast.source,
        )
        assert_refresh_equals_rebuild()
        lead.refresh_from_db()
        assert journey(lead).source_id == lead.source_id

    def test_deleting_a_campaign_a_finder_or_a_team(self, cast):
        push = Campaign.objects.create(name="Push", source=cast.source, cost=Decimal("100"))
        finder = UserFactory(username="finder")
        lead = services.lead_create(
            by=cast.marketer, last_name="Hopper", email="hopper@rollup.example", source=cast.source
        )
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        Lead.objects.filter(pk=lead.pk).update(campaign=push, sourced_by=finder, updated_at=timezone.now())
        rollups.refresh()
        assert (journey(lead).campaign_id, journey(lead).sourced_by_id) == (push.pk, finder.pk)
        made = outcome(handoff)
        assert (made.campaign_id, made.sourced_by_id, made.team_id) == (push.pk, finder.pk, cast.team.pk)
        RollupState.objects.update(recheck_from=timezone.now() + timedelta(days=1))  # no lookback help
        push.delete()
        finder.delete()
        cast.team.delete()
        assert (journey(lead).campaign_id, journey(lead).sourced_by_id) == (None, None)
        made = outcome(handoff)
        assert (made.campaign_id, made.sourced_by_id, made.team_id) == (None, None, None)
        assert (rows(), outcome_rows()) == rebuilt()


class TestHandoffWriters:
    """What changes a hand-off's outcome without touching its lead's journey, then a refresh:
    the rows equal a full rebuild."""

    def test_the_first_touch(self, cast):
        lead = services.lead_create(
            by=cast.marketer, last_name="Turing", email="turing@rollup.example", source=cast.source
        )
        handoff = services.handoff_accept(
            handoff=services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep), by=cast.rep
        )
        rollups.refresh()
        assert outcome(handoff).first_touch_at is None
        lead.refresh_from_db()
        touch = services.touch_log(lead=lead, by=cast.rep, kind="call")
        assert_refresh_equals_rebuild()
        made = outcome(handoff)
        assert made.first_touch_at == touch.happened_at
        assert made.touch_secs == pytest.approx((touch.happened_at - handoff.decided_at).total_seconds(), abs=0.01)

    def test_a_reassignment(self, cast):
        lead = services.lead_create(
            by=cast.marketer, last_name="Noether", email="noether@rollup.example", source=cast.source
        )
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        rollups.refresh()
        lead.refresh_from_db()
        services.lead_reassign(lead=lead, to=cast.teammate, by=cast.manager, reason="holiday")
        assert_refresh_equals_rebuild()
        assert outcome(handoff).assigned_to_id == cast.teammate.pk

    def test_reminders_and_escalations_of_the_sweep(self, cast, settings):
        lead = services.lead_create(
            by=cast.marketer, last_name="Meitner", email="meitner@rollup.example", source=cast.source
        )
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        rollups.refresh()
        due = handoff.accept_due_at
        # Past due, then past the escalation, not yet expired: a reminder and an escalation, no event.
        sweep_overdue(now=due + timedelta(minutes=1))
        RollupState.objects.update(recheck_from=timezone.now() + timedelta(days=1))  # the watermark alone
        assert_refresh_equals_rebuild()
        assert (outcome(handoff).reminders, outcome(handoff).escalations) == (1, 0)
        sweep_overdue(now=due + timedelta(hours=settings.ACCORD_ESCALATE_AFTER_HOURS, minutes=1))
        assert Reminder.objects.filter(handoff=handoff).count() == 2
        assert_refresh_equals_rebuild()
        assert (outcome(handoff).reminders, outcome(handoff).escalations) == (1, 1)

    def test_a_re_grade_leaves_what_the_hand_off_sent(self, cast):
        active = ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
        lead = services.lead_create(
            by=cast.marketer,
            source=cast.source,
            last_name="Hamilton",
            email="hamilton@rollup.example",
            title="VP Sales",
            industry="Retail",
            employees=1000,
        )
        handoff = services.handoff_create(
            lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason="Asked for a call"
        )
        # Seniority 40 + size 30 + net new 10 is A, recorded on the hand-off.
        assert (handoff.grade, handoff.bucket) == ("A", Lead.objects.get(pk=lead.pk).bucket)
        rollups.refresh()
        assert outcome(handoff).grade == "A"
        # A version without seniority points grades the lead B; the hand-off sent an A.
        draft = alignment_services.definition_create(by=cast.marketer, name="Take two", based_on=active)
        FieldRule.objects.filter(definition=draft, field="seniority").update(points=0)
        alignment_services.definition_propose(definition=draft, by=cast.marketer)
        alignment_services.definition_approve(definition=draft, by=cast.cmo, side="marketing")
        alignment_services.definition_approve(definition=draft, by=cast.vp, side="sales")
        evaluation.leads_evaluate_all()
        assert Lead.objects.get(pk=lead.pk).grade == "B"
        assert_refresh_equals_rebuild()
        assert outcome(handoff).grade == Handoff.objects.get(pk=handoff.pk).grade == "A"


class TestReading:
    def test_too_much_pending_reads_the_event_log_and_the_next_refresh_gives_the_same_figures(self, cast, monkeypatch):
        history(cast)
        viewer = selectors.scope_for(user=cast.cmo, start=at(-24 * 20).date(), end=NOW.date(), now=NOW)
        rollups.refresh()
        from_rollup = selectors.lead_cells(scope=viewer)
        lead_with_history(source=cast.source, created=at(-24), path=[("mql", 1)])
        # A little behind: the rollups as they are, without the new lead.
        assert selectors.rollup_freshness().current is True
        assert selectors.lead_cells(scope=viewer).cells == from_rollup.cells
        monkeypatch.setattr(rollups, "MAX_PENDING_ON_READ", 0)
        assert selectors.rollup_freshness().current is False
        from_events = selectors.lead_cells(scope=viewer)
        assert from_events.cells != from_rollup.cells
        rollups.refresh()
        assert selectors.rollup_freshness().current is True
        current = selectors.lead_cells(scope=viewer)
        assert current.cells == from_events.cells and current.cycles == from_events.cycles
        assert set(current.medians) == set(from_events.medians)
        # Whole days: the daily aggregates, whose medians are within the sketch's bound.
        for key, hours in from_events.medians.items():
            bound = [None if h is None else pytest.approx(h, rel=sketch.RELATIVE_ERROR) for h in hours]
            assert current.medians[key] == bound

    def test_rollups_the_beat_left_too_long_ago_are_not_read(self, cast):
        history(cast)
        rollups.refresh()
        assert selectors.rollup_freshness().current is True
        long_ago = timezone.now() - rollups.MAX_AGE_ON_READ - timedelta(minutes=1)
        RollupState.objects.filter(name=rollups.NAME).update(refreshed_at=long_ago)
        freshness = selectors.rollup_freshness()
        assert freshness.current is False and freshness.as_of == long_ago

    def test_the_rollup_gives_the_figures_the_event_log_gives(self, cast):
        history(cast)
        viewer = selectors.scope_for(user=cast.cmo, start=at(-24 * 20).date(), end=NOW.date(), now=NOW)
        cells = selectors.lead_cells(scope=viewer)
        direct = selectors.lead_cells_from_events(scope=viewer)
        assert cells.cells == direct.cells
        assert dict(cells.medians) == dict(direct.medians)

    def test_reading_costs_the_same_queries_whatever_is_pending(self, cast):
        viewer = selectors.scope_for(user=cast.cmo, start=at(-24 * 20).date(), end=NOW.date(), now=NOW)
        history(cast)
        with CaptureQueriesContext(connection) as few:
            selectors.lead_cells(scope=viewer)
        for _ in range(3):
            history(cast)
        with CaptureQueriesContext(connection) as more:
            selectors.lead_cells(scope=viewer)
        assert len(few) == len(more)


def test_the_beat_refreshes_the_rollup_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    task = PeriodicTask.objects.get(name="Lead journey rollup refresh")
    assert task.task == "insights.tasks.refresh_lead_journeys" and task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    app.loader.import_default_modules()
    assert "insights.tasks.refresh_lead_journeys" in app.tasks


def test_the_beat_task_brings_the_rollup_up_to_date(cast):
    from insights.tasks import refresh_lead_journeys

    history(cast)
    assert refresh_lead_journeys() is True
    assert len(rows()) == 4


def test_the_command_refreshes_or_rebuilds_the_rollups(cast):
    from io import StringIO

    from django.core.management import call_command

    history(cast)
    out = StringIO()
    call_command("refresh_rollups", stdout=out)
    assert "up to date" in out.getvalue() and len(rows()) == 4
    HandoffOutcome.objects.all().delete()
    LeadJourney.objects.all().delete()
    call_command("refresh_rollups", "--rebuild", stdout=out)
    assert "Rebuilt the rollups of 4 leads" in out.getvalue()
    assert len(rows()) == 4
