"""A throwaway stack for the tests and the benchmarks: a Redis database number and a
PostgreSQL database of its own (migrated, then emptied and dropped), real workers and a
real API as processes, each like a host of its own (temp dir, log, environment).

Never used by the service itself; it ships in the package (as flask.testing does) so that
tests/ and benchmarks/ share one copy. It needs Redis and PostgreSQL running.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Collection, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from psycopg import sql
from pydantic import AliasChoices

from receiptq.config import PROFILES, Settings
from receiptq.context import Context

REDIS = "redis://127.0.0.1:6379"
DATABASE = "postgresql://postgres@127.0.0.1:5432"
CLAIM_KEY = "receiptq:test-run-claim"
RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]
QUEUES = "receipts,maintenance,index"


class ServicesMissing(RuntimeError):
    """Redis or PostgreSQL does not answer."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def claim_redis_db(redis_base: str = REDIS, owner: str = "", ttl: int = 6 * 3600) -> int:
    """An empty Redis database number (1-15) no other run is using; the claim key marks it
    until the database is flushed."""
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{redis_base}/{number}")
        try:
            if client.set(CLAIM_KEY, owner or "x", nx=True, ex=ttl) and client.dbsize() == 1:
                return number
        finally:
            client.close()
    raise ServicesMissing("no free Redis database (1-15)")


