"""Grading leads against the active qualified-lead definition: on create and change, when
activity is logged, and for every lead when a new version becomes active."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import FieldRule, QualificationDefinition
from leads import evaluation, services, tasks
from leads.demo import ensure_demo_definition
from leads.exceptions import LeadError
from leads.models import Activity, EvaluationRun, Handoff, Lead, LeadEvent, Notification, Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

# A Tuesday noon, UTC: evaluations today are made as of the coming midnight, 12 hours later.
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def active(cast):
    """The demo's definition, agreed by both leaders: senior people (+40) at firms of 200 to 5,000
    (+30) in software or finance (+20) that are not yet customers (+10); a demo request is worth
    50, an active-interest source 15; A from 60, hot from 60; sales-ready when A/B and hot, or
    on any demo request."""
    return ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)


def activate(definition, cast):
    alignment_services.definition_propose(definition=definition, by=cast.marketer)
    alignment_services.definition_approve(definition=definition, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=definition, by=cast.vp, side="sales")


def new_version(cast, based_on, *, seniority_points: int) -> QualificationDefinition:
    draft = alignment_services.definition_create(by=cast.marketer, name="Take two", based_on=based_on)
    FieldRule.objects.filter(definition=draft, field="seniority").update(points=seniority_points)
    return draft


def create_lead(cast, **fields):
    defaults = {
        "last_name": "Lovelace",
        "email": "lovelace@evaluation.example",
        "title": "VP Sales",
        "industry": "Software",
        "employees": 1000,
    }
    return services.lead_create(by=cast.marketer, source=cast.source, **{**defaults, **fields})


def bulk_leads(n: int, source, *, with_activity: bool = True) -> list[Lead]:
    """`n` identical leads (one demo request each), made in bulk."""
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        Lead(
            last_name=f"Bulk {i}",
            title="Head of IT",
            industry="Retail",
            employees=300,
            source=source,
            stage_changed_at=now,
            created_at=now - timedelta(days=2),
        )
        for i in range(n)
    )
    if with_activity:
        Activity.objects.bulk_create(
            Activity(lead=lead, kind="content_download", occurred_at=now - timedelta(days=1)) for lead in leads
        )
    return leads


class TestOneLead:
    def test_a_new_lead_is_graded_against_the_active_version(self, cast, active, frozen):
        lead = create_lead(cast)
        assert (lead.grade, lead.fit_points, lead.bucket, lead.sales_ready) == ("A", 100, "cold", False)
        # The active-interest source's 15 points, half a day old with a 30-day half-life.
        assert lead.score == 15
        assert lead.evaluated_with == active and lead.evaluated_at == NOON
        lead.refresh_from_db()
        assert (lead.grade, lead.score, lead.bucket, lead.evaluated_with_id) == ("A", 15, "cold", active.pk)

    def test_without_an_active_version_the_results_stay_empty(self, cast):
        lead = create_lead(cast)
        lead.refresh_from_db()
        assert (lead.grade, lead.fit_points, lead.score, lead.bucket, lead.sales_ready) == ("", None, None, "", False)
        assert lead.evaluated_with is None and lead.evaluated_at is None

    def test_changing_a_lead_grades_it_anew(self, cast, active, frozen):
        lead = create_lead(cast, title="Engineer", industry="", employees=None)
        assert (lead.grade, lead.fit_points) == ("D", 10)
        lead = services.lead_update(lead=lead, by=cast.marketer, fields={"title": "CTO", "employees": 800})
        assert (lead.grade, lead.fit_points) == ("A", 80)
        assert Lead.objects.get(pk=lead.pk).grade == "A"

    def test_a_demo_request_raises_the_score_and_makes_the_lead_sales_ready(self, cast, active, frozen):
        lead = create_lead(cast, title="Analyst", industry="Retail")  # 30 + 10 fit points
        assert (lead.grade, lead.score, lead.bucket, lead.sales_ready) == ("B", 15, "cold", False)
        activity = services.activity_log(lead=lead, by=cast.marketer, kind="demo_request", note=" Wants a demo ")
        lead.refresh_from_db()
        assert lead.score == 64 and lead.bucket == "hot" and lead.sales_ready  # 14.8 + 49.4
        assert (activity.kind, activity.note, activity.created_by, activity.occurred_at) == (
            "demo_request",
            "Wants a demo",
            cast.marketer,
            NOON,
        )
        event = lead.events.get(kind=LeadEvent.Kind.ACTIVITY)
        assert event.actor == cast.marketer and event.details["kind"] == "demo_request"

    def test_an_activity_earlier_today_counts_at_once(self, cast, active, frozen):
        lead = create_lead(cast, title="Analyst")
        services.activity_log(lead=lead, by=None, kind="pricing_page_visit", occurred_at=NOON - timedelta(hours=3))
        lead.refresh_from_db()
        # 15 and 30 points, faded by half a day and by 15 hours: 14.8 + 29.6.
        assert lead.score == 44 and lead.bucket == "warm"

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"kind": "demo_request", "occurred_at": NOON + timedelta(hours=1)}, "cannot be logged in the future"),
            ({"kind": "carrier_pigeon"}, "is not a kind of activity; choose one of: Demo request"),
        ],
    )
    def test_impossible_activities_are_refused_and_nothing_is_saved(self, cast, active, frozen, fields, message):
        lead = create_lead(cast)
        with pytest.raises(LeadError, match=message):
            services.activity_log(lead=lead, by=cast.marketer, **fields)
        assert not Activity.objects.exists()
        assert not lead.events.filter(kind=LeadEvent.Kind.ACTIVITY).exists()
        assert Lead.objects.get(pk=lead.pk).score == 15

    def test_explain_gives_the_reasons_rule_by_rule(self, cast, active, frozen):
        lead = create_lead(cast, title="Analyst")
        explained = evaluation.explain(lead=lead)
        assert (explained.grade, explained.score, explained.sales_ready) == (lead.grade, lead.score, False)
        assert explained.why() == "Not sales-ready: bucket cold is not hot; no demo request."
        assert [result.met for result in explained.fit] == [False, True, True, True, False, False]

    def test_explain_without_an_active_version_is_none(self, cast):
        assert evaluation.explain(lead=create_lead(cast)) is None

    def test_the_moment_of_evaluation_is_the_end_of_the_utc_day(self):
        assert evaluation.evaluation_moment(NOON) == datetime(2026, 3, 11, tzinfo=UTC)
        late_in_new_york = datetime(2026, 3, 10, 23, 30, tzinfo=UTC).astimezone(timezone.get_fixed_timezone(-300))
        assert evaluation.evaluation_moment(late_in_new_york) == datetime(2026, 3, 11, tzinfo=UTC)


class TestHandoffs:
    def test_a_handoff_records_the_active_version(self, cast, active):
        lead = create_lead(cast)
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")  # sales-ready
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        assert handoff.definition == active and not handoff.override

    def test_before_any_version_is_active_it_records_none(self, cast):
        handoff = services.handoff_create(lead=create_lead(cast), by=cast.marketer, rep=cast.rep)
        assert handoff.definition is None

    def test_an_override_needs_a_reason(self, cast, active):
        lead = create_lead(cast)
        with pytest.raises(LeadError, match="Explain why this lead goes to sales although it is not sales-ready"):
            services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason="  ")
        assert not Handoff.objects.exists()
        handoff = services.handoff_create(
            lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason=" Asked for us by name "
        )
        assert handoff.override and handoff.override_reason == "Asked for us by name"

    def test_the_database_refuses_an_override_without_a_reason(self, cast, active):
        handoff = services.handoff_create(
            lead=create_lead(cast), by=cast.marketer, rep=cast.rep, override=True, override_reason="Asked by name"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Handoff.objects.filter(pk=handoff.pk).update(override_reason="")


class TestEveryLead:
    def test_activation_reevaluates_every_lead_with_progress_and_tells_the_activator(
        self, cast, active, django_capture_on_commit_callbacks, mailoutbox
    ):
        from outbox.models import OutboxMessage

        bulk_leads(5, cast.source)
        with django_capture_on_commit_callbacks(execute=True):
            definition = activate(new_version(cast, active, seniority_points=0), cast)
            run = EvaluationRun.objects.get(definition=definition)
            message = OutboxMessage.objects.get(key=f"reevaluate:{run.pk}")  # written with the activation
            assert message.sent_at is None  # not sent before the activation commits
        assert message.payload == {"task": "leads.tasks.reevaluate_leads", "args": [run.pk], "kwargs": {}}
        message.refresh_from_db()
        assert message.sent_at is not None
        assert (run.status, run.started_by, run.total, run.done) == (EvaluationRun.Status.RUNNING, cast.vp, 5, 0)

        summary = tasks.reevaluate_leads(run.pk)
        run.refresh_from_db()
        assert run.status == EvaluationRun.Status.FINISHED and run.finished_at is not None
        assert (run.done, run.total, run.summary) == (5, 5, summary)
        assert summary["evaluated"] == 5
        assert set(Lead.objects.values_list("evaluated_with", flat=True)) == {definition.pk}
        # Without seniority points: 30 (size) + 10 (net new) is grade B.
        assert set(Lead.objects.values_list("grade", flat=True)) == {"B"}
        notification = Notification.objects.get(recipient=cast.vp, kind=Notification.Kind.EVALUATION)
        assert "Every lead was re-evaluated against v2 Take two: 5 leads: A 0, B 5, C 0" in notification.message
        assert evaluation.evaluation_runs_for(definition).get() == run

    def test_running_a_finished_run_again_does_nothing(self, cast, active, mailoutbox):
        bulk_leads(3, cast.source)
        run = evaluation.evaluation_run_start(definition=active, by=cast.vp)
        first = tasks.reevaluate_leads(run.pk)
        Lead.objects.update(grade="")
        assert tasks.reevaluate_leads(run.pk) == first
        assert set(Lead.objects.values_list("grade", flat=True)) == {""}
        assert Notification.objects.filter(kind=Notification.Kind.EVALUATION).count() == 1

    def test_a_run_for_a_version_no_longer_active_evaluates_nothing(self, cast, active):
        bulk_leads(3, cast.source)
        run = evaluation.evaluation_run_start(definition=active, by=cast.vp)
        activate(new_version(cast, active, seniority_points=5), cast)
        summary = tasks.reevaluate_leads(run.pk)
        assert summary == {"skipped": "Version 1 is no longer active."}
        assert set(Lead.objects.values_list("evaluated_with", flat=True)) == {None}
        run.refresh_from_db()
        assert run.status == EvaluationRun.Status.FINISHED

    def test_a_broker_outage_keeps_the_task_in_the_outbox(self, cast, active, django_capture_on_commit_callbacks):
        from outbox.models import OutboxMessage
        from tests.brokers import use_broker

        previous = tasks.reevaluate_leads.app.conf.broker_url
        use_broker("redis://127.0.0.1:9/0", max_retries=0)  # nothing listens there
        try:
            with django_capture_on_commit_callbacks(execute=True):
                definition = activate(new_version(cast, active, seniority_points=5), cast)
        finally:
            use_broker(previous)
        assert definition.status == QualificationDefinition.Status.ACTIVE
        run = EvaluationRun.objects.get(definition=definition)
        message = OutboxMessage.objects.get(key=f"reevaluate:{run.pk}")
        assert (message.sent_at, message.attempts) == (None, 1)
        assert "Connection refused" in message.last_error

    def test_a_run_whose_task_never_arrived_is_finished_by_the_sweep(self, cast, active):
        bulk_leads(4, cast.source)
        EvaluationRun.objects.all().delete()  # the activation's own run, in the fixture
        run = evaluation.evaluation_run_start(definition=active, by=cast.vp)
        assert evaluation.evaluation_runs_resume() == []  # not stalled yet
        later = timezone.now() + evaluation.STALLED_AFTER + timedelta(minutes=1)
        with time_machine.travel(later, tick=False):
            assert tasks.resume_stalled_evaluations() == [run.pk]
            assert tasks.resume_stalled_evaluations() == []
        run.refresh_from_db()
        assert (run.status, run.done) == (EvaluationRun.Status.FINISHED, 4)
        assert set(Lead.objects.values_list("evaluated_with", flat=True)) == {active.pk}
        assert Notification.objects.filter(kind=Notification.Kind.EVALUATION).count() == 1
        assert tasks.reevaluate_leads(run.pk) == run.summary  # the late task changes nothing

    def test_a_run_another_worker_is_progressing_on_is_left_to_it(self, cast, active):
        bulk_leads(2, cast.source)
        run = evaluation.evaluation_run_start(definition=active, by=cast.vp)
        EvaluationRun.objects.filter(pk=run.pk).update(progressed_at=timezone.now(), done=1)
        assert tasks.reevaluate_leads(run.pk) == {}
        run.refresh_from_db()
        assert (run.status, run.done) == (EvaluationRun.Status.RUNNING, 1)

    def test_two_runs_give_the_same_summary_and_it_matches_the_leads(self, cast, active):
        bulk_leads(30, cast.source)
        bulk_leads(20, SourceFactory(name="Bought list", interest=Source.Interest.PASSIVE), with_activity=False)
        create_lead(cast)
        first = evaluation.leads_evaluate_all(batch_size=7)
        second = evaluation.leads_evaluate_all(batch_size=7)
        assert first == second
        assert first["evaluated"] == Lead.objects.count() == 51
        leads = Lead.objects.all()
        for grade, count in first["grades"].items():
            assert leads.filter(grade=grade).count() == count
        for bucket, count in first["buckets"].items():
            assert leads.filter(bucket=bucket).count() == count
        assert leads.filter(sales_ready=True).count() == first["sales_ready"]
        assert sum(first["grades"].values()) == sum(first["buckets"].values()) == 51

    def test_the_queries_grow_per_batch_not_per_lead(self, cast, active):
        def queries_for(n: int) -> int:
            Lead.objects.all().delete()
            bulk_leads(n, cast.source)
            with CaptureQueriesContext(connection) as queries:
                evaluation.leads_evaluate_all(definition=active, batch_size=100)
            return len(queries)

        q100, q200, q400 = queries_for(100), queries_for(200), queries_for(400)
        assert q400 - q100 == 3 * (q200 - q100)
        # Leads, activities, sales-ready with the stamp, one (grade, fit points), one (score,
        # bucket) and one priority update for these identical leads, and the batch's savepoint and
        # its release.
        assert q200 - q100 == 8

    def test_without_an_active_version_there_is_nothing_to_evaluate_against(self, cast):
        with pytest.raises(LeadError, match="No qualified-lead definition is active"):
            evaluation.leads_evaluate_all()


class TestEvaluateLeadsCommand:
    def test_json_summary_on_the_last_line(self, cast, active, capsys):
        bulk_leads(4, cast.source)
        call_command("evaluate_leads", "--json")
        first = capsys.readouterr().out.strip().splitlines()
        call_command("evaluate_leads", "--json", "--batch-size", "3")
        second = capsys.readouterr().out.strip().splitlines()
        summary = json.loads(first[-1])
        assert set(summary) == {"evaluated", "grades", "buckets", "sales_ready"}
        assert set(summary["grades"]) == {"A", "B", "C", "D"}
        assert set(summary["buckets"]) == {"hot", "warm", "cold", "unqualified"}
        assert summary["evaluated"] == 4 and json.loads(second[-1]) == summary
        assert first[0].startswith("Evaluated against v1 Enterprise fit: 4 leads")

    def test_without_an_active_version_it_fails_clearly(self, cast):
        with pytest.raises(CommandError, match="No qualified-lead definition is active"):
            call_command("evaluate_leads")


class TestDemo:
    def test_the_demo_definition_is_agreed_once(self, cast):
        first = ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
        again = ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)
        assert first == again and QualificationDefinition.objects.count() == 1
        assert first.status == QualificationDefinition.Status.ACTIVE
        assert list(first.events.values_list("kind", flat=True).order_by("id")) == [
            "drafted",
            "edited",
            "proposed",
            "approved",
            "approved",
            "activated",
        ]

    def test_generated_leads_are_graded_before_their_handoffs_record_the_grade(self, db):
        """No patch after the fact: each generated hand-off records the grade and bucket its
        lead had when it was handed off, as a real one does."""
        from leads.demo import ensure_people_and_catalogue, generate_leads

        cast = ensure_people_and_catalogue()  # with the demo's signed definition
        generate_leads(cast=cast, n=200, seed=3)
        handoffs = list(Handoff.objects.select_related("lead"))
        assert handoffs and all(h.grade in "ABCD" and h.grade for h in handoffs)
        assert all((h.grade, h.bucket) == (h.lead.grade, h.lead.bucket) for h in handoffs)


class TestBecomingSalesReady:
    """Whatever makes a lead sales-ready (an activity, a re-score of every lead, an import) writes
    one SALES_READY event naming the version and tells routing once; staying ready does not."""

    @pytest.fixture
    def heard(self):
        from leads.signals import leads_became_sales_ready

        calls = []

        def listener(sender, lead_ids, at, **kwargs):
            calls.append(sorted(lead_ids))

        leads_became_sales_ready.connect(listener)
        yield calls
        leads_became_sales_ready.disconnect(listener)

    def test_an_activity_that_makes_a_lead_ready_is_an_event_and_a_signal(self, cast, active, frozen, heard):
        lead = create_lead(cast, title="Analyst", industry="Retail")
        assert not lead.sales_ready and heard == []
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
        event = lead.events.get(kind=LeadEvent.Kind.SALES_READY)
        assert (event.details, event.created_at) == ({"version": active.version}, NOON)
        assert heard == [[lead.pk]]
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")  # still ready
        assert lead.events.filter(kind=LeadEvent.Kind.SALES_READY).count() == 1
        assert heard == [[lead.pk]]

    def test_a_rescore_of_every_lead_tells_once_for_those_that_became_ready(self, cast, active, heard):
        leads = bulk_leads(3, cast.source)  # a content download each: not ready
        services.activity_log(lead=leads[1], by=cast.marketer, kind="demo_request")
        heard.clear()
        Lead.objects.filter(pk=leads[1].pk).update(sales_ready=False)  # as an older version left it
        evaluation.leads_evaluate_all(definition=active)
        assert heard == [[leads[1].pk]]
        assert list(LeadEvent.objects.filter(kind=LeadEvent.Kind.SALES_READY).values_list("lead_id", flat=True)) == [
            leads[1].pk,
            leads[1].pk,
        ]

    def test_an_imported_lead_that_arrives_ready_is_told(self, cast, active, heard):
        from leads.imports.services import leads_import

        # Ready on fit alone (grade A or B in any bucket), as a lead that arrives has no activity.
        QualificationDefinition.objects.filter(pk=active.pk).update(ready_buckets="hot,warm,cold,unqualified")
        data = (
            b"FirstName,LastName,Email,Title,Company,LeadSource,NumberOfEmployees,Industry\n"
            b"Ada,Lovelace,ada@ready.example,CEO,Engines Ltd,Web,800,Software\n"
            b"Bob,Plain,bob@plain.example,Intern,Tiny Co,Web,2,Retail\n"
        )
        leads_import(data=data, file_name="ready.csv", by=cast.marketer, default_source=cast.source)
        ready = list(Lead.objects.filter(sales_ready=True).values_list("email", "pk"))
        assert [email for email, _ in ready] == ["ada@ready.example"]
        assert heard == [[pk for _, pk in ready]]
        assert LeadEvent.objects.filter(kind=LeadEvent.Kind.SALES_READY).count() == 1
