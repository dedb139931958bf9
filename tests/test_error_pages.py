"""The product answers errors with its own pages, in the workspace's look, never Django's debug
pages (pytest-django runs with DEBUG off, as `make run` and production do)."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from leads.models import Handoff

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_missing_page_answers_the_products_404(cast):
    response = logged_in(cast.rep).get("/no-such-page/")
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    content = response.content.decode()
    assert "Page not found" in content
    assert "Error 404" in content
    # The workspace's own page: its navigation for the person, not Django's debug page.
    assert 'href="/inbox/"' in content
    assert "Using the URLconf" not in content


def test_a_missing_page_answers_404_before_login_too():
    response = Client().get("/leads/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_forbidden_page_answers_the_products_403(cast):
    response = logged_in(cast.rep).get("/handoffs/outcomes/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "Not allowed" in content
    assert "Error 403" in content
    assert 'href="/inbox/"' in content


def test_a_form_without_its_csrf_token_answers_the_products_403():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "rep", "password": "x"})
    assert response.status_code == 403
    content = response.content.decode()
    assert "This form has expired" in content
    assert "Error 403" in content


def test_a_request_for_another_host_answers_the_products_400():
    """Refused before the middleware that knows the person: the page needs nobody."""
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Bad request" in content
    assert "Error 400" in content


def test_a_server_error_answers_a_standalone_500():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "Error 500" in content


def test_a_refusal_raised_by_a_service_answers_the_products_403(cast, handoff_to_rep):
    """The team's manager sees the rep's hand-off, but only the rep may decide it: the service's
    NotAllowed reaches the person as the 403 page, and nothing changes."""
    handoff = handoff_to_rep()
    response = logged_in(cast.manager).post(f"/inbox/{handoff.pk}/accept/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.PENDING
