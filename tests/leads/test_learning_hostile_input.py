"""The new pages and filters answer hostile input with a message or a 404, never a 500, and
change nothing."""

import pytest

from alignment import services as alignment_services
from alignment.models import LeadProperty, QualificationDefinition

pytestmark = pytest.mark.django_db

HOSTILE = ["\x00", "x" * 100_000, "9" * 40, "-1", "' OR 1=1 --", "2026-13-45"]


@pytest.mark.parametrize("bad", HOSTILE, ids=["nul", "100kB", "huge", "negative", "quote", "bad-date"])
def test_hostile_values_never_break_the_new_pages(cast, client, bad):
    LeadProperty.objects.create(key="visits", label="Visits", kind="number")
    draft = alignment_services.definition_create(by=cast.marketer, name="Draft")
    client.force_login(cast.marketer)
    for url, params in [
        ("/leads/", {"prop": bad, "prop_value": bad, "order": bad, "grade": bad}),
        ("/leads/", {"prop": "visits", "prop_value": bad}),
        ("/leads/export.csv", {"definition": bad}),
        (f"/definitions/{draft.pk}/backtest/", {"outcome": bad, "since": bad, "until": bad}),
        (f"/definitions/{'9' * 40}/backtest/", {}),
    ]:
        assert client.get(url, params).status_code in (200, 302, 404), url
    assert client.post("/definitions/suggest/", {"outcome": bad, "since": bad}).status_code == 302
    assert QualificationDefinition.objects.count() == 1


def test_a_bad_date_on_the_backtest_page_is_named(cast, client):
    draft = alignment_services.definition_create(by=cast.marketer, name="Draft")
    client.force_login(cast.marketer)
    page = client.get(f"/definitions/{draft.pk}/backtest/", {"since": "2026-13-45"}).content.decode()
    assert "Enter a valid date." in page and "ROC-AUC of priority" not in page
