"""The migrations that add `actor_name` fill it for the events written before, from the accounts'
names then (full name, else username); Accord's own events stay nameless. Both databases."""

from datetime import UTC, datetime

import pytest

from alignment.models import DefinitionEvent
from leads.models import LeadEvent
from reviews.models import ReviewEvent
from tests.migrating import migrate, migrate_to_latest

BEFORE = [
    ("leads", "0014_resume_stalled_evaluations_schedule"),
    ("alignment", "0008_field_rules_drop_comma_values"),
    ("reviews", "0002_periodic_tasks"),
]
AT = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_events_written_before_get_the_actors_names():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    ada = User.objects.create(username="ada", first_name="Ada", last_name="Lovelace")
    bob = User.objects.create(username="bob")
    Source, Lead = old.get_model("leads", "Source"), old.get_model("leads", "Lead")
    lead = Lead.objects.create(
        last_name="Turing", source=Source.objects.create(name="Web"), stage_changed_at=AT, created_at=AT
    )
    OldLeadEvent = old.get_model("leads", "LeadEvent")
    by_ada = OldLeadEvent.objects.create(lead=lead, kind="created", actor=ada, created_at=AT)
    by_bob = OldLeadEvent.objects.create(lead=lead, kind="touched", actor=bob, created_at=AT)
    by_accord = OldLeadEvent.objects.create(lead=lead, kind="expired", created_at=AT)
    Definition = old.get_model("alignment", "QualificationDefinition")
    version = Definition.objects.create(name="Old", version=1, created_at=AT)
    drafted = old.get_model("alignment", "DefinitionEvent").objects.create(
        definition=version, kind="drafted", actor=bob, created_at=AT
    )
    Team = old.get_model("alignment", "Team")
    team = Team.objects.create(name="Enterprise", kind="sales")
    meeting = old.get_model("reviews", "ReviewMeeting").objects.create(
        team=team, week_start=AT.date(), scheduled_at=AT, opened_at=AT, opened_by=ada
    )
    opened = old.get_model("reviews", "ReviewEvent").objects.create(
        meeting=meeting, kind="opened", actor=ada, created_at=AT
    )

    migrate_to_latest()

    assert LeadEvent.objects.get(pk=by_ada.pk).actor_name == "Ada Lovelace"
    assert LeadEvent.objects.get(pk=by_bob.pk).actor_name == "bob"
    assert LeadEvent.objects.get(pk=by_accord.pk).actor_name == ""
    assert DefinitionEvent.objects.get(pk=drafted.pk).actor_name == "bob"
    assert ReviewEvent.objects.get(pk=opened.pk).actor_name == "Ada Lovelace"
