"""Receipt vectors in PostgreSQL (`receipt_vectors`), the truth every process's FAISS
index is built from, and the receipts they are read with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from receiptq.store.db import Pool, required


def to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def receipt_for_index(pool: Pool, job_id: str) -> dict[str, Any] | None:
    """The saved receipt of a job (user_id, data), or None (not saved, or deleted)."""
    with pool.connection() as conn:
        return conn.execute(
            "SELECT job_id::text, user_id::text, data FROM receipts WHERE job_id = %s",
            (job_id,),
        ).fetchone()


def upsert_vector(pool: Pool, job_id: str, user_id: str, embedder: str, vector: np.ndarray) -> bool:
    """Store a receipt's vector. An unchanged vector is left alone (a redelivered task is a
    no-op); a changed one gets a new vector_id, so readers replace it. True if written.
    Nothing is written when the receipt is gone (deleted meanwhile)."""
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO receipt_vectors (job_id, user_id, embedder, vector)"
            " SELECT r.job_id, r.user_id, %s, %s FROM receipts r"
            " WHERE r.job_id = %s AND r.user_id = %s"
            " ON CONFLICT (job_id) DO UPDATE SET vector = EXCLUDED.vector,"
            " embedder = EXCLUDED.embedder,"
            " vector_id = nextval(pg_get_serial_sequence('receipt_vectors', 'vector_id')),"
            " xact = pg_current_xact_id()::text::bigint, created_at = now()"
            " WHERE receipt_vectors.vector IS DISTINCT FROM EXCLUDED.vector"
            " OR receipt_vectors.embedder IS DISTINCT FROM EXCLUDED.embedder"
            " RETURNING vector_id",
            (embedder, to_bytes(vector), job_id, user_id),
        ).fetchone()
    return row is not None


def unindexed_jobs(pool: Pool, user_id: str, embedder: str, limit: int) -> list[str]:
    """A user's saved receipts with no vector from `embedder` (a lost task, a receipt
    saved before indexing existed, an embedder change)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT r.job_id::text AS job_id FROM receipts r"
            " LEFT JOIN receipt_vectors v ON v.job_id = r.job_id AND v.embedder = %s"
            " WHERE r.user_id = %s AND v.job_id IS NULL LIMIT %s",
            (embedder, user_id, limit),
        ).fetchall()
    return [r["job_id"] for r in rows]


def vectors_since(
    pool: Pool, user_id: str, embedder: str, horizon: int
) -> tuple[int, list[dict[str, Any]]]:
    """A user's vectors written by transactions >= `horizon`, and the next horizon.

    Why a transaction id rather than "vector_id > the largest seen": ids are drawn when a
    row is written, not when it commits, so with two writers id 41 can commit after 42
    was read, and a max-id reader would skip 41 for good. The oldest transaction still
    running when we read (`pg_snapshot_xmin`) is a safe next horizon: everything older has
    finished, so it is visible now; anything newer is read again next time (and skipped by
    vector_id). Rows are returned in vector_id order.
    """
    with pool.connection() as conn:
        next_horizon = required(
            conn.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS h"
            ).fetchone()
        )["h"]
        rows = conn.execute(
            "SELECT vector_id, job_id::text AS job_id, vector FROM receipt_vectors"
            " WHERE user_id = %s AND embedder = %s AND xact >= %s ORDER BY vector_id",
            (user_id, embedder, horizon),
        ).fetchall()
    return next_horizon, rows


def receipt_with_vector(
    pool: Pool, user_id: str, job_id: str, embedder: str
) -> dict[str, Any] | None:
    """The user's saved receipt for a job and its stored vector (None if not indexed yet);
    None when the user has no saved receipt for that job."""
    with pool.connection() as conn:
        return conn.execute(
            "SELECT r.job_id::text AS job_id, r.data, v.vector FROM receipts r"
            " LEFT JOIN receipt_vectors v ON v.job_id = r.job_id AND v.embedder = %s"
            " WHERE r.job_id = %s AND r.user_id = %s",
            (embedder, job_id, user_id),
        ).fetchone()


def summaries(pool: Pool, user_id: str, job_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """merchant, date, total, currency of the user's saved receipts among `job_ids`."""
    if not job_ids:
        return {}
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT job_id::text AS job_id, merchant_name, receipt_date, total, currency"
            " FROM receipts WHERE user_id = %s AND job_id = ANY(%s::uuid[])",
            (user_id, list(job_ids)),
        ).fetchall()
    return {r["job_id"]: r for r in rows}
