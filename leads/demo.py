"""Synthetic demo data: people, teams, sources, an agreed qualified-lead definition, and leads
spread over every stage, each with a company profile, activities that fit its source and a
history that matches its stage. Used by `seed_demo` and by the benchmark; written in bulk."""

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from alignment import services as alignment_services
from alignment.actors import actor_name
from alignment.models import (
    EngagementRule,
    FieldRule,
    LeadProperty,
    Membership,
    QualificationDefinition,
    RejectionReason,
    Team,
)
from alignment.roles import GROUP_NAMES, Role
from leads import sla
from leads.evaluation import leads_evaluate
from leads.matching import company_domain_of, normalize_email
from leads.models import Activity, Campaign, Handoff, Lead, LeadEvent, Source, Stage, Touch

DEMO_PASSWORD = "accord-demo"

# (username, first name, last name, role, team name or None, manages team)
DEMO_PEOPLE = [
    ("cmo", "Clara", "Moreau", Role.MARKETING_LEADER, "Marketing", True),
    ("marketer", "Milo", "Kent", Role.MARKETER, "Marketing", False),
    ("vp-sales", "Victor", "Palmer", Role.SALES_LEADER, None, False),
    ("manager", "Maya", "Osei", Role.SALES_MANAGER, "Enterprise", True),
    ("rep", "Ravi", "Shah", Role.SALES_REP, "Enterprise", False),
    ("rep-ana", "Ana", "Lopez", Role.SALES_REP, "Enterprise", False),
    ("rep-ben", "Ben", "Carter", Role.SALES_REP, "Enterprise", False),
    ("manager-mid", "Jonas", "Weber", Role.SALES_MANAGER, "Mid-market", True),
    ("rep-lea", "Lea", "Fischer", Role.SALES_REP, "Mid-market", False),
    ("rep-tom", "Tom", "Becker", Role.SALES_REP, "Mid-market", False),
    ("rep-ida", "Ida", "Berg", Role.SALES_REP, "Mid-market", False),
    ("manager-smb", "Priya", "Nair", Role.SALES_MANAGER, "SMB", True),
    ("rep-arjun", "Arjun", "Rao", Role.SALES_REP, "SMB", False),
    ("rep-sara", "Sara", "Iyer", Role.SALES_REP, "SMB", False),
    ("rep-dev", "Dev", "Menon", Role.SALES_REP, "SMB", False),
]
DEMO_TEAMS = [
    ("Marketing", Team.Kind.MARKETING, "Europe/London"),
    ("Enterprise", Team.Kind.SALES, "America/New_York"),
    ("Mid-market", Team.Kind.SALES, "Europe/Berlin"),
    ("SMB", Team.Kind.SALES, "Asia/Kolkata"),
]
# (name, channel, interest)
DEMO_SOURCES = [
    ("Demo request", "Website", Source.Interest.ACTIVE),
    ("Pricing page", "Website", Source.Interest.ACTIVE),
    ("Contact form", "Website", Source.Interest.ACTIVE),
    ("Organic search", "Search", Source.Interest.ACTIVE),
    ("Customer referral", "Referral", Source.Interest.ACTIVE),
    ("Bought list", "Data vendor", Source.Interest.PASSIVE),
    ("Trade show", "Events", Source.Interest.PASSIVE),
    ("Webinar sign-up", "Events", Source.Interest.PASSIVE),
    ("Content download", "Content", Source.Interest.PASSIVE),
]
# (name, source, cost)
DEMO_CAMPAIGNS = [
    ("Q4 demo push", "Demo request", "12000"),
    ("Pricing retargeting", "Pricing page", "8000"),
    ("SaaS Summit booth 2026", "Trade show", "45000"),
    ("DACH contact list", "Bought list", "6000"),
    ("Webinar: pipeline hygiene", "Webinar sign-up", "3000"),
    ("Ebook: the SLA playbook", "Content download", "2500"),
]

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Arjun",
    "Bea",
    "Carlos",
    "Chen",
    "Dara",
    "Elena",
    "Emil",
    "Eva",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jade",
    "Jonas",
    "Kai",
    "Kofi",
    "Lara",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Nia",
    "Noah",
    "Omar",
    "Olga",
    "Paul",
    "Priya",
    "Rosa",
    "Sam",
    "Sofia",
    "Tariq",
    "Uma",
    "Vera",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abara",
    "Andersen",
    "Bauer",
    "Brown",
    "Castro",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Kim",
    "Lambert",
    "Larsen",
    "Lee",
    "Martin",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Suzuki",
    "Tanaka",
    "Weber",
    "Wilson",
    "Young",
]
COMPANIES = [
    ("Northwind Traders", "northwind.example"),
    ("Contoso Logistics", "contoso.example"),
    ("Fabrikam Health", "fabrikam.example"),
    ("Tailspin Aerospace", "tailspin.example"),
    ("Wingtip Retail", "wingtip.example"),
    ("Adventure Works", "adventure-works.example"),
    ("Litware Software", "litware.example"),
    ("Proseware Media", "proseware.example"),
    ("Lucerne Publishing", "lucerne.example"),
    ("Margie's Travel", "margiestravel.example"),
    ("Alpine Ski House", "alpineski.example"),
    ("Coho Winery", "cohowinery.example"),
    ("Blue Yonder Airlines", "blueyonder.example"),
    ("Humongous Insurance", "humongous.example"),
    ("Trey Research", "treyresearch.example"),
    ("Woodgrove Bank", "woodgrove.example"),
]
# Each demo company's industry and head count (a lead's is within ±20 % of it, or unknown).
COMPANY_PROFILES = {
    "Northwind Traders": ("Retail", 850),
    "Contoso Logistics": ("Manufacturing", 3200),
    "Fabrikam Health": ("Healthcare", 1200),
    "Tailspin Aerospace": ("Manufacturing", 9000),
    "Wingtip Retail": ("Retail", 400),
    "Adventure Works": ("Manufacturing", 2300),
    "Litware Software": ("Software", 650),
    "Proseware Media": ("Software", 120),
    "Lucerne Publishing": ("Education", 300),
    "Margie's Travel": ("Retail", 60),
    "Alpine Ski House": ("Retail", 35),
    "Coho Winery": ("Manufacturing", 90),
    "Blue Yonder Airlines": ("Transportation", 15000),
    "Humongous Insurance": ("Finance", 5400),
    "Trey Research": ("Healthcare", 210),
    "Woodgrove Bank": ("Finance", 7800),
}
# What leads do before marketing sees them: (kind, chance, most times), by source interest.
# Demo requests come mostly from active-interest sources; passive ones download and sign up.
DEMO_ACTIVITY = {
    Source.Interest.ACTIVE: [
        ("demo_request", 0.30, 1),
        ("pricing_page_visit", 0.40, 2),
        ("contact_form", 0.15, 1),
        ("content_download", 0.25, 2),
        ("website_visit", 0.50, 3),
    ],
    Source.Interest.PASSIVE: [
        ("demo_request", 0.03, 1),
        ("pricing_page_visit", 0.08, 1),
        ("content_download", 0.50, 3),
        ("webinar_signup", 0.30, 2),
        ("event_signup", 0.20, 1),
        ("email_click", 0.40, 3),
    ],
}
# The demo's agreed definition: (field, values, minimum, maximum, expected, points) and
# (activity, points); thresholds and the sales-ready rule are the model's defaults
# (A 60, B 40, C 20; half-life 30 days; hot 60, warm 30, cold 10; grade A or B and hot, or a
# demo request).
DEMO_DEFINITION = "Enterprise fit"
# The demo's lead properties: (key, label, kind, choices, part, help).
DEMO_PROPERTIES = [
    (
        "buying_role",
        "Buying role",
        "choice",
        ["Decision maker", "Influencer", "User", "Student, researcher"],
        "fit",
        "The part the person plays in a purchase, as they said on the form.",
    ),
    ("pages_viewed", "Pages viewed", "number", [], "engagement", "Pages of the website the person read."),
]
# The demo definition's field rules, in the rule language of alignment.scoring.
DEMO_FIELD_RULES = [
    {"field": "seniority", "test": "one_of", "values": ["c_level", "vp", "director"], "points": 40},
    {"field": "employees", "test": "band", "minimum": 200, "maximum": 5001, "points": 30},
    {"field": "industry", "test": "one_of", "values": ["Software", "Finance"], "points": 20},
    {"field": "is_customer", "test": "yes_no", "expected": False, "points": 10},
    {
        "field": "property:buying_role",
        "test": "table",
        "table": [["Decision maker", 15], ["Influencer", 5], ["Student, researcher", -20]],
        "other_points": 0,
    },
    {
        "field": "source",
        "test": "table",
        "table": [["Customer referral", 10], ["Bought list", -10]],
        "other_points": 0,
    },
    {"part": "engagement", "field": "property:pages_viewed", "test": "band", "minimum": 10, "points": 10},
]
DEMO_ENGAGEMENT_RULES = [
    ("demo_request", 50),
    ("pricing_page_visit", 30),
    ("contact_form", 25),
    ("content_download", 10),
    ("webinar_signup", 8),
    ("event_signup", 5),
    ("source_active", 15),
    ("source_passive", 3),
]
DEMO_DEFINITION_TERMS = {
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "half_life_days": 30,
    "hot_min": 60,
    "warm_min": 30,
    "cold_min": 10,
    "ready_grades": "AB",
    "ready_buckets": "hot",
    "ready_activities": "demo_request",
}

