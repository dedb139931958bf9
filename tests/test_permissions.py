"""Every role against every workspace and admin page: who may see what. Anything not allowed answers
403 or 404 and changes nothing."""

import pytest
from django.test import Client

from alignment import services as alignment_services
from leads import services
from leads.models import Handoff, Lead, LeadEvent, Stage

pytestmark = pytest.mark.django_db

ROLES = ["rep", "manager", "marketer", "cmo", "vp"]


@pytest.fixture
def world(cast, handoff_to_rep):
    """A hand-off to `rep` (team Enterprise) and one to `other_rep` (team SMB)."""
    mine = handoff_to_rep()
    theirs = handoff_to_rep(rep=cast.other_rep)
    definition = alignment_services.definition_create(by=cast.marketer, name="Draft under test")
    return {"mine": mine, "theirs": theirs, "cast": cast, "definition": definition, "hook": webhook_world(cast)}


def webhook_world(cast) -> dict:
    """A subscription with one delivery: a lead created after it."""
    from django.test import override_settings

    from webhooks import services as webhooks
    from webhooks.models import Delivery, EventType

    with override_settings(ACCORD_WEBHOOKS_ALLOW_PRIVATE=True):
        subscription, _ = webhooks.subscription_create(
            by=cast.marketer, name="Automation", url="http://127.0.0.1:9/hook", events=[EventType.LEAD_CREATED]
        )
    services.lead_create(by=cast.marketer, source=cast.source, last_name="Hooked", email="hooked@x.example")
    webhooks.deliveries_dispatch()
    return {"subscription": subscription.pk, "delivery": Delivery.objects.get(subscription=subscription).pk}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# url template -> expected status per role (rep, manager, marketer, cmo, vp)
MATRIX = {
    "/": (302, 302, 302, 302, 302),
    "/inbox/": (200, 200, 403, 403, 403),
    "/leads/": (200, 200, 200, 200, 200),
    "/leads/{mine}/": (200, 200, 200, 200, 200),
    "/leads/{theirs}/": (404, 404, 200, 200, 200),
    "/leads/{mine}/hand-off/": (403, 403, 200, 200, 403),
    "/leads/{mine}/touches/new/": (200, 403, 403, 403, 403),
    "/inbox/{mine_handoff}/reject/": (200, 403, 403, 403, 403),
    "/inbox/{theirs_handoff}/reject/": (404, 404, 403, 403, 403),
    "/handoffs/outcomes/": (403, 200, 200, 200, 200),
    "/admin/": (403, 200, 200, 200, 200),
    "/admin/leads/lead/": (403, 200, 200, 200, 200),
    "/admin/leads/lead/{mine}/change/": (403, 200, 200, 200, 200),
    "/admin/leads/lead/{theirs}/change/": (403, 404, 200, 200, 200),
    "/admin/leads/lead/add/": (403, 403, 200, 200, 403),
    "/admin/leads/handoff/": (403, 200, 200, 200, 200),
    "/admin/leads/handoff/{theirs_handoff}/change/": (403, 404, 200, 200, 200),
    "/admin/alignment/team/": (403, 200, 403, 200, 200),
    "/admin/alignment/rejectionreason/": (403, 403, 200, 200, 200),
    "/admin/auth/user/": (403, 403, 403, 403, 403),
    # The sweeps run for the whole organisation: only the leaders tune their schedules.
    "/admin/django_celery_beat/periodictask/": (403, 403, 403, 200, 200),
    "/admin/django_celery_beat/intervalschedule/": (403, 403, 403, 200, 200),
    "/admin/django_celery_beat/crontabschedule/": (403, 403, 403, 200, 200),
    # Locked-out logins: the leaders unlock them.
    "/admin/axes/accessattempt/": (403, 403, 403, 200, 200),
    "/admin/axes/accessfailurelog/": (403, 403, 403, 200, 200),
    "/admin/leads/reminder/": (403, 200, 403, 403, 200),
    "/notifications/": (200, 200, 200, 200, 200),
    "/definitions/{definition}/backtest/?outcome=won": (403, 403, 200, 200, 200),
    "/admin/alignment/leadproperty/": (403, 403, 200, 200, 200),
    # Reference data: importing takes add and change, exporting view (alignment.roles).
    "/admin/leads/source/import/": (403, 403, 200, 200, 403),
    "/admin/leads/source/export/": (403, 403, 200, 200, 200),
    "/admin/leads/campaign/import/": (403, 403, 200, 200, 403),
    "/admin/leads/campaign/export/": (403, 403, 200, 200, 200),
    "/admin/alignment/team/import/": (403, 403, 403, 403, 200),
    "/admin/alignment/team/export/": (403, 200, 403, 200, 200),
    "/admin/alignment/membership/": (403, 200, 403, 200, 200),
    "/admin/alignment/membership/import/": (403, 403, 403, 403, 200),
    "/admin/alignment/membership/export/": (403, 200, 403, 200, 200),
    "/admin/alignment/rejectionreason/import/": (403, 403, 403, 403, 403),
    "/admin/alignment/rejectionreason/export/": (403, 403, 200, 200, 200),
    # The REST API with a session: the same scoping as the workspace.
    "/api/v1/leads/{mine}/": (200, 200, 200, 200, 200),
    "/api/v1/leads/{theirs}/": (404, 404, 200, 200, 200),
    "/api/v1/handoffs/": (200, 200, 200, 200, 200),
    "/api/schema/": (200, 200, 200, 200, 200),
    "/api/docs/": (200, 200, 200, 200, 200),
    # Integrations and their request log belong to marketing ops.
    "/admin/api/integration/": (403, 403, 200, 200, 403),
    "/admin/api/integration/add/": (403, 403, 200, 200, 403),
    "/admin/api/apirequest/": (403, 403, 200, 200, 403),
    "/admin/webforms/webform/": (403, 403, 200, 200, 403),
    "/admin/webforms/webform/add/": (403, 403, 200, 200, 403),
    # Webhooks belong to marketing ops.
    "/admin/webhooks/": (403, 404, 200, 200, 404),  # an app index with nothing to show is a 404
    "/admin/webhooks/subscription/": (403, 403, 200, 200, 403),
    "/admin/webhooks/subscription/add/": (403, 403, 200, 200, 403),
    "/admin/webhooks/subscription/{subscription}/change/": (403, 403, 200, 200, 403),
    "/admin/webhooks/delivery/": (403, 403, 200, 200, 403),
    "/admin/webhooks/delivery/{delivery}/change/": (403, 403, 200, 200, 403),
}


