"""In a real browser, under the Content-Security-Policy: no page is refused a script or style,
and the behaviour that moved out of inline scripts still works."""

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from playwright.sync_api import expect

from leads import services as lead_services
from reviews.models import ReviewMeeting
from reviews.services import review_meeting_open
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_for_violations(page) -> list[str]:
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    return refused


def test_workspace_and_admin_pages_load_without_a_violation(cast, handoff_to_rep, page_for):
    lead_services.handoff_accept(handoff=handoff_to_rep(), by=cast.rep)
    page = page_for("vp-sales", PASSWORD)
    refused = watch_for_violations(page)
    for path in ("/leads/", "/dashboard/", "/definitions/", "/reviews/", "/admin/", "/admin/leads/lead/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert refused == []


def test_closing_a_meeting_still_asks_first(cast, handoff_to_rep, page_for):
    lead_services.handoff_accept(handoff=handoff_to_rep(), by=cast.rep)
    meeting = review_meeting_open(team=cast.team, by=cast.manager)
    page = page_for("manager", PASSWORD)
    refused = watch_for_violations(page)
    page.goto(f"/reviews/{meeting.pk}/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Close meeting and apply outcomes").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Close the meeting")
    assert ReviewMeeting.objects.get(pk=meeting.pk).is_open
    assert refused == []


def test_the_periodic_task_form_explains_the_crontab(cast, page_for):
    crontab = CrontabSchedule.objects.create(minute="0", hour="7", day_of_week="1")
    task = PeriodicTask.objects.create(name="Weekly under test", task="reviews.tasks.open_meetings", crontab=crontab)
    page = page_for("vp-sales", PASSWORD)
    refused = watch_for_violations(page)
    page.goto(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    page.select_option("#id_crontab", str(crontab.pk))
    page.locator("#id_crontab").dispatch_event("change")
    expect(page.locator(".field-crontab .help")).to_contain_text("Translation:")
    assert refused == []
