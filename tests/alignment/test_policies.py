"""One answer to which teams a sales manager sees, whatever asks: the lead list, the inbox, the
dashboard and its lists, the review meetings and the admin. The personas tell the rules apart:
Enterprise's manager is also a member of SMB, which SMB's manager runs without being its member."""

import pytest
from django.test import Client

from alignment import policies
from insights import selectors as insights_selectors
from leads import selectors as lead_selectors
from reviews import selectors as review_selectors
from reviews.services import review_meeting_open


@pytest.fixture
def smb_lead(cast, handoff_to_rep):
    """A lead of SMB, handed to SMB's rep."""
    return handoff_to_rep(rep=cast.other_rep, last_name="Smb-Lead").lead


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_sees_what_they_manage_not_where_they_are_a_member(cast, smb_lead):
    assert smb_lead.team == cast.other_team
    assert cast.manager.memberships.filter(team=cast.other_team).exists()
    assert not lead_selectors.leads_visible_to(user=cast.manager).filter(pk=smb_lead.pk).exists()
    assert not lead_selectors.handoffs_visible_to(user=cast.manager).filter(lead=smb_lead).exists()
    assert list(policies.teams_managed_by(cast.manager)) == [cast.team]


def test_a_manager_who_is_no_member_sees_the_team_they_manage(cast, smb_lead):
    assert not cast.other_manager.memberships.exists()
    assert lead_selectors.leads_visible_to(user=cast.other_manager).filter(pk=smb_lead.pk).exists()
    assert lead_selectors.handoffs_visible_to(user=cast.other_manager).filter(lead=smb_lead).exists()
    assert list(insights_selectors.teams_visible_to(user=cast.other_manager)) == [cast.other_team]


def test_the_lead_list_the_dashboard_and_the_lead_page_agree(cast, smb_lead):
    url = f"/leads/{smb_lead.pk}/"
    assert logged_in(cast.manager).get(url).status_code == 404
    assert logged_in(cast.other_manager).get(url).status_code == 200
    assert "Smb-Lead" not in logged_in(cast.manager).get("/leads/").content.decode()
    assert "Smb-Lead" in logged_in(cast.other_manager).get("/leads/").content.decode()
    # Asking the dashboard for SMB is no choice Enterprise's manager has: the figures stay theirs.
    refused = logged_in(cast.manager).get(f"/dashboard/?team={cast.other_team.pk}")
    assert "team" in refused.context["form"].errors
    assert refused.context["scope"].teams == (cast.team.pk,)
    shown = logged_in(cast.other_manager).get(f"/dashboard/?team={cast.other_team.pk}")
    assert shown.context["scope"].teams == (cast.other_team.pk,)


def test_review_meetings_follow_the_same_rule(cast, smb_lead):
    meeting = review_meeting_open(team=cast.other_team)
    assert review_selectors.meetings_visible_to(user=cast.other_manager).filter(pk=meeting.pk).exists()
    assert review_selectors.sees_every_item(meeting=meeting, user=cast.other_manager)
    # A member of the team who does not manage it sees the meeting, as its members do, but not
    # every rep's items, and may not run it.
    assert review_selectors.meetings_visible_to(user=cast.manager).filter(pk=meeting.pk).exists()
    assert not review_selectors.sees_every_item(meeting=meeting, user=cast.manager)
    assert list(review_selectors.teams_run_by(user=cast.manager)) == [cast.team]
    assert list(review_selectors.teams_run_by(user=cast.other_manager)) == [cast.other_team]
    items = logged_in(cast.manager).get("/admin/reviews/reviewitem/")
    assert "Smb-Lead" not in items.content.decode()
    assert "Smb-Lead" in logged_in(cast.other_manager).get("/admin/reviews/reviewitem/").content.decode()