@pytest.mark.parametrize("url", list(MATRIX))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_role_access(world, url, role_index):
    cast = world["cast"]
    person = getattr(cast, ROLES[role_index])
    path = url.format(
        mine=world["mine"].lead_id,
        theirs=world["theirs"].lead_id,
        mine_handoff=world["mine"].pk,
        theirs_handoff=world["theirs"].pk,
        definition=world["definition"].pk,
        **world["hook"],
    )
    response = client_for(person).get(path)
    assert response.status_code == MATRIX[url][role_index], f"{ROLES[role_index]} GET {path}"


@pytest.mark.parametrize("url", ["/", "/inbox/", "/leads/", "/handoffs/outcomes/"])
def test_anonymous_people_are_sent_to_the_login_page(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_people_are_sent_to_the_admin_login(db):
    response = Client().get("/admin/leads/lead/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def assert_untouched(handoff):
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.PENDING
    assert Lead.objects.get(pk=handoff.lead_id).stage == Stage.HANDED_OFF


@pytest.mark.parametrize(
    ("who", "expected"), [("teammate", 404), ("manager", 403), ("marketer", 403), ("cmo", 403), ("vp", 403)]
)
def test_only_the_assigned_rep_can_accept_or_reject(world, reasons, who, expected):
    handoff = world["mine"]
    client = client_for(getattr(world["cast"], who))
    assert client.post(f"/inbox/{handoff.pk}/accept/").status_code == expected
    reject = client.post(f"/inbox/{handoff.pk}/reject/", {"reason": reasons["duplicate"].pk, "note": "x"})
    assert reject.status_code == expected
    assert_untouched(handoff)


def test_a_tampered_handoff_id_is_a_404(world):
    client = client_for(world["cast"].rep)
    assert client.post("/inbox/999999/accept/").status_code == 404
    assert client.post(f"/inbox/{world['theirs'].pk}/accept/").status_code == 404
    assert_untouched(world["theirs"])


def test_accept_answers_post_only(world):
    response = client_for(world["cast"].rep).get(f"/inbox/{world['mine'].pk}/accept/")
    assert response.status_code == 405
    assert_untouched(world["mine"])


def test_a_manager_cannot_change_a_lead_in_the_admin(world):
    lead = world["mine"].lead
    response = client_for(world["cast"].manager).post(
        f"/admin/leads/lead/{lead.pk}/change/", {"last_name": "Changed", "source": lead.source_id}
    )
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).last_name == lead.last_name


def test_sales_cannot_hand_off_through_the_workspace(world, make_lead):
    cast = world["cast"]
    lead = make_lead()
    for person in (cast.rep, cast.manager, cast.vp):
        response = client_for(person).post(f"/leads/{lead.pk}/hand-off/", {"rep": cast.rep.pk})
        assert response.status_code in (403, 404)
    assert not Handoff.objects.filter(lead=lead).exists()
    assert not LeadEvent.objects.filter(lead=lead).exists()


def test_the_admin_shows_a_lead_its_event_log(world):
    lead = world["mine"].lead
    services.handoff_accept(handoff=world["mine"], by=world["cast"].rep)
    response = client_for(world["cast"].cmo).get(f"/admin/leads/lead/{lead.pk}/change/")
    assert b"Event log" in response.content
    assert response.content.count(b"Handed off") >= 1
    assert b"Accepted" in response.content


@pytest.mark.parametrize(("who", "edits"), [("manager", False), ("marketer", True), ("cmo", True), ("vp", True)])
def test_only_marketing_and_the_leaders_see_routing_rules_as_editable(world, who, edits):
    page = client_for(getattr(world["cast"], who)).get(
        f"/admin/alignment/qualificationdefinition/{world['definition'].pk}/change/"
    )
    assert (b'name="routing_rules-TOTAL_FORMS"' in page.content) == edits
