"""Putting jobs back on the broker when it lost them or their worker died.

Redis may lose a job's message and marker (a restart without persistence) while
PostgreSQL still says 'queued'; a worker may die holding a job (its lease expires). The
sweep, run by the workers every RECEIPTQ_SWEEP_SECONDS (receiptq.worker.housekeeping),
finds such jobs and queues them again. A duplicate message is harmless: the lease and
PostgreSQL's conditional transitions make the second delivery a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from receiptq import store
from receiptq.context import Context
from receiptq.lifecycle import JobStatus

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    requeued: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def requeues_key(job_id: str) -> str:
    return f"receiptq:requeues:{job_id}"


def _count_requeue(ctx: Context, job_id: str) -> int:
    with ctx.redis.pipeline() as pipe:
        pipe.incr(requeues_key(job_id))
        pipe.expire(requeues_key(job_id), ctx.settings.job_ttl_seconds)
        return int(pipe.execute()[0])


def sweep(ctx: Context, max_requeues: int = 2) -> SweepReport:
    """Re-queue jobs the broker lost or whose worker died; give up on a running job that
    was already re-queued `max_requeues` times (it kills its worker: a poison pill)."""
    report = SweepReport()
    for job in store.jobs.stale_jobs(ctx.pool, ctx.settings.lease_seconds):
        job_id, status = job["job_id"], job["status"]
        if ctx.queue.is_enqueued(job_id):
            continue  # a message for it is in the broker (queued, or a retry on its way)
        if status != JobStatus.QUEUED and store.leases.is_leased(ctx.redis, job_id):
            continue  # a live worker runs it
        if status == JobStatus.CANCELLING:
            if store.jobs.transition(
                ctx.pool, job_id, JobStatus.CANCELLED, (JobStatus.CANCELLING,)
            ):
                report.cancelled.append(job_id)
            continue
        if status == JobStatus.PROCESSING and _count_requeue(ctx, job_id) > max_requeues:
            if store.jobs.transition(
                ctx.pool, job_id, JobStatus.FAILED, (JobStatus.PROCESSING,),
                error="Processing this receipt stopped its worker several times: "
                "it cannot be processed.",
            ):  # fmt: skip
                report.failed.append(job_id)
            continue
        log.warning("re-queueing job (%s, lost by broker or worker)", status,
                    extra={"job_id": job_id})  # fmt: skip
        ctx.queue.enqueue(job_id)
        report.requeued.append(job_id)
    return report
