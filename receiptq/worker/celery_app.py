"""Celery configuration: queues, routes, time limits, delivery guarantees, housekeeping.

Every choice here is deliberate; see docs/architecture.md for the reasons.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from receiptq import logs, metrics
from receiptq.config import Settings
from receiptq.worker import memory

PROCESS_TASK = "receiptq.process_receipt"
HEALTH_TASK = "receiptq.health_check"
WEBHOOK_TASK = "receiptq.deliver_webhook"
INDEX_TASK = "receiptq.index_receipt"  # similar receipts: docs/search.md


def create_celery(settings: Settings) -> Celery:
    app = Celery(
        "receiptq",
        broker=settings.redis_url,
        backend=settings.redis_url,
        include=["receiptq.tasks"],
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        task_queues=[Queue("receipts"), Queue("maintenance"), Queue("index")],
        task_default_queue="receipts",
        task_routes={
            PROCESS_TASK: {"queue": "receipts"},
            HEALTH_TASK: {"queue": "maintenance"},
            WEBHOOK_TASK: {"queue": "maintenance"},
            INDEX_TASK: {"queue": "index"},
        },
        # At-least-once delivery: a task is acknowledged only after it ran, and a worker
        # killed mid-task gives its message back. Effects are idempotent (upsert by job).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(60, settings.task_time_limit - 60),
        # Redis redelivers an unacknowledged message after the visibility timeout; it must
        # outlast the longest task, or a slow job would run twice.
        broker_transport_options={"visibility_timeout": settings.task_time_limit + 300},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # job state lives in our own store
        result_expires=3600,
        worker_send_task_events=True,
        task_send_sent_event=True,
    )
    app.conf.receiptq_settings = settings
    logs.connect_celery_signals()  # JSON lines, job_id on a task's lines
    metrics.connect_celery_signals()  # exporter on RECEIPTQ_WORKER_METRICS_PORT
    memory.connect_celery_signals()  # freed memory back to the system after each task
    # The sweep that re-queues lost jobs, and the hourly cleanup, run in every worker's
    # main process (no beat needed). Imported here: it needs this module's task names.
    from receiptq.worker import housekeeping

    housekeeping.connect_celery_signals()
    return app
