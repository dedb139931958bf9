"""Test data builders. Leads are made directly (not through services) where a test needs many."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from alignment.models import LeadProperty, Membership, Team
from alignment.roles import GROUP_NAMES, Role
from leads.models import Handoff, Lead, Source, Stage

PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@accord.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=GROUP_NAMES[extracted]))
            self.is_staff = extracted != Role.SALES_REP
        self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.SALES
    time_zone = "Europe/Berlin"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("name",)

    name = "Demo request"
    channel = "Website"
    interest = Source.Interest.ACTIVE


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@company{n % 7}.example")
    email_normalized = factory.LazyAttribute(lambda lead: lead.email.casefold())
    company = "Northwind Traders"
    source = factory.SubFactory(SourceFactory)
    stage = Stage.MQL
    stage_changed_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


def add_member(team: Team, user, *, manager: bool = False) -> Membership:
    if manager:
        Team.objects.filter(pk=team.pk).update(manager=user)
        team.refresh_from_db()
    return Membership.objects.create(team=team, user=user)


def bulk_handed_off_leads(*, n: int, rep, marketer, team, source, status=Handoff.Status.PENDING) -> list[Lead]:
    """n leads handed to `rep`, made in bulk for query-count tests."""
    now = timezone.now()
    stage = Stage.HANDED_OFF if status == Handoff.Status.PENDING else Stage.ACCEPTED
    leads = Lead.objects.bulk_create(
        [
            Lead(
                first_name="Bulk",
                last_name=f"Lead {i}",
                email=f"bulk{i}@bulk.example",
                email_normalized=f"bulk{i}@bulk.example",
                source=source,
                owner=rep,
                team=team,
                stage=stage,
                stage_changed_at=now,
                created_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )
    Handoff.objects.bulk_create(
        [
            Handoff(
                lead=lead,
                handed_off_by=marketer,
                assigned_to=rep,
                team=team,
                status=status,
                created_at=now,
                accept_due_at=now + timedelta(hours=24),
                decided_at=now if status != Handoff.Status.PENDING else None,
                decided_by=rep if status != Handoff.Status.PENDING else None,
                first_touch_due_at=now + timedelta(hours=48) if status == Handoff.Status.ACCEPTED else None,
            )
            for lead in leads
        ]
    )
    return leads


def leads_with_outcomes(source, n: int = 300) -> None:
    """`n` won or lost leads where the "plan" property decides most of the outcome."""
    LeadProperty.objects.get_or_create(key="plan", defaults={"label": "Plan", "kind": "choice"})
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            email=f"lead{i}@learning.example",
            source=source,
            stage=Stage.WON if (i % 3 == 0) == (i % 10 != 0) else Stage.LOST,
            stage_changed_at=now,
            created_at=now,
            properties={"plan": "Enterprise" if i % 3 == 0 else "Free"},
        )
        for i in range(n)
    )
