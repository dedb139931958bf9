"""The manager's meeting page: an outcome saved inline (htmx) or by the same button without
JavaScript, a refusal shown beside its item, and a refused close that leads to the failing item."""

from datetime import timedelta

import pytest
from django.test import Client

from leads import services as lead_services
from leads.models import Lead, Stage, Touch
from reviews import services
from reviews.models import Outcome, ReviewMeeting
from reviews.services import ItemOutcome
from reviews.views import MEETING_PAGE_SIZE
from tests.reviews import steps

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(cast, accepted_lead, reasons):
    ada = accepted_lead(first_name="Ada", last_name="Lovelace")
    alan = accepted_lead(first_name="Alan", last_name="Turing")
    grace = accepted_lead(rep=cast.teammate, first_name="Grace", last_name="Hopper")
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    items = {lead.last_name: meeting.items.get(lead=lead) for lead in (ada, alan, grace)}
    return {"cast": cast, "meeting": meeting, "items": items, "reasons": reasons}


def row_post(item, save=True, **fields) -> dict:
    data = {"discussed": "", "outcome": "", "reason": "", "reassign_to": "", "next_step": "", "note": ""}
    data.update(fields)
    post = {f"item-{item.pk}-{key}": value for key, value in data.items()}
    if save:
        post["save_item"] = str(item.pk)
    return post


