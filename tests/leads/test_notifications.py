"""Notifications reach the right person, by the channel they chose, once."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from leads import services, sweeps
from leads.models import Handoff, Notification, NotificationPreference, Stage
from leads.notifications import DEFAULT_CHANNELS, Draft, absolute_url, channels_for, digest_send, notify
from outbox.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Channel = Notification.Channel
CHANNELS = [Channel.APP, Channel.EMAIL, Channel.DIGEST, Channel.OFF]


def choose(user, kind, channel):
    NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


def emails_to(user):
    return [m for m in OutboxMessage.objects.filter(kind="email") if m.payload["to"] == [user.email]]


def rows(kind):
    return list(Notification.objects.filter(kind=kind))


def assert_reached_once(person, kind, channel, expected_text):
    """`person`, and nobody else, holds one notification of `kind` containing `expected_text`,
    told by `channel`; one email if they chose email; the digest gathers it once if they chose it."""
    notes = rows(kind)
    # Every notification email belongs to a notification its recipient chose email for.
    emailed = {m.key for m in OutboxMessage.objects.filter(key__startswith="notification:")}
    assert emailed == {f"notification:{n.pk}" for n in Notification.objects.filter(channel=Channel.EMAIL)}
    if channel == Channel.OFF:
        assert notes == []
        return
    assert [(n.recipient, n.channel) for n in notes] == [(person, channel)]
    assert expected_text in notes[0].message
    mails = [m for m in emails_to(person) if m.key == f"notification:{notes[0].pk}"]
    assert len(mails) == (1 if channel == Channel.EMAIL else 0)
    if mails:
        assert expected_text in mails[0].payload["body"]
    # Far enough ahead to hold notes written at a travelled-to time.
    assert digest_send(now=timezone.now() + timedelta(days=30)) == (1 if channel == Channel.DIGEST else 0)
    if channel == Channel.DIGEST:
        digest = [m for m in emails_to(person) if m.key.startswith("notification-digest:")]
        assert len(digest) == 1 and expected_text in digest[0].payload["body"]
        assert digest[0].payload["subject"] == "Accord daily digest: 1 notification(s)"
    # A second digest run finds nothing more to gather.
    assert digest_send(now=timezone.now() + timedelta(days=31)) == 0


# --- Marketing hears what became of its hand-offs --------------------------------------------


def accept(cast, handoff, reasons):
    services.handoff_accept(handoff=handoff, by=cast.rep)


def reject_to_nurture(cast, handoff, reasons):
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"], note="Bounced")


def reject_disqualified(cast, handoff, reasons):
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["not-our-profile"])


def give_up(cast, handoff, reasons):
    services.handoff_accept(handoff=handoff, by=cast.rep)
    services.lead_give_up(lead=handoff.lead, by=cast.rep, reason=reasons["not-now"], note="Budget in Q3")


def win(cast, handoff, reasons):
    services.handoff_accept(handoff=handoff, by=cast.rep)
    services.lead_advance(lead=handoff.lead, by=cast.rep, to_stage=Stage.WON)


def lose(cast, handoff, reasons):
    services.handoff_accept(handoff=handoff, by=cast.rep)
    services.lead_advance(lead=handoff.lead, by=cast.rep, to_stage=Stage.LOST)


MARKETING_OUTCOMES = [
    (accept, Kind.HANDOFF_ACCEPTED, "accepted Ada Lovelace (Northwind Traders)."),
    (
        reject_to_nurture,
        Kind.HANDOFF_REJECTED,
        "rejected Ada Lovelace (Northwind Traders): Bad contact data (“Bounced”). It is back in nurture",
    ),
    (
        reject_disqualified,
        Kind.HANDOFF_REJECTED,
        "rejected Ada Lovelace (Northwind Traders): Not our customer profile. It is disqualified.",
    ),
    (
        give_up,
        Kind.LEAD_RECYCLED,
        "gave up Ada Lovelace (Northwind Traders) after working it: Not now (“Budget in Q3”). It is back in nurture",
    ),
    (win, Kind.LEAD_WON, "won Ada Lovelace (Northwind Traders)."),
    (lose, Kind.LEAD_LOST, "lost Ada Lovelace (Northwind Traders)."),
]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(("act", "kind", "told"), MARKETING_OUTCOMES, ids=lambda v: getattr(v, "__name__", None))
def test_the_marketer_who_handed_off_is_told_by_the_channel_she_chose(
    cast, handoff_to_rep, reasons, act, kind, told, channel
):
    choose(cast.marketer, kind, channel)
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    act(cast, handoff, reasons)
    assert_reached_once(cast.marketer, kind, channel, f"{cast.rep.get_full_name()} {told}")


def test_the_accept_notice_points_at_the_lead_and_its_email_links_to_the_site(cast, handoff_to_rep, settings):
    settings.ACCORD_BASE_URL = "http://127.0.0.1:8811"
    choose(cast.marketer, Kind.HANDOFF_ACCEPTED, Channel.EMAIL)
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    services.handoff_accept(handoff=handoff, by=cast.rep)
    note = Notification.objects.get(kind=Kind.HANDOFF_ACCEPTED)
    assert note.link == f"/leads/{handoff.lead_id}/"
    (mail,) = [m for m in emails_to(cast.marketer) if m.key == f"notification:{note.pk}"]
    assert mail.payload["body"].endswith(f"http://127.0.0.1:8811/leads/{handoff.lead_id}/")


def test_an_accord_routed_handoff_tells_no_marketer(cast, handoff_to_rep):
    handoff = handoff_to_rep()
    Handoff.objects.filter(pk=handoff.pk).update(handed_off_by=None)
    handoff.refresh_from_db()
    services.handoff_accept(handoff=handoff, by=cast.rep)
    assert rows(Kind.HANDOFF_ACCEPTED) == []


def test_a_refused_decision_tells_nobody(cast, handoff_to_rep):
    handoff = handoff_to_rep()
    with pytest.raises(Exception, match="Only the rep"):
        services.handoff_accept(handoff=handoff, by=cast.teammate)
    assert rows(Kind.HANDOFF_ACCEPTED) == []


def test_a_decision_rolled_back_tells_nobody_and_emails_nothing(cast, handoff_to_rep, monkeypatch):
    choose(cast.marketer, Kind.HANDOFF_ACCEPTED, Channel.EMAIL)
    handoff = handoff_to_rep()

    def fail(**kwargs):
        raise RuntimeError("the transition failed")

    monkeypatch.setattr(services, "lead_transition", fail)
    with pytest.raises(RuntimeError):
        services.handoff_accept(handoff=handoff, by=cast.rep)
    assert rows(Kind.HANDOFF_ACCEPTED) == []
    assert not [m for m in emails_to(cast.marketer) if "accepted" in m.payload["subject"]]


# --- The rep is reminded before the manager hears, and sees it --------------------------------


def sweep_twice(now):
    """Run the sweep twice at `now` (the second must do nothing more)."""
    with time_machine.travel(now):
        first = sweeps.sweep_overdue()
        second = sweeps.sweep_overdue()
    assert second == {"reminded": 0, "escalated": 0, "expired": 0, "reassigned": 0}
    return first


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_rep_is_reminded_by_his_channel_before_the_manager_hears(cast, handoff_to_rep, settings, channel):
    choose(cast.rep, Kind.REMINDER, channel)
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    due = handoff.accept_due_at
    # Nearing the due time: the rep is reminded, the manager not told.
    assert sweep_twice(due - timedelta(minutes=10))["reminded"] == 1
    assert rows(Kind.ESCALATION) == []
    assert_reached_once(cast.rep, Kind.REMINDER, channel, "Ada Lovelace")
    # Past the escalation time: the manager hears, once, after the reminder.
    assert sweep_twice(due + timedelta(hours=settings.ACCORD_ESCALATE_AFTER_HOURS, minutes=1))["escalated"] == 1
    (escalation,) = rows(Kind.ESCALATION)
    assert escalation.recipient == cast.manager
    assert [n.recipient for n in rows(Kind.ESCALATION_NOTICE)] == [cast.rep]


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_manager_gets_the_escalation_by_her_channel_and_the_rep_a_notice(cast, handoff_to_rep, settings, channel):
    choose(cast.manager, Kind.ESCALATION, channel)
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    due = handoff.accept_due_at
    sweep_twice(due - timedelta(minutes=10))
    sweep_twice(due + timedelta(hours=settings.ACCORD_ESCALATE_AFTER_HOURS, minutes=1))
    assert_reached_once(cast.manager, Kind.ESCALATION, channel, f"{cast.rep.get_full_name()} has 1 lead(s)")
    (notice,) = rows(Kind.ESCALATION_NOTICE)
    assert notice.recipient == cast.rep and notice.channel == Channel.APP
    assert notice.message.startswith(f"Your manager {cast.manager.get_full_name()} was told")
    reminder = Notification.objects.get(kind=Kind.REMINDER)
    assert reminder.created_at < notice.created_at


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_escalation_notice_follows_the_reps_choice(cast, handoff_to_rep, settings, channel):
    choose(cast.rep, Kind.ESCALATION_NOTICE, channel)
    handoff = handoff_to_rep(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    sweep_twice(handoff.accept_due_at)
    sweep_twice(handoff.accept_due_at + timedelta(hours=settings.ACCORD_ESCALATE_AFTER_HOURS, minutes=1))
    assert_reached_once(cast.rep, Kind.ESCALATION_NOTICE, channel, "Ada Lovelace")


# --- One function decides the channel ------------------------------------------------------


def test_without_a_choice_each_kind_has_its_default(cast):
    assert set(DEFAULT_CHANNELS) == set(Kind.values)
    decided = channels_for((cast.rep.pk, kind) for kind in Kind.values)
    assert decided == {(cast.rep.pk, kind): DEFAULT_CHANNELS[kind] for kind in Kind.values}


def test_a_choice_overrides_the_default_for_that_person_only(cast, django_assert_num_queries):
    choose(cast.rep, Kind.HANDOFF, Channel.OFF)
    with django_assert_num_queries(1):
        decided = channels_for([(cast.rep.pk, Kind.HANDOFF), (cast.teammate.pk, Kind.HANDOFF)])
    assert decided == {(cast.rep.pk, Kind.HANDOFF): Channel.OFF, (cast.teammate.pk, Kind.HANDOFF): Channel.EMAIL}


def test_a_handoff_the_rep_turned_off_writes_nothing(cast, handoff_to_rep):
    choose(cast.rep, Kind.HANDOFF, Channel.OFF)
    handoff_to_rep()
    assert rows(Kind.HANDOFF) == []
    assert emails_to(cast.rep) == []


def test_a_handoff_emails_the_rep_once_with_marketings_note(cast, make_lead):
    lead = make_lead(first_name="Ada", last_name="Lovelace", company="Northwind Traders")
    services.handoff_create(lead=lead, by=cast.marketer, rep=cast.rep, note="Met at the fair")
    (mail,) = emails_to(cast.rep)
    assert mail.payload["subject"] == "New lead for you: Ada Lovelace (Northwind Traders)"
    assert "Note from marketing: Met at the fair" in mail.payload["body"]
    assert f"{cast.marketer.get_full_name()} handed you Ada Lovelace" in mail.payload["body"]


def test_saving_preferences_keeps_each_choice_and_refuses_nonsense(cast):
    services.notification_preferences_save(user=cast.rep, choices={Kind.REMINDER: Channel.DIGEST})
    assert channels_for([(cast.rep.pk, Kind.REMINDER)]) == {(cast.rep.pk, Kind.REMINDER): Channel.DIGEST}
    with pytest.raises(ValueError):
        services.notification_preferences_save(user=cast.rep, choices={Kind.REMINDER: "carrier-pigeon"})
    assert NotificationPreference.objects.get(user=cast.rep).channel == Channel.DIGEST


def test_the_digest_gathers_each_persons_notes_into_one_email(cast, django_assert_max_num_queries):
    people = [UserFactory() for _ in range(6)]
    for person in people:
        choose(person, Kind.IMPORT, Channel.DIGEST)
    notify(
        [Draft(recipient=p, kind=Kind.IMPORT, message=f"Import {i} for {p.username}") for p in people for i in (1, 2)]
    )
    # Batches of 4 people: two batches of 7 queries (savepoint and release included), and the
    # look that finds nobody left.
    with django_assert_max_num_queries(2 * 7 + 1):
        assert digest_send(now=timezone.now() + timedelta(seconds=1), batch_size=4) == 6
    for person in people:
        (mail,) = emails_to(person)
        assert f"Import 1 for {person.username}" in mail.payload["body"]
        assert f"Import 2 for {person.username}" in mail.payload["body"]
    assert digest_send(now=timezone.now() + timedelta(seconds=2)) == 0


def test_the_digest_is_scheduled_daily_in_the_database():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="leads.tasks.send_notification_digests")
    assert (task.enabled, task.crontab.hour, task.crontab.minute, task.crontab.day_of_week) == (True, "6", "0", "*")


# --- Links -------------------------------------------------------------------------------------


def test_without_a_base_url_links_follow_port():
    env = {k: v for k, v in os.environ.items() if k != "ACCORD_BASE_URL"}
    env.update(PORT="8811", DJANGO_SETTINGS_MODULE="config.settings")
    code = "import django; django.setup(); from leads.notifications import absolute_url; print(absolute_url('/inbox/'))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8811/inbox/"


def test_a_set_base_url_wins_over_port():
    env = {
        **os.environ,
        "PORT": "8811",
        "ACCORD_BASE_URL": "https://accord.example/",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = "import django; django.setup(); from leads.notifications import absolute_url; print(absolute_url('/inbox/'))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "https://accord.example/inbox/"


def test_during_a_request_links_use_the_requests_host():
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8811")
    assert absolute_url("/notifications/", request=request) == "http://127.0.0.1:8811/notifications/"


# --- The pages ---------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def some_notes(user, n):
    notify([Draft(recipient=user, kind=Kind.IMPORT, message=f"Import {i} finished") for i in range(n)])


class TestNotificationsPage:
    def test_marking_one_read_inline_answers_the_notice_and_the_count(self, cast):
        some_notes(cast.marketer, 3)
        note = Notification.objects.filter(recipient=cast.marketer).first()
        response = client_for(cast.marketer).post(
            "/notifications/read/", {"notification": note.pk}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="notification-{note.pk}"' in html and "Mark read" not in html.split("unread-count")[0]
        assert 'id="unread-count" hx-swap-oob="outerHTML">2<' in html
        note.refresh_from_db()
        assert note.read_at is not None
        assert Notification.objects.filter(recipient=cast.marketer, read_at__isnull=True).count() == 2

    def test_without_javascript_marking_one_read_redirects_back(self, cast):
        some_notes(cast.marketer, 2)
        note = Notification.objects.filter(recipient=cast.marketer).first()
        response = client_for(cast.marketer).post(
            "/notifications/read/", {"notification": note.pk, "next": "/notifications/?page=1"}
        )
        assert response.status_code == 302 and response.url == "/notifications/?page=1"
        note.refresh_from_db()
        assert note.read_at is not None

    def test_mark_all_read_inline_empties_the_count(self, cast):
        some_notes(cast.marketer, 3)
        response = client_for(cast.marketer).post("/notifications/read/", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert '<span id="unread-count" hx-swap-oob="outerHTML"></span>' in html
        assert "Mark all read" not in html
        assert not Notification.objects.filter(recipient=cast.marketer, read_at__isnull=True).exists()

    def test_nobody_marks_another_persons_notification(self, cast):
        some_notes(cast.rep, 1)
        note = Notification.objects.get(recipient=cast.rep)
        client = client_for(cast.marketer)
        assert client.post("/notifications/read/", {"notification": note.pk}, HTTP_HX_REQUEST="true").status_code == 404
        client.post("/notifications/read/", {"notification": note.pk})
        note.refresh_from_db()
        assert note.read_at is None

    def test_a_nonsense_id_changes_nothing(self, cast):
        some_notes(cast.marketer, 1)
        response = client_for(cast.marketer).post("/notifications/read/", {"notification": "1; drop"}, follow=True)
        assert "does not exist; nothing was marked read" in response.content.decode()
        assert Notification.objects.filter(recipient=cast.marketer, read_at__isnull=True).count() == 1

    def test_the_page_links_to_the_preferences(self, cast):
        html = client_for(cast.marketer).get("/notifications/").content.decode()
        assert 'href="/notifications/preferences/"' in html


class TestPreferencesPage:
    def test_it_shows_one_labelled_choice_per_kind_with_whats_in_force(self, cast):
        choose(cast.marketer, Kind.HANDOFF_REJECTED, Channel.DIGEST)
        html = client_for(cast.marketer).get("/notifications/preferences/").content.decode()
        for kind in Kind:
            assert f'<label class="form-label fw-semibold" for="id_{kind.value}">{kind.label}</label>' in html
        assert '<option value="digest" selected>' in html
        assert "In the app and by email" in html

    def test_saving_keeps_the_choices(self, cast):
        data = {kind: DEFAULT_CHANNELS[kind] for kind in Kind.values}
        data[Kind.HANDOFF_ACCEPTED] = Channel.EMAIL
        response = client_for(cast.marketer).post("/notifications/preferences/", data, follow=True)
        assert "Your notification choices are saved." in response.content.decode()
        assert channels_for([(cast.marketer.pk, Kind.HANDOFF_ACCEPTED)])[(cast.marketer.pk, Kind.HANDOFF_ACCEPTED)] == (
            Channel.EMAIL
        )

    def test_bad_input_says_so_and_saves_nothing(self, cast):
        data = {kind: DEFAULT_CHANNELS[kind] for kind in Kind.values}
        data[Kind.HANDOFF_ACCEPTED] = "fax"
        response = client_for(cast.marketer).post("/notifications/preferences/", data)
        assert response.status_code == 200
        assert "nothing was saved" in response.content.decode()
        assert not NotificationPreference.objects.exists()

    def test_it_needs_a_login(self, client):
        response = client.get("/notifications/preferences/")
        assert response.status_code == 302 and "/login" in response.url


@pytest.mark.parametrize("url", ["/notifications/", "/notifications/preferences/"])
def test_the_pages_run_the_same_queries_whatever_the_data(cast, url, django_assert_max_num_queries):
    client = client_for(cast.marketer)
    some_notes(cast.marketer, 5)
    for kind in list(Kind.values)[:3]:
        choose(cast.marketer, kind, Channel.DIGEST)
    with django_assert_max_num_queries(10) as small:
        assert client.get(url).status_code == 200
    some_notes(cast.marketer, 500)
    for kind in Kind.values:
        choose(cast.marketer, kind, Channel.APP)
    with django_assert_max_num_queries(10) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
