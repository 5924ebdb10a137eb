"""Jobs and their uploads in PostgreSQL: the durable truth of every job's state.

State transitions are single conditional UPDATEs, so the API's cancel and the worker's
progress can race without either winning wrongly: whoever updates first decides. Every
status change goes through `transition` / `transition_in`, which only make the moves
`receiptq.lifecycle` allows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from receiptq import lifecycle
from receiptq.lifecycle import TERMINAL, UNFINISHED, JobStatus
from receiptq.store.db import DictConnection, Pool, required

_JOB_COLUMNS = (
    "j.id::text AS job_id, j.user_id::text AS user_id, j.status, j.progress, j.stage,"
    " j.message, j.error, j.attempts, j.created_at, j.updated_at, j.upload_id::text AS upload_id"
)


# Written out, not a parameter, so the planner uses the partial index jobs_status.
_UNFINISHED_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(UNFINISHED)) + ")"
# status, stage and message of a job just created
_NEW_JOB = (JobStatus.QUEUED, JobStatus.QUEUED.value, "Waiting for a worker")


@dataclass(frozen=True)
class NewUpload:
    user_id: str
    data: bytes
    media_type: str
    filename: str | None

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.data).digest()


def create_job(
    pool: Pool,
    job_id: str,
    upload: NewUpload,
    *,
    dedupe: bool = True,
    delete_upload_after: bool = False,
    callback_url: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store the original bytes and a queued job in one transaction.

    Returns (job row, created). With `dedupe`, identical bytes from the same user return
    the user's live job for them instead (created False); failed, cancelled and deleted
    jobs don't count, so a retry after a failure is processed again. A transaction-level
    advisory lock on (user, sha256) makes two simultaneous identical uploads one job.
    """
    with pool.connection() as conn, conn.transaction():
        if dedupe:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (upload.user_id + upload.sha256.hex(),),
            )
            existing = conn.execute(
                "SELECT j.id::text AS id FROM jobs j JOIN uploads u ON u.id = j.upload_id"
                " WHERE j.user_id = %s AND u.sha256 = %s"
                " AND j.status = ANY(%s) ORDER BY j.created_at DESC LIMIT 1",
                (upload.user_id, upload.sha256, [*UNFINISHED, JobStatus.COMPLETED]),
            ).fetchone()
            if existing:
                return required(_get(conn, existing["id"])), False
        upload_id = required(
            conn.execute(
                "INSERT INTO uploads (user_id, sha256, media_type, size_bytes, filename, data)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    upload.user_id,
                    upload.sha256,
                    upload.media_type,
                    len(upload.data),
                    upload.filename,
                    upload.data,
                ),
            ).fetchone()
        )["id"]
        conn.execute(
            "INSERT INTO jobs (id, user_id, upload_id, status, progress, stage, message,"
            " delete_upload_after, callback_url)"
            " VALUES (%s, %s, %s, %s, 0, %s, %s, %s, %s)",
            (job_id, upload.user_id, upload_id, *_NEW_JOB, delete_upload_after, callback_url),
        )
        return required(_get(conn, job_id)), True


def delete_job(pool: Pool, job_id: str) -> None:
    """Undo create_job when the job could not be queued (the client got an error)."""
    with pool.connection() as conn, conn.transaction():
        row = conn.execute(
            "DELETE FROM jobs WHERE id = %s RETURNING upload_id", (job_id,)
        ).fetchone()
        if row:
            conn.execute("DELETE FROM uploads WHERE id = %s", (row["upload_id"],))


def get_job(pool: Pool, job_id: str) -> dict[str, Any] | None:
    with pool.connection() as conn:
        return _get(conn, job_id)


def _get(conn: DictConnection, job_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {_JOB_COLUMNS}, r.data AS result FROM jobs j"
        " LEFT JOIN receipts r ON r.job_id = j.id WHERE j.id = %s",
        (job_id,),
    ).fetchone()
    return row


def get_upload_data(pool: Pool, job_id: str) -> tuple[bytes, str] | None:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT u.data, u.media_type FROM jobs j JOIN uploads u ON u.id = j.upload_id"
            " WHERE j.id = %s",
            (job_id,),
        ).fetchone()
    if row is None or row["data"] is None:
        return None
    return bytes(row["data"]), row["media_type"]


def transition(
    pool: Pool,
    job_id: str,
    to: str,
    from_: tuple[str, ...] | None = None,
    **fields: Any,
) -> dict[str, Any] | None:
    """Move a job to `to` only if it is in one of `from_` (default: every state the state
    machine allows it from); return the new row or None."""
    with pool.connection() as conn:
        return transition_in(conn, job_id, to, from_, **fields)


