"""Correcting a receipt (the API) and applying what corrections taught (the worker)."""

from __future__ import annotations

import logging
from typing import Any

import redis

from receiptq.context import Context
from receiptq.corrections import patch as patching
from receiptq.corrections.shops import shop_keys
from receiptq.errors import Conflict, NotFound, Unprocessable
from receiptq.jobs import parse_job_id
from receiptq.lifecycle import JobStatus
from receiptq.receipt import Receipt
from receiptq.store import corrections as store
from receiptq.store import jobs, jobstate, listing

log = logging.getLogger(__name__)

FROM_MEMORY = "corrected_from_memory"  # Confidence.sources: a name this user taught


def correct(
    ctx: Context, user_id: str, job_id: str, changes: patching.ReceiptPatch
) -> dict[str, Any]:
    """Apply the patch to the user's completed receipt: store the result and a revision
    per changed field (the first reading kept), remember a corrected merchant name for
    the shop, and return the job's public status with the corrected result. 404 for
    another user's job or none; 409 for a job with no receipt (not completed)."""
    job_id = parse_job_id(job_id)
    with ctx.pool.connection() as conn, conn.transaction():
        row = store.lock_receipt(conn, user_id, job_id)
        if row is None or row["status"] == JobStatus.DELETED:
            raise NotFound("No such job.")
        if row["status"] != JobStatus.COMPLETED or row["data"] is None:
            raise Conflict(
                f"The job is {row['status']}: only a completed receipt can be corrected.",
                job_status=row["status"],
            )
        try:
            data, changed = patching.apply(row["data"], changes)
        except IndexError as exc:
            count = len(row["data"].get("items") or [])
            raise Unprocessable(
                f"The receipt has no item {exc.args[0]}: it has {count} (indexes from 0)."
            ) from exc
        except ValueError as exc:
            raise Unprocessable(str(exc)) from exc
        if changed:
            store.save_correction(conn, user_id, job_id, data, row["data"], changed)
        name = (data.get("merchant") or {}).get("name")
        if name and any(field == "merchant.name" for field, _, _ in changed):
            store.remember_name(conn, user_id, shop_keys(data.get("merchant")), name, job_id)
    return _mirror(ctx, job_id)


def _mirror(ctx: Context, job_id: str) -> dict[str, Any]:
    """The job as PostgreSQL has it now, written to Redis so that polls see the change."""
    row = jobs.get_job(ctx.pool, job_id)
    if row is None:
        raise NotFound("No such job.")
    row = {**row, **listing.links(ctx.pool, job_id)}
    try:
        jobstate.write(ctx.redis, row, ctx.settings.job_ttl_seconds)  # links stay as they are
    except redis.RedisError:
        log.warning("redis unavailable: correction not mirrored", extra={"job_id": job_id})
    return jobstate.to_public(row, ctx.settings.retention_hours)


def revisions(ctx: Context, user_id: str, job_id: str) -> list[dict[str, Any]]:
    found = store.revisions(ctx.pool, user_id, parse_job_id(job_id))
    if found is None:
        raise NotFound("No such job.")
    return found


def apply_memory(ctx: Context, user_id: str, receipt: Receipt) -> Receipt:
    """The receipt with the merchant name this user gave its shop, if they taught one
    (worker, after analysis and before saving); the field's confidence says so."""
    data = receipt.model_dump(mode="json")
    name = store.recall_name(ctx.pool, user_id, shop_keys(data["merchant"]))
    if not name:
        return receipt
    changed = receipt.model_copy(deep=True)
    changed.merchant.name = name
    changed.confidence.fields["merchant.name"] = 1.0
    changed.confidence.sources["merchant.name"] = FROM_MEMORY
    return changed
