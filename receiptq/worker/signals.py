"""The worker's signal wiring, in one place: connected by receiptq.worker only."""

from __future__ import annotations

from receiptq import logs, metrics
from receiptq.worker import context, housekeeping, memory


def connect() -> None:
    """Idempotent: Celery connects a receiver once however often it is asked."""
    context.connect_celery_signals()  # a fresh Context in each pool child
    logs.connect_celery_signals()  # JSON lines, job_id on a task's lines
    metrics.connect_celery_signals()  # exporter on RECEIPTQ_WORKER_METRICS_PORT
    memory.connect_celery_signals()  # freed memory back to the system after each task
    # The sweep that re-queues lost jobs, and the hourly cleanup, run in every worker's
    # main process (no beat needed).
    housekeeping.connect_celery_signals()
