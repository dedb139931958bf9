"""The admin's index and the import pages run a constant number of queries, at most 10, whatever
the number of leads and imports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from leads.models import LeadImport
from tests.test_query_counts import add_duplicates_and_imports, add_leads

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _warm(client, url):
    # A first visit also fills the process's caches (content types): count the pages warm.
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/admin/", "/admin/leads/leadimport/add/", "/admin/leads/leadimport/"])
def test_admin_pages_stay_within_ten_queries_at_two_sizes(cast, url, django_assert_max_num_queries):
    client = logged_in(cast.marketer)
    add_leads(cast, 10)
    add_duplicates_and_imports(cast, 2)
    _warm(client, url)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200
    add_leads(cast, 300)
    add_duplicates_and_imports(cast, 60)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200


def test_an_imports_preview_page_stays_within_ten_queries_at_two_sizes(cast, django_assert_max_num_queries):
    client = logged_in(cast.marketer)

    def previewed(rows: int) -> str:
        body = "Id,FirstName,LastName,Email,Company\r\n" + "".join(
            f"00Q{index:015d},Ada,Lovelace{index},ada{index}@engines.example,Engines\r\n" for index in range(rows)
        )
        file = SimpleUploadedFile("leads.csv", body.encode(), content_type="text/csv")
        client.post("/admin/leads/leadimport/add/", {"file": file, "default_source": cast.source.pk})
        return f"/admin/leads/leadimport/{LeadImport.objects.latest('pk').pk}/change/"

    small = previewed(3)
    _warm(client, small)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(small).status_code == 200
    add_leads(cast, 300)
    large = previewed(150)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(large).status_code == 200
