"""In a real browser, wide and on a phone: the rep starts at home, finds the work queue ordered
with its countdowns, accepts two leads at once, rejects one inline with a reason, logs a touch
with its result, then opens a lead and reads its history."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alignment import services as alignment_services
from alignment.models import EngagementRule, FieldRule
from leads import services
from leads.models import Handoff, Lead, Reminder, Touch
from tests.e2e.conftest import PHONE, WIDE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(cast, make_lead):
    """Under an active definition, four sales-ready leads handed to Ravi Shah by Clara Moreau,
    one of them overdue with its reminder sent."""
    for person, (first, last) in ((cast.marketer, ("Clara", "Moreau")), (cast.rep, ("Ravi", "Shah"))):
        person.first_name, person.last_name = first, last
        person.save()
    version = alignment_services.definition_create(by=cast.marketer, name="Enterprise fit")
    FieldRule.objects.create(definition=version, field="seniority", test="one_of", values=["c_level", "vp"], points=60)
    EngagementRule.objects.create(definition=version, activity="demo_request", points=70)
    alignment_services.definition_update(
        definition=version, by=cast.marketer, fields={"half_life_days": 0, "ready_activities": "demo_request"}
    )
    alignment_services.definition_propose(definition=version, by=cast.marketer)
    alignment_services.definition_approve(definition=version, by=cast.cmo, side="marketing")
    alignment_services.definition_approve(definition=version, by=cast.vp, side="sales")
    now = timezone.now()
    rows = {}
    for name, priority, due in (
        ("Ada Lovelace", 90, timedelta(hours=2)),
        ("Alan Turing", 90, timedelta(hours=6)),
        ("Grace Hopper", 60, timedelta(hours=1)),
        ("Linus Torvalds", 20, -timedelta(hours=3)),
    ):
        first, last = name.split()
        lead = make_lead(first_name=first, last_name=last, company="Analytical Engines", title="VP Sales")
        services.activity_log(lead=lead, by=cast.marketer, kind="demo_request")
        handoff = services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep)
        Lead.objects.filter(pk=handoff.lead_id).update(priority=priority)
        Handoff.objects.filter(pk=handoff.pk).update(accept_due_at=now + due, note=f"Called about {first}")
        rows[name] = handoff
    late = Handoff.objects.get(pk=rows["Linus Torvalds"].pk)
    Reminder.objects.create(
        handoff=late,
        breach=Reminder.Breach.ACCEPT,
        level=Reminder.Level.REMIND,
        due_at=late.accept_due_at,
        created_at=now,
        run=uuid.uuid4(),
    )
    return rows


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_the_rep_works_the_queue(cast, reasons, queue, page_sized, assert_accessible, screenshot, viewport):
    phone = viewport is PHONE
    rep = page_sized("rep", PASSWORD, viewport)
    expect(rep).to_have_url(re.compile(r"/inbox/$"))  # the rep's home is the work queue
    expect(rep.get_by_role("heading", name="Work queue")).to_be_visible()

    # Ordered by priority, then the soonest due; each with its countdown.
    order = rep.locator("tbody.queue-item").evaluate_all("rows => rows.map(row => row.id)")
    expected = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Torvalds"]
    assert order == [f"handoff-{queue[name].pk}" for name in expected]
    ada = rep.locator(f"#handoff-{queue['Ada Lovelace'].pk}")
    expect(ada.locator("time[data-countdown]")).to_have_text(re.compile(r"^due in (1 h \d+ min|2 h)$"))
    expect(ada).to_contain_text("Called about Ada")
    late = rep.locator(f"#handoff-{queue['Linus Torvalds'].pk}")
    expect(late.locator("time[data-countdown]")).to_have_text(re.compile(r"^overdue by (2 h \d+ min|3 h)"))
    expect(late).to_have_class(re.compile(r"\boverdue\b"))
    expect(ada.locator(".queue-why")).to_have_text("Sales-ready: grade A and bucket hot; 1 demo request.")
    expect(rep.locator("#reminders")).to_contain_text("Linus Torvalds")
    assert_accessible(rep, "work queue")
    screenshot(rep, "rep-inbox-phone" if phone else "rep-inbox")

    if phone:
        # Cards: every pending row's actions are on screen without scrolling sideways, big enough to tap.
        for handoff in queue.values():
            row = rep.locator(f"#handoff-{handoff.pk}")
            for name in ("Accept", "Reject…"):
                button = row.get_by_role("button", name=name, exact=True)
                button.scroll_into_view_if_needed()
                box = button.bounding_box()
                assert box is not None
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
                assert box["height"] >= 44, (name, box)
        assert rep.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Bulk accept: tick two, accept them at once.
    rep.get_by_role("checkbox", name="Select Ada Lovelace").check()
    rep.get_by_role("checkbox", name="Select Alan Turing").check()
    rep.get_by_role("button", name="Accept selected").click()
    expect(rep.get_by_role("alert")).to_contain_text("You accepted 2 lead(s)")
    assert set(Handoff.objects.filter(status="accepted").values_list("pk", flat=True)) == {
        queue["Ada Lovelace"].pk,
        queue["Alan Turing"].pk,
    }

    # Reject one inline, with a reason: the row is replaced by where the lead went, no reload.
    grace = queue["Grace Hopper"]
    rep.locator(f"#handoff-{grace.pk}").get_by_role("button", name="Reject…").click()
    form = rep.locator(f"#reject-{grace.pk}")
    form.get_by_label("Reason").select_option(label="Bad contact data (recycle to nurture)")
    form.get_by_label("Note for marketing").fill("Number is dead")
    form.get_by_role("button", name="Reject lead").click()
    expect(rep.locator("#queue-messages").get_by_role("alert")).to_contain_text("You rejected Grace Hopper")
    expect(rep.locator(f"#handoff-{grace.pk}")).to_have_count(0)
    expect(rep.locator(f"#done-{grace.pk}")).to_contain_text("rejected (Bad contact data")
    assert Handoff.objects.get(pk=grace.pk).status == Handoff.Status.REJECTED

    # Log a touch with its result on an accepted lead, inline.
    ada = rep.locator(f"#handoff-{queue['Ada Lovelace'].pk}")
    ada.get_by_role("button", name="Log touch").click()
    touch = rep.locator(f"#touch-{queue['Ada Lovelace'].pk}")
    touch.get_by_label("What happened").select_option(label="Call")
    touch.get_by_label("Result").select_option(label="No answer")
    touch.get_by_role("button", name="Save touch").click()
    expect(rep.locator("#queue-messages").get_by_role("alert")).to_contain_text("Call logged on Ada Lovelace")
    assert Touch.objects.get().result == Touch.Result.NO_ANSWER

    # Open the lead by clicking its name, and read its history in sentences.
    rep.locator(f"#handoff-{queue['Ada Lovelace'].pk}").get_by_role("link", name="Ada Lovelace").click()
    expect(rep).to_have_url(re.compile(rf"/leads/{queue['Ada Lovelace'].lead_id}/$"))
    history = rep.locator("#timeline")
    expect(history).to_contain_text("Clara Moreau handed this lead to Ravi Shah (Enterprise) as A · hot.")
    expect(history).to_contain_text("It became sales-ready under definition v1.")
    expect(history).to_contain_text("Ravi Shah accepted it.")
    expect(history).to_contain_text("Ravi Shah logged a call: no answer.")
    expect(history).not_to_contain_text("assigned_to")
    expect(rep.locator("#lead-facts")).to_contain_text("Ravi Shah (Enterprise)")
    expect(rep.locator("#sla-clock")).to_contain_text("First touch made")
    assert_accessible(rep, "lead page")
    if not phone:
        screenshot(rep, "lead-page")
