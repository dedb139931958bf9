import pytest

from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import EventType


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    # The receivers of these tests listen on loopback, which production refuses.
    settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(cast, receiver):
    """A subscription of marketing to the receiver; returns (subscription, secret)."""

    def make(events=tuple(EventType.values), path="/hook", **filters):
        return services.subscription_create(
            by=cast.marketer, name=f"Automation {path}", url=receiver.url(path), events=list(events), **filters
        )

    return make