def test_an_inline_save_answers_with_the_item_alone_in_its_saved_state(world):
    cast, meeting, ada = world["cast"], world["meeting"], world["items"]["Lovelace"]
    url = f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    response = client_for(cast.manager).post(url, row_post(ada, outcome="progressing", next_step="Call"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<tbody id="item-{ada.pk}">' in html
    assert "<html" not in html and "Turing" not in html  # the item alone, to swap in place
    assert 'value="progressing" selected' in html and "Saved." in html
    ada.refresh_from_db()
    assert (ada.outcome, ada.next_step, ada.recorded_by) == ("progressing", "Call", cast.manager)


def test_an_inline_save_brings_the_counts_it_changed(world):
    """The rep's tab says how many of their items were discussed, and the coverage lines say it
    for the rep and the meeting: a save that marks one discussed swaps them in beside the row."""
    cast, meeting, ada = world["cast"], world["meeting"], world["items"]["Lovelace"]
    client = client_for(cast.manager)
    url = f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    page = client.get(url).content.decode()
    assert f'id="rep-badge-{cast.rep.pk}">0/2</span>' in page and 'id="meeting-coverage"' in page
    html = client.post(url, row_post(ada, discussed="on", outcome="progressing"), **HTMX).content.decode()
    assert f'id="rep-badge-{cast.rep.pk}" hx-swap-oob="true">1/2</span>' in html
    assert '<div class="mb-2" id="rep-coverage" hx-swap-oob="true">' in html
    assert html.count("hx-swap-oob") == 3
    rep_part, meeting_part = html.split('id="rep-coverage"')[1].split('id="meeting-coverage"')
    assert "<strong>2</strong> leads" in rep_part and "<strong>50%</strong> discussed" in rep_part
    assert "<strong>3</strong> leads" in meeting_part and "<strong>33%</strong> discussed" in meeting_part
    # A refused save changes no count, so it brings none.
    refused = row_post(ada, outcome="recycle", reason=str(world["reasons"]["unresponsive"].pk))
    assert "hx-swap-oob" not in client.post(url, refused, **HTMX).content.decode()


def test_an_inline_save_saves_only_its_own_item(world):
    cast, meeting, items = world["cast"], world["meeting"], world["items"]
    post = {**row_post(items["Lovelace"], outcome="stalled"), **row_post(items["Turing"], save=False, outcome="won")}
    client_for(cast.manager).post(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}", post, **HTMX)
    items["Lovelace"].refresh_from_db()
    items["Turing"].refresh_from_db()
    assert (items["Lovelace"].outcome, items["Turing"].outcome) == ("stalled", "")


def test_an_inline_refusal_shows_beside_the_item_and_saves_nothing(world):
    cast, meeting, ada = world["cast"], world["meeting"], world["items"]["Lovelace"]
    unresponsive = world["reasons"]["unresponsive"]
    post = row_post(ada, outcome="recycle", reason=str(unresponsive.pk), note="No answer")
    response = client_for(cast.manager).post(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}", post, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and f'<tbody id="item-{ada.pk}">' in html
    assert 'role="alert"' in html and "autofocus" in html
    assert "before a lead counts as unresponsive; 0 so far" in html
    assert 'value="recycle" selected' in html  # what the manager chose stays, to correct
    ada.refresh_from_db()
    assert (ada.outcome, ada.reason, ada.outcome_note) == ("", None, "")


def test_without_javascript_the_same_button_posts_the_page_and_returns_to_the_item(world):
    cast, meeting, ada = world["cast"], world["meeting"], world["items"]["Lovelace"]
    url = f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    response = client_for(cast.manager).post(url, row_post(ada, outcome="progressing"))
    assert response.status_code == 302 and response["Location"] == f"{url}#item-{ada.pk}"
    ada.refresh_from_db()
    assert ada.outcome == "progressing"


def test_without_javascript_a_refusal_renders_the_page_with_the_error_beside_the_item(world):
    cast, meeting, ada = world["cast"], world["meeting"], world["items"]["Lovelace"]
    post = row_post(ada, outcome="recycle", reason=str(world["reasons"]["unresponsive"].pk))
    response = client_for(cast.manager).post(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}", post)
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved" in html
    row = html[html.index(f'<tbody id="item-{ada.pk}">') :]
    row = row[: row.index("</tbody>")]
    assert "; 0 so far" in row and "autofocus" in row


def test_a_lead_not_yet_accepted_is_not_offered_won(cast, handoff_to_rep, accepted_lead):
    accepted_lead(last_name="Accepted")
    handoff = handoff_to_rep(last_name="Pending")
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    pending = meeting.items.get(lead=handoff.lead)
    html = client_for(cast.manager).get(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}").content.decode()
    row = html[html.index(f'<tbody id="item-{pending.pk}">') :]
    row = row[: row.index("</tbody>")]
    assert 'value="stalled"' in row and 'value="reassign"' in row
    assert 'value="won"' not in row and 'value="recycle"' not in row
    assert html.count('value="won"') == 1  # the accepted lead is offered it


def test_a_refused_close_leads_to_the_failing_item_on_its_reps_tab(world):
    cast, meeting, items = world["cast"], world["meeting"], world["items"]
    grace = items["Hopper"]  # the teammate's: not the first tab
    steps.item_record(item=items["Lovelace"], by=cast.manager, outcome=ItemOutcome(outcome=Outcome.WON))
    steps.item_record(item=grace, by=cast.manager, outcome=ItemOutcome(outcome=Outcome.LOST))
    Lead.objects.filter(pk=grace.lead_id).update(stage=Stage.WON)  # changed after it was recorded
    client = client_for(cast.manager)

    response = client.post(f"/reviews/{meeting.pk}/close/")

    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{meeting.pk}/?rep={cast.teammate.pk}#item-{grace.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "The meeting was not closed" in page
    assert f'href="/reviews/{meeting.pk}/?rep={cast.teammate.pk}#item-{grace.pk}"' in page
    row = page[page.index(f'<tbody id="item-{grace.pk}">') :]
    row = row[: row.index("</tbody>")]
    assert "no longer worked by sales (it is Won)" in row and "autofocus" in row
    meeting.refresh_from_db()
    assert meeting.is_open and Lead.objects.get(pk=items["Lovelace"].lead_id).stage == Stage.ACCEPTED
    # Shown once: the next visit is the plain page again.
    assert "no longer worked by sales" not in client.get(response["Location"]).content.decode()


def test_a_refused_close_finds_the_page_of_the_tab_the_item_is_on(cast, accepted_lead, reasons):
    leads = [accepted_lead(last_name=f"Lead{n:02d}") for n in range(MEETING_PAGE_SIZE + 2)]
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    last = meeting.items.get(lead=leads[-1])
    for _ in range(3):
        lead_services.touch_log(lead=leads[-1], by=cast.rep, kind=Touch.Kind.CALL)
    steps.item_record(
        item=last, by=cast.manager, outcome=ItemOutcome(outcome=Outcome.RECYCLE, reason=reasons["unresponsive"])
    )
    Touch.objects.filter(lead=leads[-1]).delete()

    response = client_for(cast.manager).post(f"/reviews/{meeting.pk}/close/")

    assert response["Location"] == f"/reviews/{meeting.pk}/?rep={cast.rep.pk}&page=2#item-{last.pk}"
    assert ReviewMeeting.objects.get(pk=meeting.pk).is_open


def test_the_page_button_still_saves_every_changed_row(world):
    cast, meeting, items = world["cast"], world["meeting"], world["items"]
    due = (meeting.week_start + timedelta(days=2)).isoformat()
    post = {
        **row_post(items["Lovelace"], save=False, outcome="stalled"),
        **row_post(items["Turing"], save=False, outcome="progressing", next_step="Demo", next_step_due=due),
    }
    url = f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    assert client_for(cast.manager).post(url, post)["Location"] == url
    items["Lovelace"].refresh_from_db()
    items["Turing"].refresh_from_db()
    assert (items["Lovelace"].outcome, items["Turing"].outcome) == ("stalled", "progressing")


# --- Minutes -----------------------------------------------------------------------------------


def test_the_minutes_list_decided_items_first_and_fold_the_rest_under_their_count(world):
    cast, meeting, items = world["cast"], world["meeting"], world["items"]
    steps.item_record(item=items["Turing"], by=cast.manager, outcome=ItemOutcome(outcome=Outcome.WON))
    services.review_meeting_close(meeting=meeting, by=cast.manager)

    html = client_for(cast.manager).get(f"/reviews/{meeting.pk}/minutes/").content.decode()

    decided = html[html.index('id="minutes-decided"') : html.index("</table>", html.index('id="minutes-decided"'))]
    assert "Turing" in decided and "Won" in decided and cast.rep.get_full_name() in decided
    assert "Lovelace" not in decided and "Hopper" not in decided
    folded = html[html.index('<details class="mt-3" id="minutes-not-discussed">') : html.index("</details>")]
    assert "<summary" in folded and "Not discussed: 2 leads" in folded
    assert "Lovelace" in folded and "Hopper" in folded
    assert html.index('id="minutes-decided"') < html.index('id="minutes-not-discussed"')


def test_a_reps_minutes_count_only_their_own_undiscussed_leads(world):
    cast, meeting = world["cast"], world["meeting"]
    html = client_for(cast.teammate).get(f"/reviews/{meeting.pk}/minutes/").content.decode()
    assert "Not discussed: 1 lead<" in html and "Hopper" in html
    assert "Lovelace" not in html and "Turing" not in html


# --- Constant query counts ---------------------------------------------------------------------


def meeting_of(cast, n: int, reasons) -> ReviewMeeting:
    """A meeting with n items over two reps, a third of them decided, every outcome kind."""
    from tests.reviews.test_views import meeting_with

    meeting = meeting_with(cast, n)
    meeting.items.filter(outcome="progressing").update(discussed_at=meeting.opened_at)
    meeting.items.filter(outcome="").exclude(rep=cast.rep).update(
        outcome="recycle", reason=reasons["not-now"], discussed_at=meeting.opened_at
    )
    return meeting


PAGES = [
    ("manager", "/reviews/{pk}/?rep={rep}"),
    ("manager", "/reviews/{pk}/?rep={teammate}"),
    ("manager", "/reviews/{pk}/minutes/"),
    ("rep", "/reviews/{pk}/minutes/"),
    ("rep", "/reviews/{pk}/my-items/"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
@pytest.mark.parametrize("n", [10, 200])
def test_the_meeting_pages_run_at_most_ten_queries(cast, reasons, django_assert_max_num_queries, who, url, n):
    meeting = meeting_of(cast, n, reasons)
    client = client_for(getattr(cast, who))
    path = url.format(pk=meeting.pk, rep=cast.rep.pk, teammate=cast.teammate.pk)
    with django_assert_max_num_queries(10):
        response = client.get(path)
    assert response.status_code == 200
    assert response.content.count(b'<tbody id="item-') == (min(n // 2, MEETING_PAGE_SIZE) if "rep=" in url else 0)


@pytest.mark.parametrize("n", [10, 200])
def test_an_inline_save_and_a_refused_close_run_a_constant_number_of_queries(
    cast, reasons, django_assert_max_num_queries, n
):
    meeting = meeting_of(cast, n, reasons)
    item = meeting.items.filter(rep=cast.rep).order_by("lead__last_name", "lead_id").first()
    client = client_for(cast.manager)
    url = f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    with django_assert_max_num_queries(25):
        response = client.post(url, row_post(item, outcome="stalled"), **HTMX)
    assert b"Saved." in response.content
    Lead.objects.filter(pk=item.lead_id).update(stage=Stage.WON)
    response = client.post(f"/reviews/{meeting.pk}/close/")
    # The page's nine, and clearing the refusal from the session (savepoint, update, release).
    with django_assert_max_num_queries(12):
        page = client.get(response["Location"])
    assert b"no longer worked by sales" in page.content
