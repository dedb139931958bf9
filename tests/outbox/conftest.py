import pytest

from config.celery import app as celery_app
from tests.brokers import use_broker
from tests.outbox.servers import RedisServer, SMTPServer


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of this test's own, as the broker; the test may stop and start it."""
    server = RedisServer(tmp_path)
    server.start()
    previous = celery_app.conf.broker_url
    use_broker(server.url)
    yield server
    use_broker(previous)
    server.stop()


@pytest.fixture
def smtp_server(settings):
    """An SMTP server on loopback as Django's mail server; the test may stop and start it."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
