"""Pages run the same number of queries for 10 leads as for 1,000."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leads.models import Handoff
from tests.factories import bulk_handed_off_leads

pytestmark = pytest.mark.django_db

PAGES = [
    ("rep", "/inbox/"),
    ("manager", "/inbox/"),
    ("marketer", "/handoffs/outcomes/"),
    ("marketer", "/leads/"),
    ("cmo", "/admin/leads/lead/"),
    ("cmo", "/admin/leads/handoff/"),
]


def count_queries(user, url) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_leads(cast, n):
    half = n // 2
    bulk_handed_off_leads(n=half, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
    bulk_handed_off_leads(
        n=n - half,
        rep=cast.rep,
        marketer=cast.marketer,
        team=cast.team,
        source=cast.source,
        status=Handoff.Status.ACCEPTED,
    )


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_query_count_does_not_grow_with_leads(cast, who, url):
    user = getattr(cast, who)
    add_leads(cast, 10)
    with_10 = count_queries(user, url)
    add_leads(cast, 990)
    with_1000 = count_queries(user, url)
    assert with_10 == with_1000, f"{url}: {with_10} queries for 10 leads, {with_1000} for 1,000"
    assert with_1000 <= 10


def add_duplicates_and_imports(cast, n):
    from datetime import UTC, datetime

    from django.core.files.base import ContentFile

    from leads.models import DuplicateCandidate, Lead, LeadImport

    taken = DuplicateCandidate.objects.count()
    leads = list(Lead.objects.order_by("id")[2 * taken : 2 * (taken + n)])
    now = datetime.now(UTC)
    DuplicateCandidate.objects.bulk_create(
        DuplicateCandidate(
            lead=newer, likely_duplicate_of=older, similarity=90, reason="Same company domain.", found_at=now
        )
        for older, newer in zip(leads[::2], leads[1::2], strict=False)
    )
    for _ in range(n):
        LeadImport.objects.create(
            file=ContentFile(b"Id,LastName\r\n", name="x.csv"),
            file_name="x.csv",
            uploaded_by=cast.marketer,
            created_at=now,
            layout="Salesforce",
            default_source=cast.source,
            status=LeadImport.Status.DONE,
            total=1,
            result={"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "flagged": 0, "rejected": 0, "errors": []},
        )


@pytest.mark.parametrize("url", ["/admin/leads/duplicatecandidate/", "/admin/leads/leadimport/"])
def test_import_and_duplicate_lists_do_not_grow_with_their_rows(cast, url):
    add_leads(cast, 200)
    add_duplicates_and_imports(cast, 5)
    with_5 = count_queries(cast.marketer, url)
    add_duplicates_and_imports(cast, 60)
    with_65 = count_queries(cast.marketer, url)
    assert with_5 == with_65, f"{url}: {with_5} queries for 5 rows, {with_65} for 65"
    assert with_65 <= 10


def test_the_definition_page_and_its_admin_do_not_grow_with_routing_rules(cast):
    from alignment import services as alignment_services
    from alignment.models import RoutingRule

    definition = alignment_services.definition_create(by=cast.marketer, name="Routed")

    def add_rules(n):
        start = definition.routing_rules.count()
        RoutingRule.objects.bulk_create(
            RoutingRule(definition=definition, position=start + i, name=f"R{i}", countries=["DE"], team=cast.team)
            for i in range(n)
        )

    add_rules(1)
    # A first visit also fills the process's caches (content types): count the pages warm.
    count_queries(cast.marketer, f"/admin/alignment/qualificationdefinition/{definition.pk}/change/")
    few = [count_queries(cast.marketer, f"/definitions/{definition.pk}/")]
    few.append(count_queries(cast.marketer, f"/admin/alignment/qualificationdefinition/{definition.pk}/change/"))
    add_rules(20)
    many = [count_queries(cast.marketer, f"/definitions/{definition.pk}/")]
    many.append(count_queries(cast.marketer, f"/admin/alignment/qualificationdefinition/{definition.pk}/change/"))
    assert few == many


def test_the_marketing_queue_filter_does_not_grow_with_leads(cast):
    add_leads(cast, 10)
    with_10 = count_queries(cast.marketer, "/leads/?queue=no_rule")
    add_leads(cast, 200)
    assert count_queries(cast.marketer, "/leads/?queue=no_rule") == with_10
