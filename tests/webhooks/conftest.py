import pytest

from config.celery import app as celery_app
from tests.brokers import use_broker
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


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own as the broker, which the test may stop and start."""
    from tests.outbox.servers import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    previous = celery_app.conf.broker_url
    use_broker(server.url)
    yield server
    use_broker(previous)
    server.stop()
