"""Running one job: the worker-side lifecycle around the pipeline stages.

PostgreSQL decides every transition (a conditional UPDATE), Redis mirrors it for polling.
A stage boundary is where cancellation is honoured: the progress update tells us the job
is now 'cancelling', and we stop there with nothing saved.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import redis
from celery.exceptions import SoftTimeLimitExceeded

from receiptq import logs, metrics, store
from receiptq.config import Settings
from receiptq.context import Context
from receiptq.corrections import service as corrections
from receiptq.errors import Cancelled, ReceiptqError
from receiptq.lifecycle import JobStatus
from receiptq.pipeline.document import Document, set_by

log = logging.getLogger(__name__)

# Temp files the OCR engine leaves behind when a worker is killed mid-job.
TEMP_PATTERNS = ("tess_*", "receiptq-*")
STAGE_MESSAGES = {
    "preprocess": "Preparing the image",
    "ocr": "Reading the text",
    "quality": "Checking image quality",
    "analysis": "Extracting receipt fields",
    "validation": "Checking that the receipt adds up",
    "save": "Saving the receipt",
    "cleanup": "Cleaning up",
}


def _mirror(ctx: Context, row: dict[str, Any] | None) -> None:
    if row is None:
        return
    try:
        store.jobstate.write(ctx.redis, row, ctx.settings.job_ttl_seconds)
    except redis.RedisError:
        log.warning("redis unavailable: progress not mirrored")


def temp_root(settings: Settings) -> Path:
    """The worker's own scratch directory (RECEIPTQ_TEMP_DIR; `receiptq worker` exports it
    as TMPDIR, so every temp file of the job lands there)."""
    root = Path(settings.temp_dir or tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    return root


def process_job(ctx: Context, job_id: str) -> str:
    """Run a job to a terminal state and return it. Safe to call twice for one job: a job
    that already finished, or was cancelled while queued, is left as it is, and a job
    another worker holds the lease of is not run a second time ('deferred')."""
    with (
        logs.context(job_id=job_id),  # once for every line of the job (the task did too)
        store.leases.hold(ctx.redis, job_id, ctx.settings.lease_seconds) as held,
    ):
        if not held:
            log.info("job is leased by another worker: deferred")
            return "deferred"
        return _run(ctx, job_id)


def _run(ctx: Context, job_id: str) -> str:
    row = store.jobs.transition(
        ctx.pool,
        job_id,
        JobStatus.PROCESSING,
        (JobStatus.QUEUED, JobStatus.PROCESSING),
        stage="starting",
        message="Starting",
        progress=0,
        count_attempt=True,
    )
    if row is None:
        current = store.jobs.get_job(ctx.pool, job_id)
        if current is None:
            log.warning("job not found")
            return "missing"
        if current["status"] == JobStatus.CANCELLING:
            return _cancelled(ctx, job_id)
        log.info("job already %s: skipped", current["status"])
        return current["status"]
    ctx.queue.mark_taken(job_id)
    _mirror(ctx, row)

    stored = store.jobs.get_upload_data(ctx.pool, job_id)
    if stored is None:
        return fail_job(
            ctx, job_id, "The uploaded file is no longer stored: upload it again.",
            reason="upload-missing",
        )  # fmt: skip
    data, _media_type = stored

    timer = metrics.StageTimer()  # the task's own stages (save, cleanup)

    def on_stage(name: str, progress: int) -> None:
        if name in ("save", "cleanup"):
            timer.start(name)  # the previous one ended here
        logs.bind(stage=name)
        current = store.jobs.set_progress(ctx.pool, job_id, progress, name, STAGE_MESSAGES[name])
        if current is None or current["status"] != JobStatus.PROCESSING:
            raise Cancelled
        _mirror(ctx, current)
        log.info("stage %s", name)

    scratch = temp_root(ctx.settings) / f"receiptq-{job_id}"
    doc = Document(data=data)
    try:
        try:
            with scratch_dir(scratch):
                ctx.pipeline.run(doc, on_stage=on_stage)
        finally:  # the steps that ran to their end, also when a later one failed the job
            metrics.pipeline_stages({s: t.wall for s, t in doc.stage_seconds().items()})
        # what the user taught about this shop (a corrected name) outranks the reading
        receipt = corrections.apply_memory(ctx, row["user_id"], set_by("analysis", doc.receipt))
        on_stage("save", 90)
        if not store.receipts.save_receipt(ctx.pool, job_id, receipt):
            raise Cancelled
        on_stage("cleanup", 100)  # the `finally` below removes the scratch dir, on every path
    except Cancelled:
        return _cancelled(ctx, job_id)
    except ReceiptqError as exc:
        return fail_job(ctx, job_id, exc.message, reason=exc.code)
    except SoftTimeLimitExceeded:
        message = "Processing took too long: try a smaller or clearer image."
        return fail_job(ctx, job_id, message, reason="timeout")
    except (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError):
        raise
    except Exception:
        log.exception("processing failed")
        return fail_job(ctx, job_id, "Processing failed unexpectedly: the team has been told.")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    final = store.receipts.complete_job(ctx.pool, job_id)
    timer.finish()
    metrics.ocr_confidence(receipt.confidence.ocr)
    metrics.job_finished(final["status"])
    _mirror(ctx, store.jobs.get_job(ctx.pool, job_id))
    ctx.queue.notify_finished(job_id)  # its webhook, if it has a callback_url
    if final["status"] == JobStatus.COMPLETED:
        ctx.queue.index(job_id)  # similar receipts (docs/search.md); never raises
    return final["status"]


@contextlib.contextmanager
def scratch_dir(path: Path) -> Iterator[Path]:
    """Make `path` the process' temp dir while a job's stages run, so every temp file of
    the job (pytesseract's images and outputs) lands there and the cleanup stage removes
    them all at once. A worker runs one job per process at a time (prefork)."""
    path.mkdir(parents=True, exist_ok=True)
    previous = tempfile.tempdir
    tempfile.tempdir = str(path)
    try:
        yield path
    finally:
        tempfile.tempdir = previous


def _cancelled(ctx: Context, job_id: str) -> str:
    with ctx.pool.connection() as conn:  # cancelled after the save stage: keep nothing
        store.receipts.discard_receipt(conn, job_id)
    row = store.jobs.transition(
        ctx.pool,
        job_id,
        JobStatus.CANCELLED,
        (JobStatus.CANCELLING, JobStatus.PROCESSING, JobStatus.QUEUED),
    )
    _mirror(ctx, row)
    if row is not None:
        metrics.job_finished(JobStatus.CANCELLED)
    ctx.queue.notify_finished(job_id)
    return JobStatus.CANCELLED


def fail_job(ctx: Context, job_id: str, message: str, reason: str = "internal") -> str:
    """Record the job's failure (``reason``: a code of metrics.FAILURE_REASONS) and
    return its status: 'failed', or the state it was already in."""
    row = store.jobs.transition(
        ctx.pool,
        job_id,
        JobStatus.FAILED,
        (JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.CANCELLING),
        error=message,
    )
    _mirror(ctx, row)
    if row is not None:
        metrics.job_finished(JobStatus.FAILED)
        metrics.job_failed(reason)
    ctx.queue.notify_finished(job_id)
    if row is not None:
        return JobStatus.FAILED
    return (store.jobs.get_job(ctx.pool, job_id) or {}).get("status", "missing")


def remove_stale_temp_dirs(settings: Settings, max_age_seconds: float) -> int:
    """Temp files left by a killed worker (a normal run removes its own)."""
    cutoff = time.time() - max_age_seconds
    removed = 0
    root = temp_root(settings)
    for pattern in TEMP_PATTERNS:
        for entry in root.glob(pattern):
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
            except OSError:
                continue
    return removed
