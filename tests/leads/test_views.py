import pytest
from django.test import Client

from leads import services
from leads.models import Handoff, Lead, Notification, Stage, Touch

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestInbox:
    def test_it_lists_the_reps_pending_handoffs_with_reasons_to_reject(self, cast, handoff_to_rep):
        handoff = handoff_to_rep(last_name="Lovelace")
        handoff_to_rep(rep=cast.teammate, last_name="Babbage")
        response = logged_in(cast.rep).get("/inbox/")
        assert response.status_code == 200
        assert b"Lovelace" in response.content
        assert b"Babbage" not in response.content
        assert f'action="/inbox/{handoff.pk}/accept/"'.encode() in response.content
        # "Reject…" opens the row's form, which offers the reasons agreed.
        form = logged_in(cast.rep).get(f"/inbox/{handoff.pk}/reject/", HTTP_HX_REQUEST="true")
        assert b"Bad contact data" in form.content

    def test_a_manager_sees_the_whole_team(self, cast, handoff_to_rep):
        handoff_to_rep(last_name="Lovelace")
        handoff_to_rep(rep=cast.teammate, last_name="Babbage")
        handoff_to_rep(rep=cast.other_rep, last_name="Hopper")
        content = logged_in(cast.manager).get("/inbox/").content
        assert b"Lovelace" in content and b"Babbage" in content
        assert b"Hopper" not in content

    def test_accepting_from_the_inbox(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/accept/", follow=True)
        assert b"You accepted" in response.content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.ACCEPTED

    def test_a_second_accept_gets_a_clear_message(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        client = logged_in(cast.rep)
        client.post(f"/inbox/{handoff.pk}/accept/")
        response = client.post(f"/inbox/{handoff.pk}/accept/", follow=True)
        assert b"already been decided" in response.content


class TestReject:
    def test_without_a_reason_it_explains_and_keeps_the_note(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/reject/", {"reason": "", "note": "Wrong number"})
        assert response.status_code == 200
        assert b"Choose a reason for rejecting the lead." in response.content
        assert b"Wrong number" in response.content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_with_a_reason_it_rejects_and_returns_to_the_inbox(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(
            f"/inbox/{handoff.pk}/reject/", {"reason": reasons["bad-contact-data"].pk, "note": "Bounced"}
        )
        assert response.status_code == 302
        handoff.refresh_from_db()
        assert (handoff.status, handoff.decision_note) == (Handoff.Status.REJECTED, "Bounced")

    def test_a_tampered_reason_id_is_refused(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(f"/inbox/{handoff.pk}/reject/", {"reason": reasons["no-budget"].pk})
        assert b"Select a valid choice" in response.content
        handoff.refresh_from_db()
        assert handoff.status == Handoff.Status.PENDING

    def test_rejecting_a_decided_handoff_keeps_the_form(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep()
        client = logged_in(cast.rep)
        stale_form = {"reason": reasons["duplicate"].pk, "note": "Seen before"}
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
        response = client.post(f"/inbox/{handoff.pk}/reject/", stale_form)
        assert b"already been decided" in response.content
        assert b"Seen before" in response.content


class TestHandoffForm:
    def test_marketing_hands_a_lead_to_a_team(self, cast, make_lead):
        lead = make_lead()
        response = logged_in(cast.marketer).post(f"/leads/{lead.pk}/hand-off/", {"team": cast.team.pk, "note": "Hot"})
        assert response.status_code == 302
        handoff = Handoff.objects.get(lead=lead)
        assert handoff.assigned_to in (cast.rep, cast.teammate)
        assert handoff.note == "Hot"

    def test_choosing_both_a_rep_and_a_team_is_explained(self, cast, make_lead):
        lead = make_lead()
        response = logged_in(cast.marketer).post(
            f"/leads/{lead.pk}/hand-off/", {"team": cast.team.pk, "rep": cast.rep.pk, "note": "Keep me"}
        )
        assert b"Choose either a rep or a team" in response.content
        assert b"Keep me" in response.content
        assert not Handoff.objects.exists()

    def test_a_deactivated_rep_is_not_offered(self, cast, make_lead):
        cast.rep.is_active = False
        cast.rep.save()
        lead = make_lead()
        response = logged_in(cast.marketer).post(f"/leads/{lead.pk}/hand-off/", {"rep": cast.rep.pk})
        assert b"Select a valid choice" in response.content
        assert not Handoff.objects.exists()

    def test_a_lead_already_handed_off_is_explained(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.marketer).post(f"/leads/{handoff.lead_id}/hand-off/", {"rep": cast.teammate.pk})
        assert b"already has an open hand-off" in response.content
        assert Handoff.objects.filter(lead_id=handoff.lead_id).count() == 1


class TestTouchForm:
    def test_the_rep_logs_a_touch(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        services.handoff_accept(handoff=handoff, by=cast.rep)
        response = logged_in(cast.rep).post(
            f"/leads/{handoff.lead_id}/touches/new/", {"kind": "call", "result": "connected", "note": "Hi"}
        )
        assert response.status_code == 302
        assert Touch.objects.get(lead_id=handoff.lead_id).note == "Hi"

    def test_a_touch_before_accepting_is_explained_and_the_note_kept(self, cast, handoff_to_rep):
        handoff = handoff_to_rep()
        response = logged_in(cast.rep).post(
            f"/leads/{handoff.lead_id}/touches/new/", {"kind": "call", "result": "voicemail", "note": "Left a message"}
        )
        assert b"Accept the lead before logging touches" in response.content
        assert b"Left a message" in response.content
        assert not Touch.objects.exists()


class TestOutcomeFeed:
    def test_marketing_sees_what_happened_to_each_handoff(self, cast, handoff_to_rep, reasons):
        rejected = handoff_to_rep(last_name="Lovelace")
        services.handoff_reject(handoff=rejected, by=cast.rep, reason=reasons["not-our-profile"], note="Too small")
        accepted = handoff_to_rep(last_name="Babbage")
        services.handoff_accept(handoff=accepted, by=cast.rep)
        content = logged_in(cast.marketer).get("/handoffs/outcomes/").content.decode()
        assert "Not our customer profile" in content and "Too small" in content
        assert content.index("Babbage") < content.index("Lovelace"), "newest first"

    def test_it_filters_by_decision(self, cast, handoff_to_rep, reasons):
        rejected = handoff_to_rep(last_name="Lovelace")
        services.handoff_reject(handoff=rejected, by=cast.rep, reason=reasons["not-our-profile"])
        handoff_to_rep(last_name="Babbage")
        content = logged_in(cast.marketer).get("/handoffs/outcomes/?status=rejected").content
        assert b"Lovelace" in content
        assert b"Babbage" not in content

    def test_a_manager_sees_only_the_team(self, cast, handoff_to_rep):
        handoff_to_rep(last_name="Lovelace")
        handoff_to_rep(rep=cast.other_rep, last_name="Hopper")
        content = logged_in(cast.manager).get("/handoffs/outcomes/").content
        assert b"Lovelace" in content
        assert b"Hopper" not in content

    def test_the_stage_shown_is_the_leads_stage_now(self, cast, handoff_to_rep, reasons):
        handoff = handoff_to_rep(last_name="Lovelace")
        services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
        assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.NURTURING
        assert b"Nurturing" in logged_in(cast.marketer).get("/handoffs/outcomes/").content


class TestAdmin:
    def test_a_marketer_adds_a_lead_through_the_service(self, cast):
        response = logged_in(cast.marketer).post(
            "/admin/leads/lead/add/",
            {
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "Grace@Navy.Example",
                "source": cast.source.pk,
                "handoffs-TOTAL_FORMS": "0",
                "handoffs-INITIAL_FORMS": "0",
                "touches-TOTAL_FORMS": "0",
                "touches-INITIAL_FORMS": "0",
                "events-TOTAL_FORMS": "0",
                "events-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        lead = Lead.objects.get(last_name="Hopper")
        assert lead.email_normalized == "grace@navy.example"
        assert lead.events.get().kind == "created"


def test_the_outcome_feed_can_show_only_my_handoffs(cast, handoff_to_rep, make_lead):
    handoff_to_rep(last_name="Lovelace")
    services.handoff_create(lead=make_lead(last_name="Hopper"), by=cast.cmo, rep=cast.rep)
    content = logged_in(cast.cmo).get("/handoffs/outcomes/?mine=1").content
    assert b"Hopper" in content
    assert b"Lovelace" not in content


def test_the_outcome_feed_shows_what_marketing_sent(cast, handoff_to_rep):
    handoff = handoff_to_rep(last_name="Lovelace")
    Handoff.objects.filter(pk=handoff.pk).update(grade="A", bucket="hot")
    content = logged_in(cast.cmo).get("/handoffs/outcomes/").content.decode()
    assert "sent as A, hot" in content


class TestAdminHandOffAction:
    def test_it_asks_for_a_team_then_hands_off_and_reports_refusals(self, cast, make_lead, handoff_to_rep):
        free = [make_lead(last_name=f"Free {i}") for i in range(3)]
        taken = handoff_to_rep(last_name="Taken")
        selected = [lead.pk for lead in free] + [taken.lead_id]
        client = logged_in(cast.marketer)
        confirm = client.post("/admin/leads/lead/", {"action": "hand_off_to_team", "_selected_action": selected})
        assert confirm.status_code == 200
        assert b"Hand off leads to a team" in confirm.content
        assert Handoff.objects.count() == 1
        done = client.post(
            "/admin/leads/lead/",
            {"action": "hand_off_to_team", "_selected_action": selected, "apply": "1", "team": cast.team.pk},
            follow=True,
        )
        assert b"Handed 3 lead(s) to Enterprise" in done.content
        assert b"already has an open hand-off" in done.content
        assignees = set(Handoff.objects.filter(lead__in=free).values_list("assigned_to", flat=True))
        assert assignees == {cast.rep.pk, cast.teammate.pk}

    def test_sales_does_not_get_the_action(self, cast, make_lead):
        lead = make_lead()
        client = logged_in(cast.vp)
        assert b"hand_off_to_team" not in client.get("/admin/leads/lead/").content
        client.post(
            "/admin/leads/lead/",
            {"action": "hand_off_to_team", "_selected_action": [lead.pk], "apply": "1", "team": cast.team.pk},
        )
        assert not Handoff.objects.exists()


def test_the_rep_marks_a_lead_qualified_from_its_page(cast, handoff_to_rep):
    handoff = handoff_to_rep()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    client = logged_in(cast.rep)
    page = client.get(f"/leads/{handoff.lead_id}/").content
    assert b"Mark Qualified (SQL)" in page
    response = client.post(f"/leads/{handoff.lead_id}/advance/", {"to_stage": "qualified"}, follow=True)
    assert b"moved to Qualified (SQL)" in response.content
    assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.QUALIFIED
    assert client.post(f"/leads/{handoff.lead_id}/advance/", {"to_stage": "merged"}, follow=True).status_code == 200
    assert logged_in(cast.teammate).post(f"/leads/{handoff.lead_id}/advance/", {"to_stage": "won"}).status_code == 404
    assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.QUALIFIED


class TestNotifications:
    def test_a_handoff_shows_up_for_the_rep_with_an_unread_count(self, cast, handoff_to_rep):
        handoff_to_rep(first_name="Ada", last_name="Lovelace")
        client = logged_in(cast.rep)
        page = client.get("/notifications/").content.decode()
        assert "New lead for you: Ada Lovelace" in page
        assert '<span class="badge rounded-pill text-bg-danger" id="unread-count">1</span>' in page

    def test_marking_all_read_clears_the_count_and_only_mine(self, cast, handoff_to_rep):
        handoff_to_rep()
        handoff_to_rep(rep=cast.teammate)
        response = logged_in(cast.rep).post("/notifications/read/", follow=True)
        assert b'id="unread-count"' not in response.content
        assert Notification.objects.filter(recipient=cast.teammate, read_at__isnull=True).count() == 1

    def test_nobody_sees_another_persons_notifications(self, cast, handoff_to_rep):
        handoff_to_rep(last_name="Lovelace")
        assert b"Lovelace" not in logged_in(cast.teammate).get("/notifications/").content