TITLES = [
    "Chief Revenue Officer",
    "VP Sales",
    "Head of Operations",
    "IT Director",
    "Marketing Manager",
    "Procurement Lead",
    "Software Engineer",
    "Office Manager",
    "CFO",
    "Founder",
]
COUNTRIES = ["United States", "Germany", "India", "United Kingdom", "France", "Canada", "Brazil", "Japan"]

# Share of leads in each stage; "recycled" leads sit in nurturing after a rejection.
STAGE_MIX = [
    (Stage.NEW, 16),
    (Stage.NURTURING, 10),
    ("recycled", 6),
    (Stage.MQL, 10),
    (Stage.HANDED_OFF, 12),
    (Stage.ACCEPTED, 12),
    (Stage.QUALIFIED, 7),
    (Stage.OPPORTUNITY, 6),
    (Stage.WON, 6),
    (Stage.LOST, 5),
    (Stage.DISQUALIFIED, 10),
]


@dataclass
class DemoCast:
    marketers: list
    reps_by_team: dict  # Team -> list[User]
    sources: list
    campaigns_by_source: dict  # source id -> list[Campaign]
    reasons: dict  # code -> RejectionReason


def ensure_people_and_catalogue() -> DemoCast:
    """Create or refresh the demo people, teams, sources and campaigns (idempotent)."""
    User = get_user_model()
    groups = {role: Group.objects.get(name=GROUP_NAMES[role]) for role in Role}
    teams = {}
    for name, kind, tz in DEMO_TEAMS:
        teams[name], _ = Team.objects.update_or_create(name=name, defaults={"kind": kind, "time_zone": tz})
    people = {}
    for username, first, last, role, team_name, manages in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@accord.example"},
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.is_staff = role != Role.SALES_REP
        user.save()
        user.groups.add(groups[role])
        if team_name:
            team = teams[team_name]
            Membership.objects.get_or_create(team=team, user=user, ended_at=None)
            if manages:
                Team.objects.filter(pk=team.pk).update(manager=user)
        people[username] = user
    sources = {}
    for name, channel, interest in DEMO_SOURCES:
        sources[name], _ = Source.objects.update_or_create(
            name=name, defaults={"channel": channel, "interest": interest}
        )
    campaigns_by_source: dict[int, list[Campaign]] = {}
    for name, source_name, cost in DEMO_CAMPAIGNS:
        campaign, _ = Campaign.objects.update_or_create(
            name=name, defaults={"source": sources[source_name], "cost": Decimal(cost)}
        )
        campaigns_by_source.setdefault(campaign.source_id, []).append(campaign)
    ensure_demo_definition(drafter=people["marketer"], marketing=people["cmo"], sales=people["vp-sales"])
    reps_by_team = {}
    for username, *_rest, role, team_name, _manages in DEMO_PEOPLE:
        if role == Role.SALES_REP:
            reps_by_team.setdefault(teams[team_name], []).append(people[username])
    return DemoCast(
        marketers=[people["marketer"], people["cmo"]],
        reps_by_team=reps_by_team,
        sources=list(sources.values()),
        campaigns_by_source=campaigns_by_source,
        reasons={reason.code: reason for reason in RejectionReason.objects.all()},
    )


