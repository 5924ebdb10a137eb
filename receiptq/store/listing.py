"""A user's jobs as a list (keyset pages, newest first), the exports' rows, and the
links between a job and its reprocessing jobs (in PostgreSQL, mirrored to Redis)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from receiptq.lifecycle import JobStatus
from receiptq.store.db import Pool
from receiptq.store.jobstate import job_key

_LIST_COLUMNS = (
    "j.id::text AS job_id, j.status, j.progress, j.stage, j.message, j.error,"
    " j.created_at, j.updated_at, j.parent_job_id::text AS reprocessed_from,"
    " r.merchant_name, r.receipt_date, r.total, r.currency"
)

Cursor = tuple[dt.datetime, str]


@dataclass(frozen=True)
class ReceiptFilter:
    """Receipts dated within [date_from, date_to] and whose merchant name contains
    `merchant` (any case); a job with no receipt matches only an empty filter."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    merchant: str | None = None

    def sql(self, params: dict[str, Any]) -> list[str]:
        """WHERE conditions on the receipts `r`, their values added to `params`."""
        where = []
        if self.date_from is not None:
            where.append("r.receipt_date >= %(date_from)s")
            params["date_from"] = self.date_from
        if self.date_to is not None:
            where.append("r.receipt_date <= %(date_to)s")
            params["date_to"] = self.date_to
        if self.merchant:
            escaped = self.merchant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("r.merchant_name ILIKE %(merchant)s")
            params["merchant"] = f"%{escaped}%"
        return where


def list_jobs(
    pool: Pool,
    user_id: str,
    *,
    statuses: Sequence[str] | None,
    limit: int,
    after: Cursor | None,
    receipts: ReceiptFilter = ReceiptFilter(),
) -> list[dict[str, Any]]:
    """Up to `limit` of the user's jobs, newest first, after the (created_at, id) cursor.
    Keyset, not OFFSET: each page is one probe of jobs_user_created_id."""
    where = ["j.user_id = %(user_id)s"]
    params: dict[str, Any] = {"user_id": user_id, "limit": limit}
    if statuses:
        where.append("j.status = ANY(%(statuses)s)")
        params["statuses"] = list(statuses)
    if after is not None:
        where.append("(j.created_at, j.id) < (%(after_at)s, %(after_id)s::uuid)")
        params["after_at"], params["after_id"] = after
    where += receipts.sql(params)
    with pool.connection() as conn:
        return conn.execute(
            f"SELECT {_LIST_COLUMNS} FROM jobs j LEFT JOIN receipts r ON r.job_id = j.id"
            f" WHERE {' AND '.join(where)} ORDER BY j.created_at DESC, j.id DESC"
            " LIMIT %(limit)s",
            params,
        ).fetchall()


_EXPORT_COLUMNS = (
    "j.id::text AS job_id, j.created_at, r.merchant_name, r.merchant_address,"
    " r.receipt_date, r.total, r.currency"
)


def _completed_batches(
    pool: Pool, user_id: str, columns: str, batch: int, receipts: ReceiptFilter
) -> Iterator[list[dict[str, Any]]]:
    """The user's completed receipts that ``receipts`` lets through, newest first, in
    keyset batches: no connection or transaction is held while a response streams."""
    after: Cursor | None = None
    while True:
        params: dict[str, Any] = {
            "user_id": user_id, "batch": batch, "completed": JobStatus.COMPLETED,
        }  # fmt: skip
        keyset = "".join(f" AND {condition}" for condition in receipts.sql(params))
        if after is not None:
            keyset += " AND (j.created_at, j.id) < (%(after_at)s, %(after_id)s::uuid)"
            params["after_at"], params["after_id"] = after
        with pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {columns} FROM jobs j JOIN receipts r ON r.job_id = j.id"
                " WHERE j.user_id = %(user_id)s AND j.status = %(completed)s" + keyset + ""
                " ORDER BY j.created_at DESC, j.id DESC LIMIT %(batch)s",
                params,
            ).fetchall()
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = (rows[-1]["created_at"], rows[-1]["job_id"])


def export_rows(
    pool: Pool, user_id: str, batch: int = 500, receipts: ReceiptFilter = ReceiptFilter()
) -> Iterator[dict[str, Any]]:
    """Every completed receipt of the user, newest first, with its item count."""
    columns = (
        _EXPORT_COLUMNS + ", (SELECT count(*) FROM receipt_items i WHERE i.job_id = j.id) AS items"
    )
    for rows in _completed_batches(pool, user_id, columns, batch, receipts):
        yield from rows


def export_results(
    pool: Pool, user_id: str, batch: int = 500, receipts: ReceiptFilter = ReceiptFilter()
) -> Iterator[dict[str, Any]]:
    """Every completed receipt of the user, newest first, with the whole stored result."""
    columns = _EXPORT_COLUMNS + ", r.data AS result"
    for rows in _completed_batches(pool, user_id, columns, batch, receipts):
        yield from rows


def export_item_rows(
    pool: Pool, user_id: str, batch: int = 500, receipts: ReceiptFilter = ReceiptFilter()
) -> Iterator[dict[str, Any]]:
    """One row per item of every completed receipt (newest receipt first, items in their
    order on the receipt): the receipt's columns plus the item's. A receipt without items
    gives one row whose item columns are None, so that every receipt is in the export."""
    for rows in _completed_batches(pool, user_id, _EXPORT_COLUMNS, batch, receipts):
        with pool.connection() as conn:
            items = conn.execute(
                "SELECT job_id::text AS job_id, position, description, quantity, unit_price,"
                " total_price, category FROM receipt_items WHERE job_id = ANY(%s::uuid[])"
                " ORDER BY job_id, position",
                ([row["job_id"] for row in rows],),
            ).fetchall()
        by_job: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_job.setdefault(item["job_id"], []).append(item)
        for row in rows:
            for item in by_job.get(row["job_id"]) or [{}]:
                yield {**row, **{k: v for k, v in item.items() if k != "job_id"}}


def links(pool: Pool, job_id: str) -> dict[str, Any]:
    """{'reprocessed_from': parent id} and/or {'reprocessed_as': [child ids, oldest
    first]}; only the keys that apply."""
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT j.parent_job_id::text AS parent, ARRAY(SELECT c.id::text FROM jobs c"
            " WHERE c.parent_job_id = j.id ORDER BY c.created_at, c.id) AS children"
            " FROM jobs j WHERE j.id = %s",
            (job_id,),
        ).fetchone()
    found: dict[str, Any] = {}
    if row and row["parent"]:
        found["reprocessed_from"] = row["parent"]
    if row and row["children"]:
        found["reprocessed_as"] = list(row["children"])
    return found


def mirror_links(client: redis.Redis, job_id: str, found: dict[str, Any], ttl: int) -> None:
    """Add the link fields to the job's Redis hash (jobstate.write only sets its own
    fields, so these survive later mirrors). A hash that holds only links is ignored by
    jobstate.read (no status), and expires like any other."""
    if not found:
        return
    mapping = {k: json.dumps(v) if isinstance(v, list) else v for k, v in found.items()}
    key = job_key(job_id)
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, ttl)
        pipe.execute()
