import os

import pytest

from config.celery import app as celery_app

# With ACCORD_SERVICES=required (as .ci/run sets it) a missing PostgreSQL, Redis or Chromium
# fails the run instead of skipping the tests that need it.
SERVICES_REQUIRED = os.environ.get("ACCORD_SERVICES", "").lower() == "required"

if not os.environ.get("REDIS_URL"):
    # Without a real broker, keep messages enqueued by tests in memory rather than in var/.
    celery_app.conf.broker_url = "memory://"


def service_missing(message: str):
    if SERVICES_REQUIRED:
        pytest.fail(f"{message} (ACCORD_SERVICES=required)", pytrace=False)
    pytest.skip(message)


from tests.brokers import redis_broker  # noqa: E402,F401
from tests.fixtures import *  # noqa: E402,F403


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per password; tests make many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _outbox_channels_open():
    # A test that took a broker or mail server down must not leave the outbox's relay on commit
    # waiting for the next test.
    from outbox.services import resume_channels

    resume_channels()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    # Uploaded import files go to a folder of the test's own, not var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
