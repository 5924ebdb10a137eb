"""Fixtures shared by unit and integration tests.

Integration fixtures start from the real services: each test run gets its own Redis
database number and its own PostgreSQL database (created, migrated, dropped at the end),
and a real Celery worker process with its own temp dir.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from psycopg.conninfo import make_conninfo

from receiptq.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BASE_REDIS = os.environ.get("RECEIPTQ_TEST_REDIS", "redis://127.0.0.1:6379")
BASE_DATABASE = os.environ.get("RECEIPTQ_TEST_DATABASE", "postgresql://postgres@127.0.0.1:5432")
CLAIM_KEY = "receiptq:test-run-claim"
# Webhooks are signed with this (Standard Webhooks form) and retried fast in tests; the
# test receivers listen on 127.0.0.1, which only RECEIPTQ_WEBHOOK_ALLOW_PRIVATE permits.
WEBHOOK_TEST_SETTINGS = {
    "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "webhook_retry_base_seconds": 0.2,
    "webhook_allow_private": True,
}


def _claim_redis_db(run_id: str) -> int:
    """An empty Redis database number no other test run is using."""
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{BASE_REDIS}/{number}")
        try:
            if client.set(CLAIM_KEY, run_id, nx=True, ex=6 * 3600) and client.dbsize() == 1:
                return number
        finally:
            client.close()
    raise RuntimeError("no free Redis database (1-15) for this test run")


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
    """Settings with a Redis database number and a PostgreSQL database of their own,
    migrated; both are emptied/dropped on exit."""
    try:
        redis.Redis.from_url(redis_base, socket_connect_timeout=2).ping()
        psycopg.connect(f"{database_base}/postgres", connect_timeout=3).close()
    except (redis.RedisError, psycopg.OperationalError) as exc:
        pytest.fail(f"integration tests need Redis and PostgreSQL running: {exc}")
    db_number = _claim_redis_db(label) if redis_base == BASE_REDIS else 0
    db_name = f"receiptq_test_{label}"
    settings = Settings(
        redis_url=f"{redis_base}/{db_number}",
        database_url=f"{database_base}/{db_name}",
        # Every test client is 127.0.0.1: the suite's wrong keys must not lock it out.
        **{
            "rate_limit": "1000/minute",
            "auth_failure_limit": "1000/minute",
            **WEBHOOK_TEST_SETTINGS,
            **overrides,
        },
    )
    from receiptq.store.migrate import upgrade

    upgrade(settings.database_url)
    try:
        yield settings
    finally:
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(settings.redis_url).flushdb()
        admin = make_conninfo(f"{database_base}/postgres")
        with (
            contextlib.suppress(psycopg.OperationalError),
            psycopg.connect(admin, autocommit=True) as conn,
        ):
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name))
            )


@pytest.fixture(scope="session")
def settings(run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with isolated_settings(run_id, temp_dir=str(tmp_path_factory.mktemp("api-tmp"))) as s:
        yield s


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTQ_")}
    env.update(
        RECEIPTQ_REDIS_URL=settings.redis_url,
        RECEIPTQ_DATABASE_URL=settings.database_url,
        RECEIPTQ_RATE_LIMIT=settings.rate_limit,
        RECEIPTQ_AUTH_FAILURE_LIMIT=settings.auth_failure_limit,
        RECEIPTQ_LEASE_SECONDS=str(settings.lease_seconds),
        RECEIPTQ_SWEEP_SECONDS=str(settings.sweep_seconds),
        RECEIPTQ_RETRY_DELAY_SECONDS=str(settings.retry_delay_seconds),
        RECEIPTQ_WEBHOOK_SECRET=settings.webhook_secret or "",
        RECEIPTQ_WEBHOOK_RETRY_BASE_SECONDS=str(settings.webhook_retry_base_seconds),
        RECEIPTQ_WEBHOOK_ALLOW_PRIVATE=str(settings.webhook_allow_private).lower(),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class WorkerProcess:
    """A real `celery -A receiptq.worker worker` in its own process and temp dir."""

    def __init__(
        self, settings: Settings, name: str, temp_dir: Path, log_path: Path, concurrency: int = 1
    ) -> None:
        self.name = f"{name}@{os.uname().nodename}"
        self.temp_dir = temp_dir
        self.log_path = log_path
        env = settings_env(settings, RECEIPTQ_TEMP_DIR=str(temp_dir), TMPDIR=str(temp_dir))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "receiptq.worker", "worker",
             "-Q", "receipts,maintenance,index", "-c", str(concurrency), "-P", "prefork",
             "-n", self.name, "--without-gossip", "--without-mingle", "-l", "INFO"],
            env=env, cwd=temp_dir, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, celery_app, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            replies = celery_app.control.ping(destination=[self.name], timeout=0.5) or []
            if replies:
                return
        raise RuntimeError(f"worker not ready: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        """kill -9 the worker and its pool children at once: a host that died."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def celery_app(settings: Settings):
    from receiptq.queue.app import create_celery

    return create_celery(settings)


@pytest.fixture(scope="session")
def worker(settings, celery_app, tmp_path_factory) -> Iterator[WorkerProcess]:
    """One worker for the session, with a temp dir of its own (like another host)."""
    temp = tmp_path_factory.mktemp("worker-a")
    proc = WorkerProcess(settings, f"test-a-{uuid.uuid4().hex[:6]}", temp, temp / "worker.log")
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
