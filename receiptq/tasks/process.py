"""The processing task: one job id in, stages run, result saved. A job that fails ends
the task in FAILURE (after the failure is recorded), so Flower and Celery's events count
it; it is never retried."""

from __future__ import annotations

import contextlib
import logging
import random

import psycopg
import redis
from celery import Task, shared_task

from receiptq import store
from receiptq.lifecycle import JobStatus
from receiptq.processing import fail_job, process_job
from receiptq.queue.names import PROCESS_TASK
from receiptq.worker.context import worker_context

log = logging.getLogger(__name__)

# Faults worth retrying: the services were briefly away. A bad image is never retried.
TRANSIENT = (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError)
MAX_RETRIES = 3


class JobFailed(Exception):
    """The job failed and its failure is recorded: raised so the task ends in FAILURE."""


class ProcessTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Retries exhausted or an unexpected crash: the job must not stay 'processing'."""
        if isinstance(exc, JobFailed):
            return  # recorded already
        job_id = args[0] if args else kwargs.get("job_id")
        try:
            fail_job(
                worker_context(),
                job_id,
                "Processing failed because a service was unavailable: submit the receipt again.",
                reason="service-unavailable",
            )
        except Exception:  # the services may still be down; the sweeper will see the job
            log.exception("could not mark job failed")  # job_id: bound at task_prerun


def retry_countdown(base: float, retries: int) -> float:
    """Exponential backoff with full jitter: base * 2^n, drawn from [half, all] of it."""
    delay = base * 2**retries
    return delay * random.uniform(0.5, 1.0)


# throws: an expected failure, logged without a traceback (still a FAILURE).
@shared_task(
    name=PROCESS_TASK, base=ProcessTask, bind=True, max_retries=MAX_RETRIES, throws=(JobFailed,)
)
def process_receipt(self: Task, job_id: str) -> str:
    ctx = worker_context()
    try:
        status = process_job(ctx, job_id)
    except TRANSIENT as exc:
        if self.request.retries >= MAX_RETRIES:
            raise
        countdown = retry_countdown(ctx.settings.retry_delay_seconds, self.request.retries)
        log.warning("transient fault, retrying in %.1f s: %s", countdown, exc)
        with contextlib.suppress(redis.RedisError):  # the sweeper: a message is on its way
            ctx.queue.mark_enqueued(job_id)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if status == JobStatus.FAILED:
        error = (store.jobs.get_job(ctx.pool, job_id) or {}).get("error")
        raise JobFailed(f"job {job_id} failed: {error}")
    return status
