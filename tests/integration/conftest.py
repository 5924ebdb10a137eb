"""Fixtures for tests that need the API as `receiptq api` serves it (gunicorn, real HTTP).

`live_api` is the API alone, beside the session's worker.

`metrics_stack` starts `receiptq worker` (prefork, 2 processes, its metrics exporter on a
free port) and `receiptq api` (gunicorn, 2 processes), both with JSON logs and their own
PROMETHEUS_MULTIPROC_DIR in a fresh temp dir (receiptq.testing), on a Redis database of
their own, so the session's worker cannot take their jobs and every count starts at zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from conftest import BASE_REDIS, ROOT

from receiptq import testing
from receiptq.config import Settings


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
    """The API under gunicorn, as `receiptq api` serves it (its log in a file: a pipe
    nobody reads fills after a few hundred requests' log lines and stalls the API)."""
    api = testing.Api(settings, tmp_path / "api", cwd=ROOT)
    try:
        yield api.url
    finally:
        api.stop()


@pytest.fixture(scope="module")
def metrics_stack(settings, tmp_path_factory) -> Iterator[MetricsStack]:
    own = settings.model_copy(
        update={"redis_url": f"{BASE_REDIS}/{testing.claim_redis_db(BASE_REDIS)}"}
    )
    root = tmp_path_factory.mktemp("metrics")
    api_root, worker_root = root / "api", root / "worker"
    api_dir, worker_dir = api_root / "prometheus", worker_root / "prometheus"
    stale = [
        stale_counter_file(api_dir, "receiptq_jobs_submitted", 41),
        stale_counter_file(worker_dir, "receiptq_jobs_finished", 41, status="completed"),
    ]
    json_logs = {"RECEIPTQ_LOG_FORMAT": "json"}
    worker = testing.Worker(
        own, f"metrics-{uuid.uuid4().hex[:6]}", worker_root, 2,
        cli=True, metrics_port=testing.free_port(), extra_env=json_logs,
    )  # fmt: skip
    api = None
    try:
        worker_url = f"http://127.0.0.1:{worker.metrics_port}/metrics"
        testing.wait_http(worker_url, worker.proc, worker.log)
        api = testing.Api(own, api_root, 2, extra_env=json_logs, cwd=ROOT)
        yield MetricsStack(
            own, api.url, worker_url, api.log_path, worker.log_path, api_dir, worker_dir, stale
        )
    finally:
        if api is not None:
            api.stop()
        worker.stop()
        redis.Redis.from_url(own.redis_url).flushdb()
    left = [*api_dir.glob("*.db"), *worker_dir.glob("*.db")]
    assert not left, f"metrics files left after the services exited: {left}"
