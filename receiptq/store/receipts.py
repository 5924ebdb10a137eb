"""Receipts and their items: saved once per job (upsert), kept only if the job completes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb

from receiptq.lifecycle import JobStatus
from receiptq.receipt import Receipt, to_decimal
from receiptq.store.db import DictConnection, Pool, required
from receiptq.store.jobs import transition_in


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def save_receipt(pool: Pool, job_id: str, receipt: Receipt) -> bool:
    """Write the receipt and its items while the job is still 'processing' (the save
    stage). Upserts by job_id, so a redelivered task never duplicates rows. Returns False,
    writing nothing, when the job is no longer processing (cancelled or deleted meanwhile).
    The job becomes 'completed' only in `complete_job`, after the cleanup stage."""
    with pool.connection() as conn, conn.transaction():
        job = conn.execute(
            "SELECT status, user_id FROM jobs WHERE id = %s FOR UPDATE", (job_id,)
        ).fetchone()
        if job is None:
            raise LookupError(job_id)
        if job["status"] != JobStatus.PROCESSING:
            return False
        write_receipt(conn, job_id, job["user_id"], receipt)
    return True


def write_receipt(
    conn: DictConnection, job_id: str, user_id: str, receipt: Receipt, data: dict | None = None
) -> None:
    """Upsert the receipt row and replace its items. ``data`` is the JSON kept as the
    result when it holds more than the model does (a corrected receipt's stored JSON)."""
    conn.execute(
        "INSERT INTO receipts (job_id, user_id, merchant_name, merchant_address,"
        " receipt_date, total, currency, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (job_id) DO UPDATE SET merchant_name = EXCLUDED.merchant_name,"
        " merchant_address = EXCLUDED.merchant_address, receipt_date ="
        " EXCLUDED.receipt_date, total = EXCLUDED.total, currency = EXCLUDED.currency,"
        " data = EXCLUDED.data, updated_at = now()",
        (
            job_id,
            user_id,
            receipt.merchant.name,
            receipt.merchant.address,
            _date(receipt.date),
            to_decimal(receipt.total),
            receipt.currency,
            Jsonb(receipt.model_dump(mode="json") if data is None else data),
        ),
    )
    conn.execute("DELETE FROM receipt_items WHERE job_id = %s", (job_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO receipt_items (job_id, position, description, quantity,"
            " unit_price, total_price, category) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    job_id,
                    position,
                    item.description,
                    to_decimal(item.quantity),
                    to_decimal(item.unit_price),
                    to_decimal(item.total_price),
                    item.category,
                )
                for position, item in enumerate(receipt.items)
            ],
        )


def discard_receipt(conn: DictConnection, job_id: str) -> None:
    """Remove what `save_receipt` wrote (a job cancelled after its save stage)."""
    conn.execute("DELETE FROM receipt_items WHERE job_id = %s", (job_id,))
    conn.execute("DELETE FROM receipts WHERE job_id = %s", (job_id,))


def complete_job(pool: Pool, job_id: str) -> dict[str, Any]:
    """Mark a saved job completed, unless it was cancelled meanwhile: then what was saved
    is removed and the job ends 'cancelled' (a cancelled job saves nothing). Returns the
    job's final status and progress."""
    with pool.connection() as conn, conn.transaction():
        job = conn.execute("SELECT status FROM jobs WHERE id = %s FOR UPDATE", (job_id,)).fetchone()
        if job is None:
            raise LookupError(job_id)
        if job["status"] == JobStatus.CANCELLING:
            discard_receipt(conn, job_id)
            return required(
                transition_in(conn, job_id, JobStatus.CANCELLED, (JobStatus.CANCELLING,))
            )
        if job["status"] != JobStatus.PROCESSING:
            if job["status"] != JobStatus.COMPLETED:
                discard_receipt(conn, job_id)
            return {"status": job["status"]}
        return required(
            transition_in(conn, job_id, JobStatus.COMPLETED, (JobStatus.PROCESSING,), progress=100)
        )


def count_for_job(pool: Pool, job_id: str) -> tuple[int, int]:
    """(receipt rows, item rows) for a job: what a redelivery must never duplicate."""
    with pool.connection() as conn:
        receipts = conn.execute(
            "SELECT count(*) AS n FROM receipts WHERE job_id = %s", (job_id,)
        ).fetchone()
        items = conn.execute(
            "SELECT count(*) AS n FROM receipt_items WHERE job_id = %s", (job_id,)
        ).fetchone()
    return required(receipts)["n"], required(items)["n"]
