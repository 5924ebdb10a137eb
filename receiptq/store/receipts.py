"""Receipts and their items: written once per job, atomically with the job's completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from receiptq.receipt import Receipt, to_decimal
from receiptq.store.jobs import purge_upload_if_requested


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def complete_job(pool: ConnectionPool, job_id: str, receipt: Receipt) -> dict[str, Any]:
    """Save the receipt and mark the job completed, unless it was cancelled meanwhile.

    Upserts by job_id, so a redelivered task never duplicates rows. Returns the job's final
    row: status 'completed', or 'cancelled' with nothing saved.
    """
    data = receipt.model_dump(mode="json")
    with pool.connection() as conn, conn.transaction():
        job = conn.execute(
            "SELECT status, user_id FROM jobs WHERE id = %s FOR UPDATE", (job_id,)
        ).fetchone()
        if job is None:
            raise LookupError(job_id)
        if job["status"] == "cancelling":
            purge_upload_if_requested(conn, job_id)
            return conn.execute(
                "UPDATE jobs SET status = 'cancelled', stage = 'cancelled',"
                " message = 'Cancelled', updated_at = now(), finished_at = now()"
                " WHERE id = %s RETURNING status, progress",
                (job_id,),
            ).fetchone()
        if job["status"] != "processing":
            return {"status": job["status"]}
        conn.execute(
            "INSERT INTO receipts (job_id, user_id, merchant_name, merchant_address,"
            " receipt_date, total, currency, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (job_id) DO UPDATE SET merchant_name = EXCLUDED.merchant_name,"
            " merchant_address = EXCLUDED.merchant_address, receipt_date ="
            " EXCLUDED.receipt_date, total = EXCLUDED.total, currency = EXCLUDED.currency,"
            " data = EXCLUDED.data, updated_at = now()",
            (
                job_id,
                job["user_id"],
                receipt.merchant.name,
                receipt.merchant.address,
                _date(receipt.date),
                to_decimal(receipt.total),
                receipt.currency,
                Jsonb(data),
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
        purge_upload_if_requested(conn, job_id)
        return conn.execute(
            "UPDATE jobs SET status = 'completed', progress = 100, stage = 'completed',"
            " message = 'Done', updated_at = now(), finished_at = now() WHERE id = %s"
            " RETURNING status, progress",
            (job_id,),
        ).fetchone()


def count_for_job(pool: ConnectionPool, job_id: str) -> tuple[int, int]:
    """(receipt rows, item rows) for a job: what a redelivery must never duplicate."""
    with pool.connection() as conn:
        receipts = conn.execute(
            "SELECT count(*) AS n FROM receipts WHERE job_id = %s", (job_id,)
        ).fetchone()["n"]
        items = conn.execute(
            "SELECT count(*) AS n FROM receipt_items WHERE job_id = %s", (job_id,)
        ).fetchone()["n"]
    return receipts, items