def _drop_database(database_base: str, name: str) -> None:
    with (
        contextlib.suppress(psycopg.OperationalError),
        psycopg.connect(f"{database_base}/postgres", autocommit=True) as conn,
    ):
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextlib.contextmanager
def isolated_settings(
    label: str | None = None,
    redis_base: str = REDIS,
    database_base: str = DATABASE,
    **overrides: Any,
) -> Iterator[Settings]:
    """Settings on a Redis database number and a migrated PostgreSQL database of their own;
    both are emptied/dropped on exit."""
    label = label or uuid.uuid4().hex[:10]
    try:
        redis.Redis.from_url(redis_base, socket_connect_timeout=2).ping()
        psycopg.connect(f"{database_base}/postgres", connect_timeout=3).close()
    except (redis.RedisError, psycopg.OperationalError) as exc:
        raise ServicesMissing(f"Redis and PostgreSQL must be running: {exc}") from exc
    db_name = f"receiptq_test_{label}"
    settings = Settings(
        redis_url=f"{redis_base}/{claim_redis_db(redis_base, label)}",
        database_url=f"{database_base}/{db_name}",
        **overrides,
    )
    from receiptq.store.migrate import upgrade

    upgrade(settings.database_url)
    try:
        yield settings
    finally:
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(settings.redis_url).flushdb()
        _drop_database(database_base, db_name)


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a child process that builds exactly `settings`: this process's
    environment without its own receiptq settings, then every field of `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTQ_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(settings_env(settings))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def settings_env(settings: Settings, names: Collection[str] | None = None) -> dict[str, str]:
    """The variables that set `settings`' fields: every field, or those in ``names``; with
    "profile" among them, every field the profile sets too (a child whose environment holds
    other values of those fields, as a `service_env` does, would keep them: a field set on
    its own outranks the profile)."""
    if names is not None and "profile" in names:
        names = {*names, *PROFILES[settings.profile]}
    env = {}
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None or (names is not None and name not in names):
            continue
        alias = field.validation_alias
        first = alias.choices[0] if isinstance(alias, AliasChoices) else None
        variable = first if isinstance(first, str) else None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env[variable or f"RECEIPTQ_{name.upper()}"] = text
    return env


def _stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_http(
    url: str, proc: subprocess.Popen, log: Any = None, timeout: float = 60, ready: Any = None
) -> None:
    """Until `url` answers 200 (and `ready()` is true); RuntimeError with the end of the
    process's log (`log()`) if the process exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited: {log() if log else ''}"[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200 and (ready is None or ready()):
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer: {log() if log else ''}"[-3000:])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


class Worker:
    """A worker "host": its own temp dir (RECEIPTQ_TEMP_DIR, TMPDIR) and log in `directory`.

    By default `celery -A receiptq.worker worker` (no gossip or mingle: it starts faster);
    `cli=True` runs `receiptq worker` as an operator would. `metrics_port` turns on its
    exporter (PROMETHEUS_MULTIPROC_DIR in `directory`); `code` runs another source tree's
    receiptq (before/after comparisons: `git archive COMMIT receiptq | tar -x -C DIR`)."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        directory: Path,
        concurrency: int = 1,
        *,
        queues: str = QUEUES,
        loglevel: str = "INFO",
        cli: bool = False,
        metrics_port: int | None = None,
        extra_env: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        self.name = f"{name}@{os.uname().nodename}"
        self.dir, self.metrics_port = directory, metrics_port
        temp = directory / "tmp"
        temp.mkdir(parents=True, exist_ok=True)
        self.temp_dir, self.log_path = temp, directory / "worker.log"
        env = {"RECEIPTQ_TEMP_DIR": str(temp), "TMPDIR": str(temp), "OMP_THREAD_LIMIT": "1"}
        if metrics_port is not None:
            env["RECEIPTQ_WORKER_METRICS_PORT"] = str(metrics_port)
            env["RECEIPTQ_WORKER_METRICS_ADDR"] = "127.0.0.1"
            env["PROMETHEUS_MULTIPROC_DIR"] = str(directory / "prometheus")
        if code:
            env["PYTHONPATH"] = code
        env.update(extra_env or {})
        if cli:
            argv = [*RECEIPTQ, "worker", "-c", str(concurrency), "-Q", queues, "-n", self.name,
                    "-l", loglevel]  # fmt: skip
        else:
            argv = [sys.executable, "-m", "celery", "-A", "receiptq.worker", "worker",
                    "-Q", queues, "-c", str(concurrency), "-P", "prefork", "-n", self.name,
                    "--without-gossip", "--without-mingle", "-l", loglevel]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, env=service_env(settings, **env), cwd=code or temp,
            stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, celery: Any, timeout: float = 90) -> None:
        """Until the worker answers a ping over the broker."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log()[-3000:]}")
            if celery.control.ping(destination=[self.name], timeout=0.5):
                return
        raise RuntimeError(f"worker not ready: {self.log()[-3000:]}")

    def stage_seconds(self) -> dict[str, tuple[float, int]]:
        """From its exporter, receiptq_stage_duration_seconds: stage -> (seconds, count)."""
        try:
            text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return {}
        out: dict[str, list[float]] = {}
        pattern = r'^receiptq_stage_duration_seconds_(sum|count)\{stage="(\w+)"\} (\S+)$'
        for kind, stage, value in re.findall(pattern, text, re.M):
            out.setdefault(stage, [0.0, 0])[0 if kind == "sum" else 1] = float(value)
        return {k: (v[0], int(v[1])) for k, v in out.items()}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.proc, 60)

    def kill9(self) -> None:
        """kill -9 the worker and its pool children at once: a host that died."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Api:
    """`receiptq api` (gunicorn) on a free port, its log and metrics dir in `directory`;
    returns once /health answers and every gunicorn worker has forked."""

    def __init__(
        self,
        settings: Settings,
        directory: Path,
        workers: int = 1,
        *,
        extra_env: dict[str, str] | None = None,
        code: str | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / "api.log"
        env = {"PROMETHEUS_MULTIPROC_DIR": str(directory / "prometheus"), **(extra_env or {})}
        if code:
            env["PYTHONPATH"] = code
        self.proc = subprocess.Popen(
            [*RECEIPTQ, "api", "--port", str(self.port), "--workers", str(workers)],
            env=service_env(settings, **env), cwd=code or cwd,
            stdout=subprocess.DEVNULL, stderr=self.log_path.open("wb"),
        )  # fmt: skip
        try:  # gunicorn forks its workers: wait until all of them are there
            wait_http(f"{self.url}/health", self.proc, self.log, timeout,
                      ready=lambda: len(_children(self.proc.pid)) >= workers)  # fmt: skip
        except RuntimeError:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.proc)


class Stack:
    """Isolated settings, a Context, an API key, and on demand a real API and workers;
    `close()` (or leaving the `with` block) stops them and removes everything."""

    def __init__(self, label: str | None = None, **settings: Any) -> None:
        self._exit = contextlib.ExitStack()
        self.run_id = label or uuid.uuid4().hex[:10]
        self.settings = self._exit.enter_context(isolated_settings(self.run_id, **settings))
        self.ctx = Context(self.settings)
        self._exit.callback(self.ctx.close)
        self.dir = Path(tempfile.mkdtemp(prefix="stack-"))  # not receiptq-*: workers clean those
        self._exit.callback(shutil.rmtree, self.dir, ignore_errors=True)
        self.api: Api | None = None
        self.workers: list[Worker] = []

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @cached_property
    def key(self) -> str:
        from receiptq.store.keys import create_key

        return create_key(self.ctx.pool, "stack")[1]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def url(self) -> str:
        return self.api.url if self.api else ""

    def start_api(self, workers: int = 2, **options: Any) -> Api:
        self.api = Api(self.settings, self.dir / "api", workers, **options)
        return self.api

    def start_worker(self, name: str, concurrency: int = 1, **options: Any) -> Worker:
        node = f"{name}-{self.run_id}"
        worker = Worker(self.settings, node, self.dir / node, concurrency, **options)
        self.workers.append(worker)
        worker.wait_ready(self.ctx.celery)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def close(self) -> None:
        self.stop_workers()
        if self.api is not None:
            self.api.stop()
        self._exit.close()
