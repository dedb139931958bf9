"""What every signed-in page reads about its viewer: the person and their roles in one query,
and the session from the cache. Neither may outlive a change: a role taken away, or a session
ended, counts from the next request."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alignment.roles import GROUP_NAMES, Role, roles_of

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_page_reads_the_viewer_and_their_roles_in_one_query_and_no_session_row(cast):
    client = logged_in(cast.rep)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/inbox/").status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert not [q for q in sql if "django_session" in q]
    assert not [q for q in sql if q.startswith('SELECT "auth_group"."name"')]
    assert len([q for q in sql if 'FROM "auth_user" ' in q and "auth_user_groups" in q]) == 1


def test_the_roles_read_with_the_user_are_the_roles_of_their_groups(cast):
    from alignment.backends import RolesBackend

    for user, role in (
        (cast.rep, Role.SALES_REP),
        (cast.manager, Role.SALES_MANAGER),
        (cast.cmo, Role.MARKETING_LEADER),
    ):
        read = RolesBackend().get_user(user.pk)
        assert roles_of(read) == {role} == roles_of(type(user).objects.get(pk=user.pk))


def test_a_role_taken_away_counts_from_the_next_request(cast):
    client = logged_in(cast.rep)
    assert client.get("/inbox/").status_code == 200
    cast.rep.groups.remove(Group.objects.get(name=GROUP_NAMES[Role.SALES_REP]))
    assert client.get("/inbox/").status_code == 403


def test_a_session_ended_elsewhere_signs_the_person_out(cast):
    client = logged_in(cast.rep)
    assert client.get("/inbox/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/inbox/").status_code == 302
