"""Putting jobs on the broker, and putting them back when the broker lost them.

Every enqueue leaves a marker key beside the message. Redis may lose both (a restart
without persistence) while PostgreSQL still says 'queued'; a worker may die holding a job
(its lease expires). The sweeper, run by beat every RECEIPTQ_SWEEP_SECONDS, finds such jobs
and queues them again. A duplicate message is harmless: the lease and PostgreSQL's
conditional transitions make the second delivery a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from celery import Celery

from receiptq.context import Context
from receiptq.store import jobs as job_store
from receiptq.store import leases
from receiptq.worker.celery_app import PROCESS_TASK

log = logging.getLogger(__name__)


def marker_key(job_id: str) -> str:
    return f"receiptq:enqueued:{job_id}"


def enqueue(celery: Celery, client: redis.Redis, job_id: str, ttl: int) -> None:
    celery.send_task(PROCESS_TASK, args=[job_id], task_id=job_id, queue="receipts")
    client.set(marker_key(job_id), "1", ex=ttl)


@dataclass
class SweepReport:
    requeued: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sweep(ctx: Context, celery: Celery, max_attempts: int = 3) -> SweepReport:
    """Re-queue jobs the broker lost or whose worker died; give up on a job that has
    already been started `max_attempts` times (it kills its worker: a poison pill)."""
    report = SweepReport()
    settings = ctx.settings
    for job in job_store.stale_jobs(ctx.pool, settings.lease_seconds):
        job_id, status = job["job_id"], job["status"]
        if status == "queued":
            if ctx.redis.exists(marker_key(job_id)):
                continue
        elif leases.is_leased(ctx.redis, job_id):
            continue
        elif status == "cancelling":
            if job_store.transition(
                ctx.pool, job_id, "cancelled", ("cancelling",),
                stage="cancelled", message="Cancelled",
            ):  # fmt: skip
                report.cancelled.append(job_id)
            continue
        elif job["attempts"] >= max_attempts:
            if job_store.transition(
                ctx.pool, job_id, "failed", ("processing",), stage="failed", message="Failed",
                error="Processing this receipt stopped its worker several times: "
                "it cannot be processed.",
            ):  # fmt: skip
                report.failed.append(job_id)
            continue
        log.warning("re-queueing job (%s, lost by broker or worker)", status,
                    extra={"job_id": job_id})  # fmt: skip
        enqueue(celery, ctx.redis, job_id, settings.job_ttl_seconds)
        report.requeued.append(job_id)
    return report
