"""People who took part in history are deactivated, never deleted, and every event keeps the
actor's name as it was written."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client

from alignment import services as alignment_services
from alignment.actors import actor_name, actor_names_backfill
from alignment.models import DefinitionEvent
from leads import services
from leads.models import LeadEvent
from reviews.models import ReviewEvent, ReviewMeeting
from reviews.services import review_meeting_open
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def history(cast, handoff_to_rep):
    """The rep accepted a hand-off; the manager opened the team's meeting; marketing drafted."""
    handoff = handoff_to_rep()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    meeting = review_meeting_open(team=cast.team, by=cast.manager)
    definition = alignment_services.definition_create(by=cast.marketer, name="Drafted")
    return {"lead": handoff.lead, "meeting": meeting, "definition": definition}


class TestEventsKeepTheActorsName:
    def test_a_lead_event_keeps_the_name_written_at_the_time(self, cast, history):
        at_the_time = cast.rep.get_full_name()
        cast.rep.first_name, cast.rep.last_name = "Renamed", "Later"
        cast.rep.save()
        accepted = LeadEvent.objects.get(lead=history["lead"], kind=LeadEvent.Kind.ACCEPTED)
        assert accepted.actor_name == at_the_time
        page = Client()
        page.force_login(cast.marketer)
        html = page.get(f"/leads/{history['lead'].pk}/").content.decode()
        # The history says who acted under the name of the time; the facts beside it name the
        # owner as they are called now.
        told = html[html.index('id="timeline"') :]
        assert f"{at_the_time} accepted it." in told and "Renamed Later" not in told
        assert f"handed this lead to {at_the_time}" in told

    def test_definition_and_review_events_keep_it_too(self, cast, history):
        drafted = DefinitionEvent.objects.filter(definition=history["definition"]).first()
        assert drafted.actor_name == cast.marketer.get_full_name()
        opened = ReviewEvent.objects.get(meeting=history["meeting"], kind="opened")
        assert opened.actor_name == cast.manager.get_full_name()

    def test_events_by_accord_itself_have_no_name(self):
        assert actor_name(None) == ""

    def test_the_full_name_comes_first(self):
        assert actor_name(User(username="ada", first_name="Ada", last_name="Lovelace")) == "Ada Lovelace"
        assert actor_name(User(username="ada")) == "ada"

    def test_the_backfill_names_older_events_from_the_accounts(self, cast, history):
        cast.rep.first_name, cast.rep.last_name = "Rita", ""
        cast.rep.save()
        LeadEvent.objects.update(actor_name="")
        actor_names_backfill(LeadEvent, type(cast.rep))
        accepted = LeadEvent.objects.get(lead=history["lead"], kind=LeadEvent.Kind.ACCEPTED)
        assert accepted.actor_name == "Rita"
        assert not LeadEvent.objects.filter(actor__isnull=False, actor_name="").exists()
        assert (
            LeadEvent.objects.filter(actor__isnull=True, actor_name="").count()
            == LeadEvent.objects.filter(actor__isnull=True).count()
        )

    @pytest.mark.parametrize(
        ("app", "migration", "model"),
        [
            ("leads", "0016_backfill_event_actor_names", "LeadEvent"),
            ("alignment", "0010_backfill_event_actor_names", "DefinitionEvent"),
            ("reviews", "0004_backfill_event_actor_names", "ReviewEvent"),
        ],
    )
    def test_each_data_migration_backfills_its_events(self, cast, history, app, migration, model):
        event_model = apps.get_model(app, model)
        event_model.objects.update(actor_name="")
        importlib.import_module(f"{app}.migrations.{migration}").backfill(apps, None)
        assert event_model.objects.filter(actor__isnull=False).exists()
        assert not event_model.objects.filter(actor__isnull=False, actor_name="").exists()


class TestPeopleWithHistoryAreNotDeleted:
    def test_the_database_refuses_to_delete_them(self, cast, history):
        for person in (cast.rep, cast.manager, cast.marketer):
            with pytest.raises(ProtectedError):
                person.delete()
        assert ReviewMeeting.objects.get(pk=history["meeting"].pk).opened_by == cast.manager

    def test_the_admin_delete_page_says_deactivate_instead(self, cast, history):
        client = superuser_client()
        response = client.get(f"/admin/auth/user/{cast.rep.pk}/delete/", follow=True)
        assert "deactivate it instead" in response.content.decode()
        response = client.post(f"/admin/auth/user/{cast.rep.pk}/delete/", {"post": "yes"}, follow=True)
        assert "deactivate it instead" in response.content.decode()
        assert type(cast.rep).objects.filter(pk=cast.rep.pk).exists()
        assert LeadEvent.objects.filter(actor=cast.rep).exists()

    def test_the_admin_delete_action_refuses_them_too(self, cast, history):
        newcomer = UserFactory(username="newcomer")
        response = superuser_client().post(
            "/admin/auth/user/",
            {"action": "delete_selected", "_selected_action": [cast.rep.pk, newcomer.pk], "post": "yes"},
            follow=True,
        )
        assert "deactivate it instead" in response.content.decode()
        assert type(cast.rep).objects.filter(pk__in=[cast.rep.pk, newcomer.pk]).count() == 2

    def test_someone_without_history_can_still_be_deleted(self, cast):
        newcomer = UserFactory(username="newcomer")
        response = superuser_client().post(f"/admin/auth/user/{newcomer.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not type(newcomer).objects.filter(pk=newcomer.pk).exists()

    def test_deactivating_keeps_the_history_and_its_names(self, cast, history):
        cast.rep.is_active = False
        cast.rep.save()
        assert LeadEvent.objects.filter(actor=cast.rep, actor_name=cast.rep.get_full_name()).exists()
