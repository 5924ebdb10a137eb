"""Periodic housekeeping and the health probe."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from receiptq.processing import remove_stale_temp_dirs
from receiptq.store import jobs as job_store
from receiptq.worker.celery_app import CLEANUP_TASK, HEALTH_TASK, SWEEP_TASK
from receiptq.worker.context import worker_context


@shared_task(name=CLEANUP_TASK)
def cleanup_temp_files() -> dict[str, int]:
    ctx = worker_context()
    purged = job_store.purge_old_uploads(ctx.pool, dt.timedelta(hours=ctx.settings.retention_hours))
    removed = remove_stale_temp_dirs(ctx.settings, max_age_seconds=2 * ctx.settings.task_time_limit)
    return {"uploads_purged": purged, "temp_dirs_removed": removed}


@shared_task(name=HEALTH_TASK, ignore_result=False, expires=30)
def health_check() -> dict[str, str]:
    from receiptq.health import tesseract_version

    return {"tesseract": tesseract_version() or "missing"}


@shared_task(name=SWEEP_TASK, bind=True)
def sweep_jobs(self) -> dict[str, list[str]]:
    from receiptq.queueing import sweep

    report = sweep(worker_context(), self.app)
    return {"requeued": report.requeued, "cancelled": report.cancelled, "failed": report.failed}
