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
    assert with_1000 <= 12
