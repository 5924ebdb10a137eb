"""Prometheus metrics: what they are, how each process records them, how they are served.

Every process records into prometheus-client's metrics below. The API (several gunicorn
processes) and the worker (Celery prefork children) are both multi-process, so both run
in prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` names a directory
where each process keeps its values in memory-mapped files, and whoever serves
``/metrics`` adds them up (``MultiProcessCollector``). The directory must be set before
``prometheus_client`` is first imported (`receiptq api` and `receiptq worker` set it), and
it is wiped when the service starts: files left by a previous run would add stale counts.

- API: ``GET /metrics`` (receiptq.api.metrics), plus the queue depth, read from Redis at
  scrape time.
- Worker: a small HTTP exporter in the worker's main process, on
  ``RECEIPTQ_WORKER_METRICS_PORT`` (off when unset), bound to
  ``RECEIPTQ_WORKER_METRICS_ADDR`` (default 0.0.0.0), started when the worker is ready.

See docs/observability.md for every metric and the Prometheus configuration.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from receiptq.config import Settings

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"  # 404/405 without a route: one label value, not every path

_generation = 0  # bumped when this process wipes the directory (prepare_multiproc_dir)


def _process_identifier() -> str:
    """Names this process's files; distinct per process (the pid), and new after a wipe,
    so a process that already recorded values reopens files instead of writing to deleted
    ones (Celery's solo/threads pools record in the process that wiped)."""
    return str(os.getpid()) if _generation == 0 else f"{os.getpid()}-{_generation}"


# Fixed for the process' life when prometheus-client is imported (just above): read once.
_MULTIPROC_DIR = Settings().prometheus_multiproc_dir
if _MULTIPROC_DIR:  # each process writes its files there from now on
    Path(_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)

HTTP_REQUEST_DURATION = Histogram(
    "receiptq_http_request_duration_seconds",
    "API request duration, by method, route template and status code.",
    ["method", "route", "status"],
)
JOBS_SUBMITTED = Counter(
    "receiptq_jobs_submitted_total",
    "Jobs accepted by the API (202): stored and queued.",
)
JOBS_FINISHED = Counter(
    "receiptq_jobs_finished_total",
    "Jobs a worker brought to a terminal state, by status (completed, failed, cancelled).",
    ["status"],
)
STAGE_DURATION = Histogram(
    "receiptq_stage_duration_seconds",
    "Duration of each pipeline stage that ran to its end, by stage.",
    ["stage"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)
# Why jobs failed: a bounded set of codes (the domain errors' codes and the worker's own),
# anything else counted as "other", so the label never grows with messages.
FAILURE_REASONS = (
    "poor-quality",  # the image was read but not well enough (retake it)
    "unprocessable",  # not decodable, no text, not a receipt, over a limit
    "unsupported-media-type",
    "upload-missing",  # the stored original was purged before the job ran
    "timeout",  # over the task's soft time limit
    "service-unavailable",  # Redis or PostgreSQL away after every retry
    "internal",  # a bug: the log has the traceback
    "other",
)
JOBS_FAILED = Counter(
    "receiptq_jobs_failed_total",
    "Jobs that failed, by reason code (docs/observability.md lists them).",
    ["reason"],
)
WEBHOOK_OUTCOMES = ("delivered", "gone", "retry", "failed", "dropped")
WEBHOOK_ATTEMPTS = Counter(
    "receiptq_webhook_attempts_total",
    "Webhook delivery attempts, by outcome (retry: failed, to be tried again; failed: the"
    " last attempt failed or the URL was refused; dropped: the job was deleted).",
    ["outcome"],
)
OCR_CONFIDENCE = Histogram(
    "receiptq_ocr_confidence",
    "Mean Tesseract word confidence (0..1) of each extracted receipt.",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0),
)


# --- recording ----------------------------------------------------------------------------


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    HTTP_REQUEST_DURATION.labels(method, route or UNMATCHED_ROUTE, str(status)).observe(seconds)


def job_submitted() -> None:
    JOBS_SUBMITTED.inc()


def job_finished(status: str) -> None:
    JOBS_FINISHED.labels(status).inc()


def job_failed(reason: str) -> None:
    JOBS_FAILED.labels(reason if reason in FAILURE_REASONS else "other").inc()


def webhook_attempt(outcome: str) -> None:
    WEBHOOK_ATTEMPTS.labels(outcome if outcome in WEBHOOK_OUTCOMES else "failed").inc()


def ocr_confidence(value: float) -> None:
    OCR_CONFIDENCE.observe(min(1.0, max(0.0, float(value))))


def pipeline_stages(seconds: Mapping[str, float]) -> None:
    """The wall seconds of the pipeline's stages of one job, each summed over its steps
    (`receiptq.pipeline.document.Document.stage_seconds`)."""
    for stage, value in seconds.items():
        STAGE_DURATION.labels(stage).observe(value)


class StageTimer:
    """A stage lasts from its start until the next stage starts (or `finish`).

    Only stages that ran to their end are observed: a stage that raised (a blurry image,
    a cancel) is not a latency sample.
    """

    def __init__(self) -> None:
        self.stage: str | None = None
        self.started = 0.0

    def start(self, stage: str) -> None:
        now = time.perf_counter()
        if self.stage is not None:
            STAGE_DURATION.labels(self.stage).observe(now - self.started)
        self.stage, self.started = stage, now

    def finish(self) -> None:
        if self.stage is not None:
            STAGE_DURATION.labels(self.stage).observe(time.perf_counter() - self.started)
        self.stage = None


# --- serving ------------------------------------------------------------------------------


def multiproc_dir() -> str | None:
    return _MULTIPROC_DIR


def prepare_multiproc_dir(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Create the multiprocess directory and remove every file a previous run left there.

    Call it once per service start, before any child process records a value (gunicorn's
    `on_starting`, Celery's `worker_init`)."""
    path = path or multiproc_dir()
    if not path:
        return None
    global _generation
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.glob("*.db"):
        entry.unlink(missing_ok=True)
    _generation += 1
    return directory


def remove_multiproc_dir() -> None:
    """At service exit: drop the files (the next start would wipe them anyway), and the
    directory itself when `receiptq api`/`worker` or the gunicorn config made it."""
    path = multiproc_dir()
    if not path:
        return
    directory = Path(path)
    for entry in directory.glob("*.db"):
        entry.unlink(missing_ok=True)
    if directory.name.startswith("prometheus-receiptq-"):
        with contextlib.suppress(OSError):
            directory.rmdir()


def mark_process_dead(pid: int) -> None:
    """Drop a dead child's live gauges. Its files are named like ours: the child was
    forked after our wipe, so it inherited this process's generation."""
    if multiproc_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(str(pid) if _generation == 0 else f"{pid}-{_generation}")


class QueueDepthCollector(Collector):
    """`receiptq_queue_depth{queue}`: messages waiting in each Celery queue (Redis LLEN),
    read when Prometheus scrapes. Messages a worker has already taken (running, or
    prefetched and unacknowledged) are not counted."""

    # kombu's Redis transport keeps priorities 3, 6, 9 in lists of their own.
    PRIORITY_SEP = "\x06\x16"
    PRIORITY_STEPS = (3, 6, 9)

    def __init__(self, redis_client: Any, queues: Iterable[str]) -> None:
        self.redis = redis_client
        self.queues = list(queues)

    def collect(self) -> Iterator[Metric]:
        import redis

        gauge = GaugeMetricFamily(
            "receiptq_queue_depth",
            "Messages waiting in a Celery queue on Redis, read at scrape time.",
            labels=["queue"],
        )
        try:
            pipe = self.redis.pipeline(transaction=False)
            for queue in self.queues:
                pipe.llen(queue)
                for step in self.PRIORITY_STEPS:
                    pipe.llen(f"{queue}{self.PRIORITY_SEP}{step}")
            lengths = pipe.execute()
        except redis.RedisError as exc:
            log.warning("queue depth not collected: redis unavailable: %s", exc)
            return
        per_queue = 1 + len(self.PRIORITY_STEPS)
        for index, queue in enumerate(self.queues):
            gauge.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        yield gauge


class _Chain(Collector):
    def __init__(self, *collectors: Any) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def scrape_registry(*extra: Collector) -> CollectorRegistry:
    """What one scrape shows: every process's values (multiprocess mode) or this process's
    (single-process mode, e.g. tests), plus `extra` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        for collector in extra:
            registry.register(collector)
    else:
        registry.register(_Chain(REGISTRY, *extra))
    return registry


# --- the Celery worker's exporter ---------------------------------------------------------

_exporter: Any = None


def start_worker_exporter(port: int, addr: str = "0.0.0.0") -> Any:
    """Serve the worker's metrics (all its processes) over HTTP from a daemon thread."""
    from prometheus_client import start_http_server

    global _exporter
    if _exporter is None:
        _exporter, _thread = start_http_server(port, addr, registry=scrape_registry())
    return _exporter


def _on_worker_init(**_: Any) -> None:
    prepare_multiproc_dir()  # runs in the main process, before the pool forks


def init_worker_series() -> None:
    """Zero series for every status and stage, so rates and ratios exist before the first
    failure (an absent series makes `failed / finished` empty, not 0)."""
    from receiptq.lifecycle import OUTCOMES
    from receiptq.pipeline.run import STAGES

    for status in OUTCOMES:
        JOBS_FINISHED.labels(status)
    for reason in FAILURE_REASONS:
        JOBS_FAILED.labels(reason)
    for outcome in WEBHOOK_OUTCOMES:
        WEBHOOK_ATTEMPTS.labels(outcome)
    for stage in STAGES:
        STAGE_DURATION.labels(stage)


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    settings = sender.app.conf.receiptq_settings  # the worker's own app
    port, addr = settings.worker_metrics_port, settings.worker_metrics_addr
    if not port:
        return
    init_worker_series()
    if not multiproc_dir():
        log.warning(
            "%s is not set: the worker's metrics show only its main process, not the "
            "pool processes that run the jobs (use `receiptq worker`, or set it)",
            MULTIPROC_ENV,
        )
    try:
        start_worker_exporter(int(port), addr)
    except (OSError, ValueError) as exc:
        log.error("worker metrics exporter not started on %s:%s: %s", addr, port, exc)
        return
    log.info("worker metrics on http://%s:%s/metrics", addr, port, extra={"port": int(port)})


def _on_worker_process_shutdown(pid: int | None = None, **_: Any) -> None:
    mark_process_dead(pid or os.getpid())


def _on_worker_shutdown(**_: Any) -> None:
    remove_multiproc_dir()  # runs in the main process, after the pool has stopped


def connect_celery_signals() -> None:
    """Wipe the multiprocess dir when a worker starts, serve its metrics once it is ready,
    and do the bookkeeping when a pool process exits. Idempotent."""
    from celery import signals

    signals.worker_init.connect(_on_worker_init, weak=False, dispatch_uid="rq-metrics-init")
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="rq-metrics-ready")
    signals.worker_process_shutdown.connect(
        _on_worker_process_shutdown, weak=False, dispatch_uid="rq-metrics-shutdown"
    )
    signals.worker_shutdown.connect(_on_worker_shutdown, weak=False, dispatch_uid="rq-metrics-exit")