def ensure_demo_properties() -> None:
    for position, (key, label, kind, choices, part, help_text) in enumerate(DEMO_PROPERTIES):
        LeadProperty.objects.get_or_create(
            key=key,
            defaults={
                "label": label,
                "kind": kind,
                "choices": choices,
                "part": part,
                "help_text": help_text,
                "position": position,
            },
        )


def demo_property_values(index: int) -> dict:
    """The demo properties of the lead numbered ``index``, drawn from a generator of its own so
    the rest of the demo data stays as it was."""
    rng = random.Random(index)
    values: dict = {"pages_viewed": rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 34])}
    if rng.random() < 0.8:
        values["buying_role"] = rng.choice(DEMO_PROPERTIES[0][3])
    return values


def ensure_demo_definition(*, drafter, marketing, sales) -> QualificationDefinition:
    """The active qualified-lead definition; when none is active, "Enterprise fit" is drafted
    by `drafter`, proposed and approved by both leaders through the workflow, so that its history
    is real. Activating it re-evaluates every lead (see leads.receivers)."""
    active = QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE).first()
    if active is not None:
        return active
    definition = alignment_services.definition_create(by=drafter, name=DEMO_DEFINITION)
    alignment_services.definition_update(
        definition=definition,
        by=drafter,
        fields={**DEMO_DEFINITION_TERMS, "notes": "The demo's agreement: senior people at mid-sized firms."},
    )
    ensure_demo_properties()
    FieldRule.objects.bulk_create(
        FieldRule(definition=definition, position=position, **rule) for position, rule in enumerate(DEMO_FIELD_RULES)
    )
    EngagementRule.objects.bulk_create(
        EngagementRule(definition=definition, activity=activity, points=points, position=position)
        for position, (activity, points) in enumerate(DEMO_ENGAGEMENT_RULES)
    )
    alignment_services.definition_propose(definition=definition, by=drafter)
    alignment_services.definition_approve(definition=definition, by=marketing, side="marketing")
    return alignment_services.definition_approve(definition=definition, by=sales, side="sales")


