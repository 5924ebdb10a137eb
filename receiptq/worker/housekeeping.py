"""Periodic housekeeping inside the workers, so that no beat is needed.

Each worker node runs one timer thread in its main process (started on `worker_ready`,
which prefork sends in the main process only, never in a pool child). Every
RECEIPTQ_SWEEP_SECONDS it tries to take the cluster's sweep key (SET NX PX for one period):
the worker that takes it re-queues lost jobs (`receiptq.queue.sweep`), the others skip, so the
cluster sweeps about once a period whatever its size, and while any worker runs. Hourly,
each node removes its own stale temp files, and one node (under its own key) purges
uploads past retention. Nothing here is a Celery task: it stays out of the queues and
Flower's task list.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

import redis
from celery import Celery
from celery.signals import worker_ready, worker_shutdown

from receiptq import store
from receiptq.context import Context
from receiptq.queue.sweep import sweep

log = logging.getLogger(__name__)

SWEEP_KEY = "receiptq:housekeeping:sweep"
PURGE_KEY = "receiptq:housekeeping:purge"
CLEANUP_SECONDS = 3600.0


def claim(client: redis.Redis, key: str, seconds: float, owner: str) -> bool:
    """Take a cluster-wide turn for `seconds`: True for the one caller that got it. The key
    is not released: it expires, so the chore runs at most once per period."""
    return bool(client.set(key, owner, nx=True, px=max(1, int(seconds * 1000))))


class Housekeeper:
    """The chores of one worker node; `tick` runs them when they are due."""

    def __init__(self, ctx: Context, node: str) -> None:
        self.ctx, self.node = ctx, node
        self._next_cleanup = 0.0

    def tick(self, now: float) -> None:
        settings = self.ctx.settings
        if claim(self.ctx.redis, SWEEP_KEY, settings.sweep_seconds, self.node):
            report = sweep(self.ctx)
            if report.requeued or report.cancelled or report.failed:
                log.warning(
                    "sweep: requeued %s, cancelled %s, failed %s",
                    report.requeued, report.cancelled, report.failed,
                )  # fmt: skip
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_SECONDS
            from receiptq.processing import remove_stale_temp_dirs  # the pipeline: workers only

            remove_stale_temp_dirs(settings, max_age_seconds=2 * settings.task_time_limit)
            if claim(self.ctx.redis, PURGE_KEY, CLEANUP_SECONDS, self.node):
                retention = dt.timedelta(hours=settings.retention_hours)
                store.jobs.purge_old_uploads(self.ctx.pool, retention)


def run_every(period: float, tick: Callable[[float], None], stop: threading.Event) -> None:
    """Call `tick(monotonic now)` every `period` seconds until `stop` is set; a failed tick
    (Redis or PostgreSQL away) is logged and the next one tried."""
    while not stop.wait(period):
        try:
            tick(time.monotonic())
        except Exception:
            log.exception("housekeeping failed; trying again in %.0f s", period)


_thread: threading.Thread | None = None
_stop = threading.Event()
# Kept for the life of the process: a pool child forked later inherits these objects and
# must not close the parent's sockets by collecting them.
_keeper: Housekeeper | None = None


def start(celery: Celery, node: str) -> threading.Thread:
    global _thread, _keeper
    settings = celery.conf.receiptq_settings.model_copy(update={"db_pool_max": 2})
    _keeper = Housekeeper(Context(settings, celery_app=celery), node)
    _stop.clear()
    _thread = threading.Thread(
        target=run_every,
        args=(settings.sweep_seconds, _keeper.tick, _stop),
        name="receiptq-housekeeping",
        daemon=True,
    )
    _thread.start()
    return _thread


def stop() -> None:
    _stop.set()
    if _thread is not None:
        _thread.join(timeout=10)
    if _keeper is not None:
        _keeper.ctx.close()


def _on_ready(sender, **_: object) -> None:
    start(sender.app, sender.hostname)


def _on_shutdown(**_: object) -> None:
    stop()


def connect_celery_signals() -> None:
    worker_ready.connect(_on_ready, weak=False)
    worker_shutdown.connect(_on_shutdown, weak=False)
