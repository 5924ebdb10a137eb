"""Fixtures for tests that need the API as `receiptq api` serves it (gunicorn, real HTTP).

`live_api` is the API alone, beside the session's worker.

`metrics_stack` starts `receiptq worker` (prefork, 2 processes, its metrics exporter on a
free port) and `receiptq api` (gunicorn, 2 processes), both with JSON logs and their own
PROMETHEUS_MULTIPROC_DIR in a fresh temp dir, on a Redis database of their own, so the
session's worker cannot take their jobs and every count starts at zero.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from conftest import BASE_REDIS, ROOT, _claim_redis_db, settings_env

from receiptq.config import Settings

RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stale_counter_file(directory: Path, name: str, value: float, **labels: str) -> Path:
    """A counter file as a previous run would have left it (a dead process's count)."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "counter_999999.db"
    stale = MmapedDict(str(path))
    key = mmap_key(name, f"{name}_total", list(labels), list(labels.values()), "stale")
    stale.write_value(key, value, 0.0)
    stale.close()
    return path


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer: {log.read_text(errors='replace')[-3000:]}")


@dataclass
class MetricsStack:
    settings: Settings
    api_url: str
    worker_metrics_url: str
    api_log: Path
    worker_log: Path
    api_metrics_dir: Path
    worker_metrics_dir: Path
    stale_files: list[Path]


@pytest.fixture
def live_api(settings, worker, tmp_path) -> Iterator[str]:
    """The API under gunicorn, as `receiptq api` serves it. Its log goes to a file (a pipe
    nobody reads fills after a few hundred requests' log lines and stalls the API)."""
    port = free_port()
    log = tmp_path / "api.log"
    proc = subprocess.Popen(
        [*RECEIPTQ, "api", "--port", str(port), "--workers", "1"], env=settings_env(settings),
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/health", proc, log)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def metrics_stack(settings, tmp_path_factory) -> Iterator[MetricsStack]:
    db_number = _claim_redis_db(uuid.uuid4().hex[:10])
    own = settings.model_copy(update={"redis_url": f"{BASE_REDIS}/{db_number}"})
    root = tmp_path_factory.mktemp("metrics")
    api_dir, worker_dir, worker_tmp = root / "api-prom", root / "worker-prom", root / "worker-tmp"
    worker_tmp.mkdir()
    stale = [
        stale_counter_file(api_dir, "receiptq_jobs_submitted", 41),
        stale_counter_file(worker_dir, "receiptq_jobs_finished", 41, status="completed"),
    ]
    api_port, worker_port = free_port(), free_port()
    base = settings_env(own, RECEIPTQ_LOG_FORMAT="json")
    worker_log, api_log = root / "worker.log", root / "api.log"
    name = f"metrics-{uuid.uuid4().hex[:6]}"
    worker_env = {
        **base,
        "PROMETHEUS_MULTIPROC_DIR": str(worker_dir),
        "RECEIPTQ_WORKER_METRICS_PORT": str(worker_port),
        "RECEIPTQ_WORKER_METRICS_ADDR": "127.0.0.1",
        "RECEIPTQ_TEMP_DIR": str(worker_tmp),
    }
    worker = subprocess.Popen(
        [*RECEIPTQ, "worker", "-c", "2", "-n", name], env=worker_env, cwd=worker_tmp,
        stdout=worker_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    api_env = {**base, "PROMETHEUS_MULTIPROC_DIR": str(api_dir)}
    api = subprocess.Popen(
        [*RECEIPTQ, "api", "--port", str(api_port), "--workers", "2"],
        env=api_env, cwd=ROOT, stdout=api_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        worker_url = f"http://127.0.0.1:{worker_port}/metrics"
        api_url = f"http://127.0.0.1:{api_port}"
        _wait_http(worker_url, worker, worker_log)
        _wait_http(f"{api_url}/health", api, api_log)
        yield MetricsStack(
            own, api_url, worker_url, api_log, worker_log, api_dir, worker_dir, stale
        )
    finally:
        _stop(api)
        _stop(worker)
        redis.Redis.from_url(own.redis_url).flushdb()
    left = [*api_dir.glob("*.db"), *worker_dir.glob("*.db")]
    assert not left, f"metrics files left after the services exited: {left}"
