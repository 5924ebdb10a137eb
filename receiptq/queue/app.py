"""The Celery app's configuration: queues, routes, time limits, delivery guarantees.

Both sides build their app here; only the worker (receiptq.worker) connects the worker
signals, so an API process that sends tasks runs no worker code. The reasons for each
choice: docs/architecture.md.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from receiptq.config import Settings
from receiptq.queue.names import QUEUE_OF, QUEUES

# The modules that define tasks: the worker imports them, a sender needs none.
TASK_MODULES = ["receiptq.tasks", "receiptq.webhooks.tasks", "receiptq.search.tasks"]


def create_celery(settings: Settings) -> Celery:
    app = Celery(
        "receiptq",
        broker=settings.redis_url,
        backend=settings.redis_url,
        include=TASK_MODULES,
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="receipts",
        task_routes={task: {"queue": queue} for task, queue in QUEUE_OF.items()},
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
    return app
