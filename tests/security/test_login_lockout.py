"""Wrong passwords lock a login out (django-axes), on the workspace login and the admin's alike,
and a leader can unlock it."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def fail(client: Client, page: str, username: str, times: int):
    for _ in range(times):
        response = client.post(page, {"username": username, "password": "wrong-password"})
        assert response.status_code in (200, 429)
    return response


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_right_password_is_refused_after_too_many_wrong_ones(cast, settings, page):
    client = Client()
    fail(client, page, cast.cmo.username, settings.AXES_FAILURE_LIMIT)
    response = client.post(page, {"username": cast.cmo.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_lockout_page_says_what_happened(cast, settings, page):
    response = fail(Client(), page, cast.rep.username, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Login locked for now" in text
    assert "ask a sales or marketing leader to unlock" in text


def test_a_few_wrong_passwords_still_let_the_right_one_in(cast, settings):
    client = Client()
    fail(client, "/accounts/login/", cast.rep.username, settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/accounts/login/", {"username": cast.rep.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.rep.pk)


def test_the_lockout_is_per_username_and_address(cast, settings):
    fail(Client(), "/accounts/login/", cast.rep.username, settings.AXES_FAILURE_LIMIT)
    # The same person from another address, and another person from the same one, still log in.
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    assert elsewhere.post("/accounts/login/", {"username": cast.rep.username, "password": PASSWORD}).status_code == 302
    other = Client()
    assert other.post("/accounts/login/", {"username": cast.teammate.username, "password": PASSWORD}).status_code == 302


def test_a_leader_unlocks_a_login_in_the_admin(cast, settings):
    fail(Client(), "/accounts/login/", cast.rep.username, settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username=cast.rep.username)
    leader = Client()
    leader.force_login(cast.vp)
    assert leader.get("/admin/axes/accessattempt/").status_code == 200
    response = leader.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    again = Client().post("/accounts/login/", {"username": cast.rep.username, "password": PASSWORD})
    assert again.status_code == 302


def test_a_manager_cannot_unlock_logins(cast, settings):
    fail(Client(), "/accounts/login/", cast.rep.username, settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username=cast.rep.username)
    manager = Client()
    manager.force_login(cast.manager)
    assert manager.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_axes_reset_unlocks_every_login(cast, settings):
    fail(Client(), "/accounts/login/", cast.rep.username, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset")
    response = Client().post("/accounts/login/", {"username": cast.rep.username, "password": PASSWORD})
    assert response.status_code == 302
