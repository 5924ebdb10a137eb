"""Corrections in PostgreSQL: the corrected receipt (the first reading kept in
`receipts.original`), one revision row per changed field, and the merchant names a user
taught for their shops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from receiptq.lifecycle import JobStatus
from receiptq.receipt import Receipt
from receiptq.store.db import DictConnection, Pool
from receiptq.store.receipts import write_receipt

# The order a shop is recognised in: a tax id names one business, a phone one branch.
KINDS = ("tax_id", "phone", "address")


def lock_receipt(conn: DictConnection, user_id: str, job_id: str) -> dict[str, Any] | None:
    """The job's status and, when completed, its receipt (data, original), locked for the
    transaction; None when the user has no such job."""
    return conn.execute(
        "SELECT j.status, r.data, r.original FROM jobs j"
        " LEFT JOIN receipts r ON r.job_id = j.id"
        " WHERE j.id = %s AND j.user_id = %s FOR UPDATE OF j",
        (job_id, user_id),
    ).fetchone()


def save_correction(
    conn: DictConnection,
    user_id: str,
    job_id: str,
    data: dict[str, Any],
    original: dict[str, Any],
    changes: Sequence[tuple[str, Any, Any]],
) -> None:
    """Store the corrected receipt (columns, items and JSON), keep the first reading, and
    one revision per (field, from, to)."""
    write_receipt(conn, job_id, user_id, Receipt.model_validate(data), data)
    conn.execute(
        "UPDATE receipts SET original = coalesce(original, %s) WHERE job_id = %s",
        (Jsonb(original), job_id),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO receipt_revisions (job_id, user_id, field, old_value, new_value)"
            " VALUES (%s, %s, %s, %s, %s)",
            [(job_id, user_id, field, Jsonb(old), Jsonb(new)) for field, old, new in changes],
        )


def revisions(pool: Pool, user_id: str, job_id: str) -> list[dict[str, Any]] | None:
    """The job's revisions, oldest first, with who made them; None when the user has no
    such job."""
    with pool.connection() as conn:
        job = conn.execute(
            "SELECT status FROM jobs WHERE id = %s AND user_id = %s", (job_id, user_id)
        ).fetchone()
        if job is None or job["status"] == JobStatus.DELETED:
            return None
        return conn.execute(
            "SELECT v.id, v.field, v.old_value, v.new_value, v.created_at,"
            " u.name AS user_name FROM receipt_revisions v JOIN users u ON u.id = v.user_id"
            " WHERE v.job_id = %s ORDER BY v.id",
            (job_id,),
        ).fetchall()


def original(pool: Pool, job_id: str) -> dict[str, Any] | None:
    """The pipeline's reading of a corrected receipt (None if never corrected)."""
    with pool.connection() as conn:
        row = conn.execute("SELECT original FROM receipts WHERE job_id = %s", (job_id,)).fetchone()
    return row["original"] if row else None


def remember_name(
    conn: DictConnection, user_id: str, keys: Sequence[tuple[str, str]], name: str, job_id: str
) -> None:
    """The user's name for the shop known by each (kind, key); a later correction wins."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO merchant_names (user_id, kind, key, name, source_job_id)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, kind, key) DO UPDATE"
            " SET name = EXCLUDED.name, source_job_id = EXCLUDED.source_job_id,"
            " updated_at = now()",
            [(user_id, kind, key, name, job_id) for kind, key in keys],
        )


def recall_name(pool: Pool, user_id: str, keys: Sequence[tuple[str, str]]) -> str | None:
    """The name this user gave the shop, by the first of tax id, phone, address that
    they taught; None when none is known."""
    if not keys:
        return None
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT kind, name FROM merchant_names WHERE user_id = %s"
            " AND (kind, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
            (user_id, [k for k, _ in keys], [v for _, v in keys]),
        ).fetchall()
    by_kind = {row["kind"]: row["name"] for row in rows}
    return next((by_kind[kind] for kind in KINDS if kind in by_kind), None)
