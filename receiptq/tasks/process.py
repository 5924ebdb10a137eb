"""The processing task: one job id in, stages run, result saved."""

from __future__ import annotations

import contextlib
import logging
import random

import psycopg
import redis
from celery import Task, shared_task

from receiptq.processing import fail_job, process_job
from receiptq.queue.names import PROCESS_TASK
from receiptq.worker.context import worker_context

log = logging.getLogger(__name__)

# Faults worth retrying: the services were briefly away. A bad image is never retried.
TRANSIENT = (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError)
MAX_RETRIES = 3


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
            log.exception("could not mark job failed")  # job_id: bound at task_prerun


def retry_countdown(base: float, retries: int) -> float:
    """Exponential backoff with full jitter: base * 2^n, drawn from [half, all] of it."""
    delay = base * 2**retries
    return delay * random.uniform(0.5, 1.0)


@shared_task(name=PROCESS_TASK, base=ProcessTask, bind=True, max_retries=MAX_RETRIES)
def process_receipt(self: Task, job_id: str) -> str:
    ctx = worker_context()
    try:
        return process_job(ctx, job_id)
    except TRANSIENT as exc:
        if self.request.retries >= MAX_RETRIES:
            raise
        countdown = retry_countdown(ctx.settings.retry_delay_seconds, self.request.retries)
        log.warning("transient fault, retrying in %.1f s: %s", countdown, exc)
        with contextlib.suppress(redis.RedisError):  # the sweeper: a message is on its way
            ctx.queue.mark_enqueued(job_id)
        raise self.retry(exc=exc, countdown=countdown) from exc
