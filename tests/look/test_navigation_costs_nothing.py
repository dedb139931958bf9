"""Building the header's navigation reads only the person's roles, which the page has read
already: it adds no query to any page."""

import pytest
from django.test import RequestFactory
from django.urls import resolve

from alignment.roles import roles_of
from config.navigation import navigation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("who", "path"), [("marketer", "/leads/"), ("rep", "/inbox/"), ("manager", "/definitions/")])
def test_the_navigation_adds_no_query(cast, who, path, django_assert_num_queries):
    user = getattr(cast, who)
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    roles_of(user)  # read once per request, as the role context processor does
    with django_assert_num_queries(0):
        context = navigation(request)
    assert context["nav_workspace"]