def _weighted_stages(rng: random.Random, n: int) -> list[str]:
    stages, weights = zip(*STAGE_MIX, strict=True)
    return rng.choices(stages, weights=weights, k=n)


def generate_leads(
    *, cast: DemoCast, n: int, seed: int = 42, now: datetime | None = None, batch_size: int = 2000
) -> int:
    """Insert `n` leads with hand-offs, touches and events consistent with each lead's stage."""
    rng = random.Random(seed)
    now = now or timezone.now()
    terms = sla.terms()
    start_index = Lead.objects.count()
    created = 0
    while created < n:
        batch = _Batch()
        for offset, stage in enumerate(_weighted_stages(rng, min(batch_size, n - created))):
            _plan_lead(
                batch, cast=cast, rng=rng, now=now, stage=stage, index=start_index + created + offset, terms=terms
            )
        with transaction.atomic():
            Lead.objects.bulk_create(batch.leads, batch_size=1000)
            Activity.objects.bulk_create(batch.activities, batch_size=2000)
            # Graded before their hand-offs are written, so each hand-off records the grade and
            # bucket marketing sent, as a real hand-off does.
            leads_evaluate(ids=[lead.pk for lead in batch.leads])
            handed = Lead.objects.filter(pk__in=[handoff.lead.pk for handoff in batch.handoffs])
            graded = {pk: (grade, bucket) for pk, grade, bucket in handed.values_list("pk", "grade", "bucket")}
            for handoff in batch.handoffs:
                handoff.grade, handoff.bucket = graded.get(handoff.lead.pk, ("", ""))
            Handoff.objects.bulk_create(batch.handoffs, batch_size=1000)
            Touch.objects.bulk_create(batch.touches, batch_size=1000)
            for event in batch.events:
                event.actor_name = actor_name(event.actor)
            LeadEvent.objects.bulk_create(batch.events, batch_size=2000)
        created += len(batch.leads)
    return created


