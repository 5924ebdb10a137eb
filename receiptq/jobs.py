"""Job lifecycle as the API sees it: submit, read status, cancel.

Each function takes the process Context and plain values, and raises domain errors; the
Flask views only parse requests and serialize what these return. Work for the workers goes
through the Context's queue service (`ctx.queue`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
import redis

from receiptq import metrics, store
from receiptq.context import Context
from receiptq.errors import (
    Conflict,
    NotFound,
    ReceiptqError,
    ServiceUnavailable,
    Unprocessable,
)
from receiptq.lifecycle import OUTCOMES, JobStatus
from receiptq.pipeline import media

log = logging.getLogger(__name__)


def _mirror_row(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """Write a job row to Redis; a Redis fault must not undo what PostgreSQL committed."""
    try:
        store.jobstate.write(ctx.redis, row, ctx.settings.job_ttl_seconds)
    except redis.RedisError:
        log.warning("redis unavailable: job state not mirrored", extra={"job_id": row["job_id"]})
    return row


def _mirror(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    return _public(ctx, _mirror_row(ctx, row))


def _public(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """The status view, with `expires_at`: when the stored image is purged."""
    return store.jobstate.to_public(row, ctx.settings.retention_hours)


@dataclass(frozen=True)
class SubmitOptions:
    force: bool = False  # process identical bytes again instead of answering the old job
    idempotency_key: str | None = None
    delete_after_processing: bool = False
    callback_url: str | None = None  # validated by receiptq.webhooks.urls.check_callback_url

    def fingerprint(self, upload_sha256: bytes) -> bytes:
        """What an Idempotency-Key stands for: the file and every option but the key, so a
        reuse with another file or another option is told apart from a retry."""
        options = {k: v for k, v in asdict(self).items() if k != "idempotency_key"}
        encoded = json.dumps(options, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(upload_sha256 + encoded).digest()


@dataclass(frozen=True)
class Submission:
    job: dict[str, Any]
    created: bool  # False: an existing job answers (duplicate or idempotent replay)
    duplicate_of: str | None = None
    replayed: bool = False


def submit(
    ctx: Context,
    user_id: str,
    data: bytes,
    filename: str | None,
    options: SubmitOptions = SubmitOptions(),
) -> Submission:
    """Validate an upload, store it durably, queue it.

    The 202 that follows is only sent once the bytes and the job are committed in
    PostgreSQL and the task is in the broker; if the broker refuses, the job is removed
    again and the client is told to retry (nothing accepted is ever dropped).
    """
    info = media.inspect(
        data,
        max_pixels=ctx.settings.max_pixels,
        max_pdf_pages=ctx.settings.max_pdf_pages,
        max_job_pixels=ctx.settings.max_job_pixels,
    )
    upload = store.jobs.NewUpload(user_id, data, info.media_type, _clean_filename(filename))
    key = options.idempotency_key
    try:
        if key is not None:
            claim = store.idempotency.claim(
                ctx.pool, user_id, key, options.fingerprint(upload.sha256)
            )
            if not claim.owned:
                return _replay(ctx, user_id, claim)
        try:
            submission = _create(ctx, upload, options)
        except BaseException:
            if key is not None:
                store.idempotency.release(ctx.pool, user_id, key)
            raise
        if key is not None:
            store.idempotency.attach(ctx.pool, user_id, key, submission.job["job_id"])
        return submission
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable("The database is unavailable: try again shortly.") from exc


def _replay(ctx: Context, user_id: str, claim: store.idempotency.Claim) -> Submission:
    if not claim.same_request:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different file or different options"
            " (force, delete_after_processing, callback_url): use a new key."
        )
    if claim.job_id is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being accepted: retry in a moment."
        )
    return Submission(job=status(ctx, user_id, claim.job_id), created=False, replayed=True)


def _enqueue_or_undo(ctx: Context, job_id: str, undo: Callable[[Any, str], None]) -> None:
    """Queue a job just stored; if the broker refuses, remove it again and answer 503, so
    that nothing the client was not told about is left behind."""
    try:
        ctx.queue.enqueue(job_id)
    except Exception as exc:  # kombu/redis raise many types for an unreachable broker
        log.error("enqueue failed: %s", exc, extra={"job_id": job_id})
        undo(ctx.pool, job_id)
        raise ServiceUnavailable("The job queue is unavailable: try again shortly.") from exc
    metrics.job_submitted()


def _create(ctx: Context, upload: store.jobs.NewUpload, options: SubmitOptions) -> Submission:
    job_id = str(uuid.uuid4())
    row, created = store.jobs.create_job(
        ctx.pool, job_id, upload,
        dedupe=not options.force, delete_upload_after=options.delete_after_processing,
        callback_url=options.callback_url,
    )  # fmt: skip
    if not created:
        return Submission(job=_public(ctx, row), created=False, duplicate_of=row["job_id"])
    _enqueue_or_undo(ctx, job_id, store.jobs.delete_job)
    return Submission(job=_public(ctx, _mirror_row(ctx, row)), created=True)


def _clean_filename(filename: str | None) -> str | None:
    """The client's file name is metadata only: keep a printable, bounded base name."""
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    return name or None


def parse_job_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise NotFound("No such job.") from exc


