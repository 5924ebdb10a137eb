"""Webhook deliveries: one row per message (the webhook-id), created once when a job with
a callback URL ends, updated after every attempt."""

from __future__ import annotations

from typing import Any

from receiptq.lifecycle import OUTCOMES
from receiptq.store.db import Pool

EVENT_STATUSES = tuple(status.value for status in OUTCOMES)


def claim(pool: Pool, job_id: str) -> str | None:
    """Create the delivery for a finished job that has a callback URL; return its message
    id, or None (no callback, not finished, or already claimed: a redelivered task or a
    second finishing path sends nothing twice)."""
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO webhook_deliveries (message_id, job_id, url, event)"
            " SELECT 'msg_' || replace(j.id::text, '-', '') || '_' || j.status, j.id,"
            " j.callback_url, 'job.' || j.status FROM jobs j"
            " WHERE j.id = %s AND j.callback_url IS NOT NULL AND j.status = ANY(%s)"
            " ON CONFLICT DO NOTHING RETURNING message_id",
            (job_id, list(EVENT_STATUSES)),
        ).fetchone()
    return row["message_id"] if row else None


def unclaim(pool: Pool, message_id: str) -> None:
    """The task could not be queued: let a later finishing path claim it again."""
    with pool.connection() as conn:
        conn.execute(
            "DELETE FROM webhook_deliveries WHERE message_id = %s AND attempts = 0",
            (message_id,),
        )


def get(pool: Pool, message_id: str) -> dict[str, Any] | None:
    with pool.connection() as conn:
        return conn.execute(
            "SELECT message_id, job_id::text AS job_id, url, event, state, attempts,"
            " last_status, last_error FROM webhook_deliveries WHERE message_id = %s",
            (message_id,),
        ).fetchone()


def for_job(pool: Pool, job_id: str) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return conn.execute(
            "SELECT message_id, url, event, state, attempts, last_status, last_error,"
            " created_at, updated_at, delivered_at FROM webhook_deliveries WHERE job_id = %s"
            " ORDER BY created_at",
            (job_id,),
        ).fetchall()


def record(
    pool: Pool,
    message_id: str,
    state: str,
    *,
    attempted: bool,
    status: int | None = None,
    error: str | None = None,
) -> None:
    """After an attempt (or a decision not to attempt): the new state and what happened."""
    with pool.connection() as conn:
        conn.execute(
            "UPDATE webhook_deliveries SET state = %s, attempts = attempts + %s,"
            " last_status = coalesce(%s, last_status), last_error = %s, updated_at = now(),"
            " delivered_at = CASE WHEN %s = 'delivered' THEN now() ELSE delivered_at END"
            " WHERE message_id = %s",
            (state, 1 if attempted else 0, status, error, state, message_id),
        )
