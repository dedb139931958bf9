"""The client's address: forged X-Forwarded-For headers are ignored unless the installation runs
behind as many proxies as it says, and then the address the last trusted proxy saw is taken."""

from django.test import RequestFactory

from security.clients import client_ip


def request_from(remote: str, forwarded: str = ""):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_a_proxy_the_header_is_not_believed(settings):
    settings.ACCORD_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_saw_is_the_clients(settings):
    settings.ACCORD_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.2", "198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_behind_two_proxies_the_second_from_the_right(settings):
    settings.ACCORD_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.3", "198.51.100.1, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_login_lockouts_count_per_client_behind_the_proxy(settings, db):
    from django.test import Client

    from tests.factories import PASSWORD, UserFactory

    settings.ACCORD_PROXY_COUNT = 1
    UserFactory(username="ada")
    client = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "ada", "password": "wrong"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    locked = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out with them.
    other = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.10"
    )
    assert other.status_code == 302
