"""The processing task: one job id in, stages run, result saved."""

from __future__ import annotations

import logging

import psycopg
import redis
from celery import Task, shared_task

from receiptq.processing import fail_job, process_job
from receiptq.worker.celery_app import PROCESS_TASK
from receiptq.worker.context import worker_context

log = logging.getLogger(__name__)

# Faults worth retrying: the services were briefly away. A bad image is never retried.
TRANSIENT = (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError)


class ProcessTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Retries exhausted or an unexpected crash: the job must not stay 'processing'."""
        job_id = args[0] if args else kwargs.get("job_id")
        try:
            fail_job(
                worker_context(),
                job_id,
                "Processing failed because a service was unavailable: submit the receipt again.",
            )
        except Exception:  # the services may still be down; the sweeper will see the job
            log.exception("could not mark job failed", extra={"job_id": job_id})


@shared_task(
    name=PROCESS_TASK,
    base=ProcessTask,
    bind=True,
    autoretry_for=TRANSIENT,
    max_retries=3,
    default_retry_delay=60,
    retry_backoff=60,
    retry_backoff_max=600,
    retry_jitter=True,
)
def process_receipt(self: Task, job_id: str) -> str:
    return process_job(worker_context(), job_id)
