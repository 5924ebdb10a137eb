"""Fixtures shared by unit and integration tests.

Integration fixtures start from the real services: each test run gets its own Redis
database number and its own PostgreSQL database (created, migrated, dropped at the end),
and a real Celery worker process with its own temp dir.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from receiptq import testing
from receiptq.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BASE_REDIS = os.environ.get("RECEIPTQ_TEST_REDIS", "redis://127.0.0.1:6379")
BASE_DATABASE = os.environ.get("RECEIPTQ_TEST_DATABASE", "postgresql://postgres@127.0.0.1:5432")
# Webhooks are signed with this (Standard Webhooks form) and retried fast in tests; the
# test receivers listen on 127.0.0.1, which only RECEIPTQ_WEBHOOK_ALLOW_PRIVATE permits.
WEBHOOK_TEST_SETTINGS = {
    "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "webhook_retry_base_seconds": 0.2,
    "webhook_allow_private": True,
}


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@contextlib.contextmanager
def isolated_settings(
    label: str,
    redis_base: str = BASE_REDIS,
    database_base: str = BASE_DATABASE,
    **overrides: object,
) -> Iterator[Settings]:
    """receiptq.testing's isolated settings with the suite's defaults (limits that the
    suite's many requests from 127.0.0.1 stay under, fast webhook retries)."""
    defaults = {
        "rate_limit": "1000/minute",
        "auth_failure_limit": "1000/minute",
        **WEBHOOK_TEST_SETTINGS,
    }
    try:
        with testing.isolated_settings(
            label, redis_base, database_base, **{**defaults, **overrides}
        ) as settings:
            yield settings
    except testing.ServicesMissing as exc:
        pytest.fail(f"integration tests need Redis and PostgreSQL running: {exc}")


@pytest.fixture(scope="session")
def settings(run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with isolated_settings(run_id, temp_dir=str(tmp_path_factory.mktemp("api-tmp"))) as s:
        yield s


settings_env = testing.service_env


@pytest.fixture(scope="session")
def celery_app(settings: Settings):
    from receiptq.queue.app import create_celery

    return create_celery(settings)


@pytest.fixture(scope="session")
def worker(settings, celery_app, tmp_path_factory) -> Iterator[testing.Worker]:
    """One worker for the session, with a temp dir of its own (like another host)."""
    temp = tmp_path_factory.mktemp("worker-a")
    proc = testing.Worker(settings, f"test-a-{uuid.uuid4().hex[:6]}", temp)
    try:
        proc.wait_ready(celery_app)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def app(settings):
    from receiptq.api import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def ctx(settings):
    from receiptq.context import Context

    context = Context(settings)
    yield context
    context.close()


def _make_key(ctx, name: str) -> str:
    from receiptq.store.keys import create_key

    return create_key(ctx.pool, name)[1]


@pytest.fixture(scope="session")
def alice(ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {_make_key(ctx, 'alice')}"}


@pytest.fixture(scope="session")
def bob(ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {_make_key(ctx, 'bob')}"}
