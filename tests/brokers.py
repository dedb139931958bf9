"""Pointing the Celery app at a real or an unreachable broker in tests."""

import os

import kombu.pools
import pytest
import redis

from config.celery import app as celery_app
from tests.conftest import service_missing


def use_broker(url: str, **transport_options) -> None:
    """Point the app at another broker, dropping connections pooled for the previous one."""
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = transport_options
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()  # producer pools are cached per connection, process-wide


@pytest.fixture
def redis_broker():
    """The Redis at REDIS_URL as the broker for one test (missing: skipped, or an error when
    ACCORD_SERVICES=required)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("Redis is not configured: set REDIS_URL")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis at {url} does not answer: {error}")
    previous = celery_app.conf.broker_url
    use_broker(url)
    yield url
    use_broker(previous)
