"""The worker's signal wiring, in one place: connected by receiptq.worker only."""

from __future__ import annotations

from receiptq import logs, metrics
from receiptq.config import Settings
from receiptq.worker import context, housekeeping, memory


def connect(settings: Settings) -> None:
    """Idempotent: Celery connects a receiver once however often it is asked."""
    context.connect_celery_signals()  # a fresh Context in each pool child
    logs.connect_celery_signals(settings.log_format)  # JSON lines, job_id bound per task
    metrics.connect_celery_signals()  # exporter on RECEIPTQ_WORKER_METRICS_PORT
    memory.connect_celery_signals()  # freed memory back to the system after each task
    # The sweep that re-queues lost jobs, and the hourly cleanup, run in every worker's
    # main process (no beat needed).
    housekeeping.connect_celery_signals()