def transition_in(
    conn: DictConnection,
    job_id: str,
    to: str,
    from_: tuple[str, ...] | None = None,
    **fields: Any,
) -> dict[str, Any] | None:
    """`transition` on a connection, inside the caller's transaction. Fields: progress,
    stage, message (a terminal move defaults them to lifecycle.ENDINGS), error;
    count_attempt (on a move to processing). Raises lifecycle.InvalidTransition for a
    move the state machine does not allow."""
    target = JobStatus(to)
    sources = lifecycle.check(target, from_)
    if target in lifecycle.ENDINGS:
        stage, message = lifecycle.ENDINGS[target]
        fields = {"stage": stage, "message": message, **fields}
    sets = ["status = %(to)s", "updated_at = now()"]
    params: dict[str, Any] = {"to": target, "job_id": job_id, "from_": list(sources)}
    for name in ("progress", "stage", "message", "error"):
        if name in fields:
            sets.append(f"{name} = %({name})s")
            params[name] = fields[name]
    if target is JobStatus.PROCESSING:
        sets.append("started_at = coalesce(started_at, now())")
        if fields.get("count_attempt"):
            sets.append("attempts = attempts + 1")
    if target in TERMINAL:
        sets.append("finished_at = coalesce(finished_at, now())")
    row = conn.execute(
        f"UPDATE jobs j SET {', '.join(sets)} WHERE id = %(job_id)s"
        f" AND status = ANY(%(from_)s) RETURNING {_JOB_COLUMNS}",
        params,
    ).fetchone()
    if row is not None and target in TERMINAL:
        purge_upload_if_requested(conn, job_id)
    return row


def set_progress(
    pool: Pool, job_id: str, progress: int, stage: str, message: str
) -> dict[str, Any] | None:
    """Record stage progress of a running job; return the job row, changed or not (a job
    that is no longer 'processing', e.g. 'cancelling', is returned unchanged)."""
    with pool.connection() as conn:
        row = conn.execute(
            "UPDATE jobs j SET progress = %s, stage = %s, message = %s, updated_at = now()"
            f" WHERE id = %s AND status = %s RETURNING {_JOB_COLUMNS}",
            (progress, stage, message, job_id, JobStatus.PROCESSING),
        ).fetchone()
        return row or _get(conn, job_id)


def purge_old_uploads(pool: Pool, older_than: dt.timedelta) -> int:
    """Drop the bytes of finished jobs' uploads created before the retention window (the
    `expires_at` every status carries)."""
    with pool.connection() as conn:
        cur = conn.execute(
            "UPDATE uploads u SET data = NULL, purged_at = now() FROM jobs j"
            " WHERE j.upload_id = u.id AND u.data IS NOT NULL"
            " AND j.status = ANY(%s) AND u.created_at < now() - %s",
            (list(TERMINAL), older_than),
        )
        return cur.rowcount


def delete_job_data(pool: Pool, job_id: str) -> dict[str, Any] | None:
    """A privacy request: purge the stored image and the result, keep a 'deleted'
    tombstone. Works in any state: a worker still running the job sees 'deleted' at its
    next stage boundary and saves nothing."""
    with pool.connection() as conn, conn.transaction():
        row = transition_in(conn, job_id, JobStatus.DELETED, error=None)
        if row is None:
            return None
        conn.execute(
            "UPDATE uploads SET data = NULL, purged_at = now(), filename = NULL WHERE id = %s",
            (row["upload_id"],),
        )
        conn.execute("DELETE FROM receipts WHERE job_id = %s", (job_id,))
        return _get(conn, job_id)


def purge_upload_if_requested(conn: DictConnection, job_id: str) -> None:
    """For jobs submitted with delete_after_processing: drop the image once finished."""
    conn.execute(
        "UPDATE uploads u SET data = NULL, purged_at = now() FROM jobs j"
        " WHERE j.id = %s AND j.upload_id = u.id AND j.delete_upload_after",
        (job_id,),
    )


def stale_jobs(pool: Pool, idle_seconds: float) -> list[dict[str, Any]]:
    """Unfinished jobs with no state change for `idle_seconds`: candidates for the sweeper
    (a running job changes state at every stage; its lease says whether it is alive)."""
    with pool.connection() as conn:
        return conn.execute(
            "SELECT id::text AS job_id, status, attempts FROM jobs"
            f" WHERE status IN {_UNFINISHED_SQL}"
            " AND updated_at < now() - make_interval(secs => %s)"
            " ORDER BY created_at LIMIT 1000",
            (idle_seconds,),
        ).fetchall()


# --- Reprocessing: a new job on an existing upload (receiptq.jobs.reprocess) ---


def create_job_on_upload(
    pool: Pool, job_id: str, parent_job_id: str, *, callback_url: str | None = None
) -> dict[str, Any] | None:
    """A queued job on the upload of `parent_job_id`, linked to it; no new upload row, no
    duplicate check. None when the upload's bytes were purged (retention, a privacy delete
    or delete_after_processing). The upload row is locked while the job is inserted, so a
    purge cannot slip in between the check and the insert."""
    with pool.connection() as conn, conn.transaction():
        upload = conn.execute(
            "SELECT u.id, u.user_id, u.data IS NULL AS purged FROM jobs j"
            " JOIN uploads u ON u.id = j.upload_id WHERE j.id = %s FOR SHARE OF u",
            (parent_job_id,),
        ).fetchone()
        if upload is None or upload["purged"]:
            return None
        conn.execute(
            "INSERT INTO jobs (id, user_id, upload_id, status, progress, stage, message,"
            " parent_job_id, callback_url) VALUES (%s, %s, %s, %s, 0, %s, %s, %s, %s)",
            (job_id, upload["user_id"], upload["id"], *_NEW_JOB, parent_job_id, callback_url),
        )
        return _get(conn, job_id)


def delete_job_only(pool: Pool, job_id: str) -> None:
    """Undo create_job_on_upload when the job could not be queued: the upload stays (it
    belongs to the parent job too)."""
    with pool.connection() as conn:
        conn.execute("DELETE FROM jobs WHERE id = %s", (job_id,))