@dataclass
class _Batch:
    leads: list = field(default_factory=list)
    handoffs: list = field(default_factory=list)
    touches: list = field(default_factory=list)
    events: list = field(default_factory=list)
    activities: list = field(default_factory=list)


def _plan_profile(rng: random.Random, company: str) -> tuple[str, int | None]:
    """The lead's industry and head count: its company's, sometimes unknown."""
    industry, size = COMPANY_PROFILES.get(company, ("", None))
    industry = "" if rng.random() < 0.05 else industry
    employees = None if size is None or rng.random() < 0.08 else round(size * rng.uniform(0.8, 1.2))
    return industry, employees


def _plan_activities(rng: random.Random, interest: str, born: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """What the lead did between its creation and now, as (kind, moment)."""
    planned = []
    for kind, chance, most in DEMO_ACTIVITY.get(interest, []):
        if rng.random() < chance:
            for _ in range(rng.randint(1, most)):
                planned.append((kind, born + (now - born) * rng.random()))
    return planned


# The stages a lead passes through after acceptance to reach its final stage.
_PATH_AFTER_ACCEPT = {
    Stage.QUALIFIED: [Stage.QUALIFIED],
    Stage.OPPORTUNITY: [Stage.QUALIFIED, Stage.OPPORTUNITY],
    Stage.WON: [Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON],
    Stage.LOST: [Stage.QUALIFIED, Stage.LOST],
}


def _plan_lead(
    batch: _Batch, *, cast: DemoCast, rng: random.Random, now: datetime, stage: str, index: int, terms: sla.Terms
) -> None:
    """Build one lead and its history (unsaved; bulk-created by the caller in FK order)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company, domain = rng.choice(COMPANIES)
    source = rng.choice(cast.sources)
    campaigns = cast.campaigns_by_source.get(source.pk, [])
    team = rng.choice(list(cast.reps_by_team))
    rep = rng.choice(cast.reps_by_team[team])
    marketer = rng.choice(cast.marketers)
    born = now - timedelta(days=rng.uniform(3, 240))
    email = f"{first}.{last}.{index}@{domain}".lower()
    final_stage = Stage.NURTURING if stage == "recycled" else stage
    industry, employees = _plan_profile(rng, company)
    lead = Lead(
        first_name=first,
        last_name=last,
        email=email,
        email_normalized=normalize_email(email),
        company_domain=company_domain_of(email),
        phone=f"+1 555 {rng.randrange(1000000, 9999999)}",
        title=rng.choice(TITLES),
        company=company,
        country=rng.choice(COUNTRIES),
        is_customer=rng.random() < 0.15,
        industry=industry,
        employees=employees,
        source=source,
        campaign=rng.choice(campaigns) if campaigns and rng.random() < 0.7 else None,
        stage=final_stage,
        stage_changed_at=born,
        cycle_count=rng.choice([1, 1, 2, 3]) if stage == "recycled" else 0,
        created_at=born,
        properties=demo_property_values(index),
    )
    batch.leads.append(lead)
    batch.activities.extend(
        Activity(lead=lead, kind=kind, occurred_at=at) for kind, at in _plan_activities(rng, source.interest, born, now)
    )
    events = batch.events
    events.append(
        LeadEvent(lead=lead, kind=LeadEvent.Kind.CREATED, actor=marketer, to_stage=Stage.NEW, created_at=born)
    )
    if stage in (Stage.NEW, Stage.NURTURING, Stage.MQL):
        if stage != Stage.NEW:
            lead.stage_changed_at = born + timedelta(hours=2)
            events.append(
                LeadEvent(
                    lead=lead,
                    kind=LeadEvent.Kind.STAGE_CHANGED,
                    actor=marketer,
                    from_stage=Stage.NEW,
                    to_stage=stage,
                    created_at=lead.stage_changed_at,
                )
            )
        return

    # Every other lead was handed off once. Pending ones are recent: some within time, some overdue.
    handed = (
        now - timedelta(hours=rng.uniform(1, 72))
        if stage == Stage.HANDED_OFF
        else born + timedelta(days=rng.uniform(0.5, 2))
    )
    handoff = Handoff(
        lead=lead,
        handed_off_by=marketer,
        assigned_to=rep,
        team=team,
        created_at=handed,
        accept_due_at=sla.accept_due(start=handed, team=team, within=terms.accept_within_hours),
    )
    batch.handoffs.append(handoff)
    events.append(
        LeadEvent(
            lead=lead,
            kind=LeadEvent.Kind.HANDED_OFF,
            actor=marketer,
            from_stage=Stage.NEW,
            to_stage=Stage.HANDED_OFF,
            created_at=handed,
            details={"assigned_to": rep.username, "team": team.name},
        )
    )
    lead.stage_changed_at = handed
    if stage == Stage.HANDED_OFF:
        lead.owner, lead.team = rep, team
        return

    decided = handed + timedelta(hours=rng.uniform(0.5, 30))
    lead.stage_changed_at = decided
    handoff.decided_at, handoff.decided_by = decided, rep
    if stage in ("recycled", Stage.DISQUALIFIED):
        wanted = "recycle" if stage == "recycled" else "disqualify"
        reasons = [
            r
            for r in cast.reasons.values()
            if r.phase == RejectionReason.Phase.BEFORE_WORKING and (r.disposition == "recycle") == (wanted == "recycle")
        ]
        reason = rng.choice(reasons)
        handoff.status, handoff.reason = Handoff.Status.REJECTED, reason
        handoff.decision_note = rng.choice(
            ["", "", "Wrong person, try the CTO.", "Asked us to call next quarter.", "Email bounces."]
        )
        events.append(
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.REJECTED,
                actor=rep,
                from_stage=Stage.HANDED_OFF,
                to_stage=final_stage,
                created_at=decided,
                details={
                    "reason": reason.code,
                    "reason_label": reason.label,
                    "disposition": reason.disposition,
                    "note": handoff.decision_note,
                },
            )
        )
        return

    lead.owner, lead.team = rep, team
    handoff.status = Handoff.Status.ACCEPTED
    handoff.first_touch_due_at = sla.first_touch_due(start=decided, team=team, within=terms.first_touch_within_hours)
    events.append(
        LeadEvent(
            lead=lead,
            kind=LeadEvent.Kind.ACCEPTED,
            actor=rep,
            from_stage=Stage.HANDED_OFF,
            to_stage=Stage.ACCEPTED,
            created_at=decided,
        )
    )
    if stage == Stage.ACCEPTED and rng.random() < 0.35:
        return  # still waiting for a first touch
    touched = decided + timedelta(hours=rng.uniform(1, 60))
    handoff.first_touch_at = touched
    kind = rng.choice(Touch.Kind.values)
    batch.touches.append(
        Touch(
            lead=lead,
            handoff=handoff,
            by=rep,
            kind=kind,
            result=Touch.Result.CONNECTED,
            happened_at=touched,
            note="First conversation.",
        )
    )
    events.append(
        LeadEvent(
            lead=lead,
            kind=LeadEvent.Kind.TOUCHED,
            actor=rep,
            created_at=touched,
            details={"kind": kind, "result": Touch.Result.CONNECTED},
        )
    )
    previous, moment = Stage.ACCEPTED, touched
    for step in _PATH_AFTER_ACCEPT.get(stage, []):
        moment += timedelta(days=rng.uniform(1, 12))
        events.append(
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.STAGE_CHANGED,
                actor=rep,
                from_stage=previous,
                to_stage=step,
                created_at=moment,
            )
        )
        previous = step
    lead.stage_changed_at = moment
    if stage in (Stage.WON, Stage.LOST):
        handoff.closed_at = moment


DEMO_IMPORT_FILE = "salesforce-export-demo.csv"


def ensure_demo_import() -> str:
    """A small Salesforce export imported by the demo marketer, the way a person would: a few
    new leads, five people who look like leads already in Accord (flagged as likely duplicates
    for the duplicates page) and two rows that fail (offered back as a file). Runs once."""
    from leads.imports.jobs import lead_import_confirm, lead_import_upload
    from leads.models import ImportMapping, LeadImport

    marketer = get_user_model().objects.filter(username="marketer").first()
    # The column mapping of the X Education lead-scoring export (tests/data/x-education), saved
    # as a marketer would on their first upload of it.
    ImportMapping.objects.get_or_create(
        name="X Education",
        defaults={
            "columns": {
                "Lead Source": "source",
                "Country": "country",
                "Specialization": "industry",
                "What is your current occupation": "title",
            },
            "empty_values": ["Select"],
            "created_by": marketer,
            "created_at": timezone.now(),
        },
    )
    if LeadImport.objects.filter(file_name=DEMO_IMPORT_FILE).exists():
        return ""
    source = Source.objects.order_by("name").first()
    lookalikes = list(Lead.objects.exclude(company_domain="").exclude(first_name="").order_by("created_at", "id")[:5])
    if marketer is None or source is None or not lookalikes:
        return ""
    rows = [["Id", "FirstName", "LastName", "Email", "Phone", "Title", "Company", "LeadSource", "CreatedDate"]]
    for index, lead in enumerate(lookalikes):
        # The same person under a shortened first name and another address at the same company.
        rows.append(
            [
                f"00Q5e00000Demo{index:04d}",
                lead.first_name[:-1] if len(lead.first_name) > 3 else lead.first_name,
                lead.last_name,
                f"{lead.first_name[0].lower()}{lead.last_name.lower()}@{lead.company_domain}",
                "",
                lead.title,
                lead.company,
                source.name,
                timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            ]
        )
    for index, (first, last, company) in enumerate(
        [("Hedy", "Lamarr", "Frequency Hopping Ltd"), ("Claude", "Shannon", "Information Theory Inc")]
    ):
        domain = company.split()[0].lower() + ".example"
        rows.append(
            [f"00Q5e00000DemoN{index:03d}", first, last, f"{first.lower()}@{domain}", "", "CTO", company, "", ""]
        )
    rows.append(["", "Nameless", "", "nameless@unknown.example", "", "", "", "", ""])
    rows.append(["", "Bad", "Address", "bad-address@", "12", "", "", "", ""])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode()
    job = lead_import_upload(file_name=DEMO_IMPORT_FILE, data=data, by=marketer, default_source=source)
    job = lead_import_confirm(job=job, by=marketer)
    result = job.result
    return (
        f"Imported {DEMO_IMPORT_FILE}: {result['created']} created ({result['flagged']} flagged as likely "
        f"duplicates), {result['rejected']} rejected."
    )
