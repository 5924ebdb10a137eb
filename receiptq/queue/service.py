"""The queue service: what domain code asks for to hand work to the workers.

`Context.queue` is one per process, built on the process' Celery app (the API's own, or
the worker's); no other code sends a task (but the readiness probe's round trip,
receiptq.health). Every enqueue of a job leaves a marker key
beside the message, so the sweep (receiptq.queue.sweep) can tell a job whose message is
in the broker from one the broker lost.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from receiptq import webhooks
from receiptq.queue.names import INDEX_TASK, PROCESS_TASK, QUEUE_OF, WEBHOOK_TASK

if TYPE_CHECKING:
    from receiptq.context import Context

log = logging.getLogger(__name__)


def marker_key(job_id: str) -> str:
    return f"receiptq:enqueued:{job_id}"


class JobQueue:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def enqueue(self, job_id: str) -> None:
        """Send a job to the `receipts` queue (the job id is the task id). Raises when the
        broker refuses: the caller undoes the job it just stored."""
        self._ctx.celery.send_task(
            PROCESS_TASK, args=[job_id], task_id=job_id, queue=QUEUE_OF[PROCESS_TASK]
        )
        self.mark_enqueued(job_id)

    def mark_enqueued(self, job_id: str) -> None:
        """A message for the job is in the broker (or a retry is on its way)."""
        self._ctx.redis.set(marker_key(job_id), "1", ex=self._ctx.settings.job_ttl_seconds)

    def mark_taken(self, job_id: str) -> None:
        """A worker took the job: from now on its lease says whether it is alive."""
        self._ctx.redis.delete(marker_key(job_id))

    def is_enqueued(self, job_id: str) -> bool:
        return bool(self._ctx.redis.exists(marker_key(job_id)))

    def revoke(self, job_id: str) -> None:
        """Ask the workers to drop a queued job's message (a worker that still receives
        it skips a cancelled job anyway)."""
        self._ctx.celery.control.revoke(job_id)

    def notify_finished(self, job_id: str) -> str | None:
        """A job reached completed/failed/cancelled (by any path): if it has a callback
        URL, record one webhook delivery (once per job, however often this is called) and
        queue it. Returns the message id. Never raises: the job's end is committed, and a
        webhook must not undo or delay it."""
        try:
            message_id = webhooks.store.claim(self._ctx.pool, job_id)
            if message_id is None:
                return None
            try:
                self._ctx.celery.send_task(
                    WEBHOOK_TASK, args=[message_id], queue=QUEUE_OF[WEBHOOK_TASK]
                )
            except Exception:
                webhooks.store.unclaim(self._ctx.pool, message_id)
                raise
        except Exception:
            log.exception("webhook not queued", extra={"job_id": job_id})
            return None
        log.info("webhook queued", extra={"job_id": job_id, "webhook_id": message_id})
        return message_id

    def index(self, job_id: str) -> None:
        """Queue the similar-receipts index task for a completed job. Never raises: a
        receipt left unindexed is picked up with the user's next one."""
        try:
            self._ctx.celery.send_task(INDEX_TASK, args=[job_id], queue=QUEUE_OF[INDEX_TASK])
        except Exception:  # kombu/redis raise many types for an unreachable broker
            log.exception("index task not queued", extra={"job_id": job_id})
