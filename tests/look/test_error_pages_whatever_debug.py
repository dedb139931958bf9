"""403, 404 and 500 answer the product's own pages, with the way home and back, whether DEBUG is
on or off; the API under /api/ keeps its JSON answers."""

import pytest
from django.test import Client, RequestFactory, override_settings

from config.views import server_error

DEBUG_ON_AND_OFF = pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@DEBUG_ON_AND_OFF
def test_an_unknown_address_answers_the_products_404(cast, debug):
    with override_settings(DEBUG=debug):
        response = logged_in(cast.rep).get("/no-such-page/")
    content = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in content and "Go to your start page" in content
    assert 'class="accord-mark"' in content
    assert "Using the URLconf" not in content


@DEBUG_ON_AND_OFF
def test_a_view_raising_http404_answers_the_products_404(cast, debug):
    with override_settings(DEBUG=debug):
        response = logged_in(cast.rep).get("/leads/999999/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert "Raised by:" not in content and "Using the URLconf" not in content


@DEBUG_ON_AND_OFF
def test_a_refusal_answers_the_products_403(cast, debug):
    with override_settings(DEBUG=debug):
        response = logged_in(cast.rep).get("/handoffs/outcomes/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "Not allowed" in content and "Go to your start page" in content


@DEBUG_ON_AND_OFF
@override_settings(ROOT_URLCONF="tests.look.error_urls")
def test_a_failing_view_answers_the_products_500(cast, debug):
    with override_settings(DEBUG=debug):
        response = logged_in(cast.rep).get("/broken/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content and "Error 500" in content
    assert "Traceback" not in content and "RuntimeError" not in content


def test_the_setting_brings_back_djangos_debug_pages(cast):
    with override_settings(DEBUG=True, ACCORD_DEBUG_ERROR_PAGES=True):
        response = logged_in(cast.rep).get("/no-such-page/")
    assert response.status_code == 404
    assert "Using the URLconf" in response.content.decode()


@DEBUG_ON_AND_OFF
def test_a_missing_slash_is_still_added_before_a_404(cast, debug):
    with override_settings(DEBUG=debug):
        response = logged_in(cast.rep).get("/inbox")
    assert response.status_code == 301
    assert response["Location"] == "/inbox/"


@pytest.mark.django_db
@DEBUG_ON_AND_OFF
def test_the_api_answers_json_for_an_unknown_address(debug):
    with override_settings(DEBUG=debug):
        response = Client().get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_the_404_page_leads_back_to_the_page_one_came_from(cast):
    response = logged_in(cast.rep).get("/no-such-page/", HTTP_REFERER="http://testserver/inbox/")
    content = response.content.decode()
    assert "Back to the previous page" in content
    assert 'href="http://testserver/inbox/"' in content


def test_the_404_page_never_leads_back_to_another_site(cast):
    response = logged_in(cast.rep).get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    content = response.content.decode()
    assert "evil.example" not in content
    assert "Back to the previous page" not in content


def test_the_403_page_leads_back_to_the_page_one_came_from(cast):
    response = logged_in(cast.rep).get("/handoffs/outcomes/", HTTP_REFERER="http://testserver/leads/")
    assert 'href="http://testserver/leads/"' in response.content.decode()


def test_the_500_page_needs_neither_the_database_nor_the_person():
    """No database access is allowed here (pytest-django refuses it) and the request has no user."""
    response = server_error(RequestFactory().get("/leads/"))
    content = response.content.decode()
    assert response.status_code == 500
    assert "accord/brand.css" in content
    assert "Go to your start page" in content and "data-history-back" in content
