"""The migration that gives inherited leads an event kind of their own finds the reassignments
the departed-staff sweep wrote before ("departed: …") and leaves every other one as it was."""

from datetime import UTC, datetime

import pytest

from leads.models import LeadEvent
from tests.migrating import migrate, migrate_to_latest

BEFORE = [("leads", "0016_backfill_event_actor_names")]
AT = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_reassignments_because_the_owner_left_become_inherited():
    old = migrate(BEFORE)
    Source, Lead = old.get_model("leads", "Source"), old.get_model("leads", "Lead")
    lead = Lead.objects.create(
        last_name="Turing", source=Source.objects.create(name="Web"), stage_changed_at=AT, created_at=AT
    )
    OldLeadEvent = old.get_model("leads", "LeadEvent")
    departed = OldLeadEvent.objects.create(
        lead=lead, kind="reassigned", created_at=AT, details={"reason": "departed: rep was deactivated"}
    )
    meeting = OldLeadEvent.objects.create(
        lead=lead, kind="reassigned", created_at=AT, details={"reason": "review meeting"}
    )
    returned = OldLeadEvent.objects.create(
        lead=lead, kind="returned", created_at=AT, details={"reason": "departed: nobody left in the team"}
    )

    migrate_to_latest()

    kinds = dict(LeadEvent.objects.values_list("pk", "kind"))
    assert kinds[departed.pk] == LeadEvent.Kind.INHERITED
    assert kinds[meeting.pk] == LeadEvent.Kind.REASSIGNED
    assert kinds[returned.pk] == LeadEvent.Kind.RETURNED