def _load(
    ctx: Context, user_id: str, job_id: str, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The job's current state: Redis first (one round trip, or none when ``state`` is
    the hash already read), PostgreSQL when Redis has lost it or is down. Another user's
    job is reported as missing, never as forbidden. An id PostgreSQL had no job for (for
    this user) is answered from Redis for RECEIPTQ_UNKNOWN_JOB_CACHE_SECONDS."""
    job_id = parse_job_id(job_id)
    row: dict[str, Any] | None = state if state and state.get("job_id") == job_id else None
    unknown = False
    try:
        if row is None:
            row, unknown = store.jobstate.read_for(ctx.redis, user_id, job_id)
    except redis.RedisError:
        log.warning("redis unavailable: status read from PostgreSQL", extra={"job_id": job_id})
    if row is None and not unknown:
        try:
            row = store.jobs.get_job(ctx.pool, job_id)
            if row is not None:
                row = {**row, **store.listing.links(ctx.pool, job_id)}
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable("Job state is unavailable: try again shortly.") from exc
        if row is None or row["user_id"] != user_id:
            _remember_unknown(ctx, user_id, job_id)
    if row is None or row["user_id"] != user_id:
        raise NotFound("No such job.")
    return row


def _remember_unknown(ctx: Context, user_id: str, job_id: str) -> None:
    seconds = ctx.settings.unknown_job_cache_seconds
    with contextlib.suppress(redis.RedisError):  # else the next poll asks PostgreSQL again
        store.jobstate.remember_unknown(ctx.redis, user_id, job_id, seconds)


def status(
    ctx: Context, user_id: str, job_id: str, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The job's public status (``state``: its Redis hash if already read, see _load)."""
    return _public(ctx, _load(ctx, user_id, job_id, state))


def delete(ctx: Context, user_id: str, job_id: str) -> dict[str, Any]:
    """Purge a job's image and result, leaving a 'deleted' tombstone."""
    job_id = _load(ctx, user_id, job_id)["job_id"]
    row = store.jobs.delete_job_data(ctx.pool, job_id)
    if row is None:
        raise NotFound("No such job.")
    return _mirror(ctx, row)


def cancel(ctx: Context, user_id: str, job_id: str) -> dict[str, Any]:
    """Queued -> cancelled at once; processing -> cancelling (the worker stops at its next
    stage boundary); a finished job -> 409."""
    current = _load(ctx, user_id, job_id)
    job_id = current["job_id"]
    row = store.jobs.transition(ctx.pool, job_id, JobStatus.CANCELLED, (JobStatus.QUEUED,))
    if row is not None:
        try:
            ctx.queue.revoke(job_id)
        except Exception as exc:  # the worker skips a cancelled job anyway
            log.warning("revoke failed: %s", exc, extra={"job_id": job_id})
        ctx.queue.notify_finished(job_id)  # it ended here, not in a worker: its webhook
        return _mirror(ctx, row)
    row = store.jobs.transition(
        ctx.pool, job_id, JobStatus.CANCELLING, (JobStatus.PROCESSING,), message="Cancelling"
    )
    if row is not None:
        return _mirror(ctx, row)
    fresh = store.jobs.get_job(ctx.pool, job_id)
    if fresh and fresh["status"] == JobStatus.CANCELLING:
        return _public(ctx, fresh)
    state = fresh["status"] if fresh else current["status"]
    raise Conflict(f"The job is already {state} and can no longer be cancelled.", job_status=state)


class OriginalPurged(ReceiptqError):
    status, code, title = 410, "original-purged", "Original no longer stored"


def reprocess(
    ctx: Context,
    user_id: str,
    job_id: str,
    callback_url: str | None = None,
) -> dict[str, Any]:
    """Run the current extractor again on a finished job's stored original, as a new job
    linked to it (`reprocessed_from` / `reprocessed_as`). No upload and no duplicate check:
    the new job shares the old job's upload row.

    404 for another user's job; 409 while the job is still queued or running; 410 when
    the original image was purged (deleted, retention, delete_after_processing).
    """
    current = _load(ctx, user_id, job_id)
    job_id = current["job_id"]
    if current["status"] == JobStatus.DELETED:
        raise OriginalPurged("The job was deleted: its image is no longer stored.")
    if current["status"] not in OUTCOMES:
        raise Conflict(
            f"The job is still {current['status']}: reprocess it once it has finished.",
            job_status=current["status"],
        )
    new_id = str(uuid.uuid4())
    try:
        row = store.jobs.create_job_on_upload(ctx.pool, new_id, job_id, callback_url=callback_url)
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable("The database is unavailable: try again shortly.") from exc
    if row is None:
        raise OriginalPurged(
            "The original image of this job is no longer stored (purged after processing"
            " or by retention): upload it again."
        )
    _enqueue_or_undo(ctx, new_id, store.jobs.delete_job_only)
    _mirror_row(ctx, row)
    try:
        ttl = ctx.settings.job_ttl_seconds
        store.listing.mirror_links(ctx.redis, new_id, {"reprocessed_from": job_id}, ttl)
        store.listing.mirror_links(ctx.redis, job_id, store.listing.links(ctx.pool, job_id), ttl)
    except redis.RedisError:
        log.warning("redis unavailable: reprocess links not mirrored", extra={"job_id": new_id})
    return _public(ctx, {**row, "reprocessed_from": job_id})


def job_view(ctx: Context, job_id: str) -> dict[str, Any] | None:
    """A job's status body read from PostgreSQL (with its links): what a webhook sends."""
    row = store.jobs.get_job(ctx.pool, job_id)
    if row is None:
        return None
    return _public(ctx, {**row, **store.listing.links(ctx.pool, job_id)})
