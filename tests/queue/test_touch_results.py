"""A touch records what came of it, and the unresponsive rule counts only attempts that reached
nobody."""

import pytest
from django.test import Client

from leads import services
from leads.exceptions import LeadError
from leads.models import Touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted_lead(cast, handoff_to_rep):
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace")
    services.handoff_accept(handoff=handoff, by=cast.rep)
    return handoff.lead


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_touch_form_asks_for_the_result_and_keeps_it(cast, accepted_lead):
    client = logged_in(cast.rep)
    page = client.get(f"/leads/{accepted_lead.pk}/touches/new/").content.decode()
    assert "Left a voicemail" in page and "No answer" in page
    response = client.post(f"/leads/{accepted_lead.pk}/touches/new/", {"kind": "call", "result": "voicemail"})
    assert response.status_code == 302
    assert Touch.objects.get(lead=accepted_lead).result == Touch.Result.VOICEMAIL


def test_a_touch_without_a_result_is_explained_and_nothing_saved(cast, accepted_lead):
    response = logged_in(cast.rep).post(
        f"/leads/{accepted_lead.pk}/touches/new/", {"kind": "call", "result": "", "note": "Keep me"}
    )
    assert response.status_code == 200
    assert b"Choose what came of the touch." in response.content and b"Keep me" in response.content
    assert not Touch.objects.exists()


def test_an_unknown_result_is_refused_by_the_service(cast, accepted_lead):
    with pytest.raises(LeadError, match="Choose what came of the touch"):
        services.touch_log(lead=accepted_lead, by=cast.rep, kind="call", result="ghosted")
    assert not Touch.objects.exists()


def test_touches_that_reached_the_lead_do_not_count_towards_unresponsive(cast, accepted_lead):
    for result in (Touch.Result.CONNECTED, Touch.Result.REPLIED, Touch.Result.NO_ANSWER, Touch.Result.VOICEMAIL):
        services.touch_log(lead=accepted_lead, by=cast.rep, kind="call", result=result)
    refusal = services.unresponsive_refusal(accepted_lead)
    assert refusal is not None and "2 so far" in refusal
    services.touch_log(lead=accepted_lead, by=cast.rep, kind="email", result=Touch.Result.NO_ANSWER)
    assert services.unresponsive_refusal(accepted_lead) is None


def test_touches_from_before_results_were_recorded_count_as_attempts(cast, accepted_lead):
    for _ in range(3):
        services.touch_log(lead=accepted_lead, by=cast.rep, kind="call")
    assert set(Touch.objects.values_list("result", flat=True)) == {Touch.Result.NOT_RECORDED}
    assert services.unresponsive_refusal(accepted_lead) is None
