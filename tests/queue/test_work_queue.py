"""The rep's work queue: its order, what each row says, the reminders above it, bulk accept and
the inline (htmx) actions with their plain-form fallbacks."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment import services as alignment_services
from alignment.models import EngagementRule, FieldRule
from leads import selectors, services
from leads.models import Handoff, Lead, Reminder, Stage, Touch
from tests.factories import bulk_handed_off_leads

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def definition(cast):
    """Active: sales-ready on a demo request."""
    version = alignment_services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(definition=version, field="seniority", test="one_of", values=["c_level", "vp"], points=60)
    EngagementRule.objects.create(definition=version, activity="demo_request", points=70)
    alignment_services.definition_update(
        definition=version, by=cast.marketer, fields={"half_life_days": 0, "ready_activities": "demo_request"}
    )
    alignment_services.definition_propose(definition=version, by=cast.marketer)
    alignment_services.definition_approve(definition=version, by=cast.cmo, side="marketing")
    return alignment_services.definition_approve(definition=version, by=cast.vp, side="sales")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ready_handoff(cast, make_lead, *, note="", **fields):
    lead = make_lead(title="VP Sales", **fields)
    services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
    return services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, note=note)


class TestTheQueue:
    def test_rows_come_by_priority_then_due_time(self, cast, handoff_to_rep):
        # Names no generated person carries: the page also shows the marketer's name ("Lowe").
        low = handoff_to_rep(last_name="Lowpriority")
        high_late = handoff_to_rep(last_name="Highlate")
        high_soon = handoff_to_rep(last_name="Highsoon")
        Lead.objects.filter(pk=low.lead_id).update(priority=10)
        Lead.objects.filter(pk__in=[high_late.lead_id, high_soon.lead_id]).update(priority=90)
        now = timezone.now()
        Handoff.objects.filter(pk=high_late.pk).update(accept_due_at=now + timedelta(hours=9))
        Handoff.objects.filter(pk=high_soon.pk).update(accept_due_at=now + timedelta(hours=1))
        assert list(selectors.inbox_for(user=cast.rep)) == [high_soon, high_late, low]
        page = logged_in(cast.rep).get("/inbox/").content.decode()
        assert page.index("Highsoon") < page.index("Highlate") < page.index("Lowpriority")

    def test_a_row_says_grade_priority_why_ready_note_and_time_left(self, cast, make_lead, definition):
        handoff = ready_handoff(cast, make_lead, note="Asked for a demo twice", last_name="Lovelace")
        lead = Lead.objects.get(pk=handoff.lead_id)
        row = _row(logged_in(cast.rep).get("/inbox/").content.decode(), handoff)
        assert f'<span class="badge text-bg-primary">{lead.grade}</span>' in row
        assert f">{lead.priority}<" in row
        assert "Sales-ready: grade A and bucket hot; 1 demo request." in row
        assert "Asked for a demo twice" in row
        due = timezone.localtime(handoff.accept_due_at)
        assert f'datetime="{due.isoformat()}"' in row
        assert re.search(r"due in \d+ (d|h|min)", row)
        assert "overdue" not in row

    def test_an_override_shows_its_reason_and_an_overdue_row_says_so(self, cast, make_lead, definition):
        lead = make_lead(title="Intern")
        handoff = services.handoff_create(
            lead=lead, by=cast.marketer, rep=cast.rep, override=True, override_reason="Their CEO called us"
        )
        Handoff.objects.filter(pk=handoff.pk).update(accept_due_at=timezone.now() - timedelta(hours=3, minutes=5))
        row = _row(logged_in(cast.rep).get("/inbox/").content.decode(), handoff)
        assert "Handed off anyway: Their CEO called us" in row
        assert "overdue by 3 h 5 min" in row or "overdue by 3 h 4 min" in row
        assert 'class="queue-item overdue"' in row

    def test_standing_reminders_show_above_the_queue(self, cast, handoff_to_rep):
        late = handoff_to_rep(last_name="Lovelace")
        decided = handoff_to_rep(last_name="Babbage")
        theirs = handoff_to_rep(rep=cast.teammate, last_name="Hopper")
        for handoff in (late, decided, theirs):
            Reminder.objects.create(
                handoff=handoff,
                breach=Reminder.Breach.ACCEPT,
                level=Reminder.Level.REMIND,
                due_at=handoff.accept_due_at,
                created_at=timezone.now(),
                run=uuid.uuid4(),
            )
        services.handoff_accept(handoff=decided, by=cast.rep)  # answered: no longer standing
        page = logged_in(cast.rep).get("/inbox/").content.decode()
        reminders = page[page.index('id="reminders"') : page.index("</section>")]
        assert "Lovelace" in reminders and f'href="#handoff-{late.pk}"' in reminders
        assert "Babbage" not in reminders and "Hopper" not in reminders

    @pytest.mark.parametrize("who", ["rep", "manager"])
    def test_the_queue_runs_the_same_queries_for_10_and_300_rows(self, cast, definition, who):
        user = getattr(cast, who)

        def add(n):
            leads = bulk_handed_off_leads(n=n, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
            Reminder.objects.bulk_create(
                Reminder(
                    handoff=handoff,
                    breach=Reminder.Breach.ACCEPT,
                    level=Reminder.Level.REMIND,
                    due_at=handoff.accept_due_at,
                    created_at=timezone.now(),
                    run=uuid.uuid4(),
                )
                for handoff in Handoff.objects.filter(lead__in=leads)
            )

        def count() -> int:
            client = logged_in(user)
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/inbox/")
            assert response.status_code == 200
            assert b"Sales-ready" in response.content or b"Not sales-ready" in response.content
            return len(queries)

        add(10)
        count()  # a first visit also reads the active version's rules, kept for the process
        with_10 = count()
        add(290)
        assert count() == with_10 <= 10


def _row(page: str, handoff) -> str:
    start = page.index(f'<tbody id="handoff-{handoff.pk}"')
    return page[start : page.index("</tbody>", start)]


class TestBulkAccept:
    def test_it_accepts_the_ticked_leads(self, cast, handoff_to_rep):
        first, second, left = handoff_to_rep(), handoff_to_rep(), handoff_to_rep()
        response = logged_in(cast.rep).post("/inbox/accept/", {"handoff": [first.pk, second.pk]}, follow=True)
        assert b"You accepted 2 lead(s)" in response.content
        statuses = dict(Handoff.objects.values_list("pk", "status"))
        assert statuses == {first.pk: "accepted", second.pk: "accepted", left.pk: "pending"}

    def test_a_foreign_id_changes_nothing(self, cast, handoff_to_rep):
        mine, theirs = handoff_to_rep(), handoff_to_rep(rep=cast.teammate)
        response = logged_in(cast.rep).post("/inbox/accept/", {"handoff": [mine.pk, theirs.pk]}, follow=True)
        assert b"not waiting for your decision" in response.content and b"nothing was accepted" in response.content
        assert set(Handoff.objects.values_list("status", flat=True)) == {"pending"}

    @pytest.mark.parametrize("ids", [["abc"], ["-1"], ["1; DROP TABLE"], []])
    def test_unreadable_ids_change_nothing(self, cast, handoff_to_rep, ids):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post("/inbox/accept/", {"handoff": [*ids]}, follow=True)
        assert response.status_code == 200
        assert b"nothing was accepted" in response.content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_a_manager_cannot_accept_for_the_rep(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        logged_in(cast.manager).post("/inbox/accept/", {"handoff": [handoff.pk]})
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_the_service_reports_each_refusal_by_lead_and_accepts_the_rest(self, cast, handoff_to_rep, reasons):
        first, decided, third = handoff_to_rep(), handoff_to_rep(), handoff_to_rep()
        stale = Handoff.objects.get(pk=decided.pk)
        services.handoff_reject(handoff=decided, by=cast.rep, reason=reasons["duplicate"])
        accepted, refused = services.handoffs_accept(handoffs=[first, stale, third], by=cast.rep, batch_size=2)
        assert [h.pk for h in accepted] == [first.pk, third.pk]
        assert list(refused) == [stale.lead] and "already been decided" in refused[stale.lead]
        assert Lead.objects.get(pk=first.lead_id).stage == Stage.ACCEPTED
        assert Lead.objects.get(pk=decided.lead_id).stage == Stage.DISQUALIFIED  # the rejection stands


class TestInlineActions:
    def test_accept_swaps_the_row_in_place(self, cast, handoff_to_rep):
        handoff = handoff_to_rep(last_name="Lovelace")
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/accept/", **HTMX)
        assert response.status_code == 200
        content = response.content.decode()
        assert content.lstrip().startswith("<tbody") or '<tbody id="handoff-' in content
        # Now accepted: "Log touch" is offered, and opens its form in the row.
        assert f'hx-get="/leads/{handoff.lead_id}/touches/new/"' in content
        assert f'id="touch-{handoff.pk}"' not in content
        assert 'hx-swap-oob="true"' in content and "You accepted" in content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.ACCEPTED

    def test_without_javascript_accept_redirects_to_the_queue(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/accept/")
        assert response.status_code == 302 and response["Location"] == "/inbox/"

    def test_reject_without_a_reason_keeps_the_row_and_explains(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/reject/", {"reason": "", "note": "Keep"}, **HTMX)
        content = response.content.decode()
        assert "Choose a reason for rejecting the lead." in content
        assert 'value="Keep"' in content and f'<tbody id="handoff-{handoff.pk}"' in content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_reject_with_a_reason_replaces_the_row_with_where_it_went(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace")
        response = logged_in(cast.rep).post(
            f"/inbox/{handoff.pk}/reject/", {"reason": reasons["bad-contact-data"].pk, "note": ""}, **HTMX
        )
        content = response.content.decode()
        assert f'<tbody id="handoff-{handoff.pk}"' not in content
        assert "rejected (Bad contact data, recycle to nurture)" in content
        assert "You rejected Ada Lovelace" in content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.REJECTED

    def test_a_touch_logged_inline_keeps_its_result(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        client = logged_in(cast.rep)
        response = client.post(
            f"/leads/{handoff.lead_id}/touches/new/", {"kind": "call", "result": "no_answer", "next": "/inbox/"}, **HTMX
        )
        assert response.status_code == 200 and "Call logged" in response.content.decode()
        assert Touch.objects.get().result == Touch.Result.NO_ANSWER
        refused = client.post(f"/leads/{handoff.lead_id}/touches/new/", {"kind": "call", "result": ""}, **HTMX)
        assert "Choose what came of the touch." in refused.content.decode()
        assert Touch.objects.count() == 1

    def test_the_queue_carries_no_inline_form_until_one_is_asked_for(self, cast, handoff_to_rep):
        waiting, worked = handoff_to_rep(last_name="Waiting"), handoff_to_rep(last_name="Worked")
        services.handoff_accept(handoff=worked, by=cast.rep)
        client = logged_in(cast.rep)
        page = client.get("/inbox/").content.decode()
        assert f'id="reject-{waiting.pk}"' not in page and f'id="touch-{worked.pk}"' not in page
        assert f'hx-get="/inbox/{waiting.pk}/reject/"' in page

        reject = client.get(f"/inbox/{waiting.pk}/reject/", **HTMX).content.decode()
        assert reject.lstrip().startswith(f'<tbody id="handoff-{waiting.pk}"')
        assert f'id="reject-{waiting.pk}"' in reject and 'name="reason"' in reject and "data-queue-close" in reject
        touch = client.get(f"/leads/{worked.lead_id}/touches/new/", **HTMX).content.decode()
        assert touch.lstrip().startswith(f'<tbody id="handoff-{worked.pk}"')
        assert f'id="touch-{worked.pk}"' in touch and 'name="result"' in touch

        # Without JavaScript the same links open the pages of their own.
        assert "<html" in client.get(f"/inbox/{waiting.pk}/reject/").content.decode()
        assert "<html" in client.get(f"/leads/{worked.lead_id}/touches/new/").content.decode()
        assert Handoff.objects.get(pk=waiting.pk).status == Handoff.Status.PENDING and not Touch.objects.exists()

    def test_another_reps_row_form_is_refused(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        assert logged_in(cast.other_rep).get(f"/inbox/{handoff.pk}/reject/", **HTMX).status_code in (403, 404)
