"""Idempotency-Key on submit (IETF httpapi draft; Stripe's practice).

A key is claimed in its own committed transaction before the job is created, so a second
request with the same key while the first is still being accepted sees a claim without a
job (-> 409), and one after it sees the job (-> the same job again). Claims last 24 h; a
claim left without a job for 2 minutes (its request died) is treated as abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass

from receiptq.store.db import Pool


@dataclass(frozen=True)
class Claim:
    owned: bool  # True: this request holds the key and must create the job
    job_id: str | None = None  # the job an earlier request with this key created
    same_request: bool = True  # False: the key was used for different content


def claim(pool: Pool, user_id: str, key: str, request_sha256: bytes) -> Claim:
    with pool.connection() as conn, conn.transaction():
        conn.execute(
            "DELETE FROM idempotency_keys WHERE user_id = %s AND key = %s AND"
            " (created_at < now() - interval '24 hours'"
            "  OR (job_id IS NULL AND created_at < now() - interval '2 minutes'))",
            (user_id, key),
        )
        inserted = conn.execute(
            "INSERT INTO idempotency_keys (user_id, key, request_sha256) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING key",
            (user_id, key, request_sha256),
        ).fetchone()
        if inserted:
            return Claim(owned=True)
        row = conn.execute(
            "SELECT request_sha256, job_id::text AS job_id FROM idempotency_keys"
            " WHERE user_id = %s AND key = %s",
            (user_id, key),
        ).fetchone()
    if row is None:  # deleted between our statements: let the client retry
        return Claim(owned=False)
    return Claim(
        owned=False,
        job_id=row["job_id"],
        same_request=bytes(row["request_sha256"]) == request_sha256,
    )


def attach(pool: Pool, user_id: str, key: str, job_id: str) -> None:
    with pool.connection() as conn:
        conn.execute(
            "UPDATE idempotency_keys SET job_id = %s WHERE user_id = %s AND key = %s",
            (job_id, user_id, key),
        )


def release(pool: Pool, user_id: str, key: str) -> None:
    """The request that claimed the key failed: let the client retry with it."""
    with pool.connection() as conn:
        conn.execute(
            "DELETE FROM idempotency_keys WHERE user_id = %s AND key = %s AND job_id IS NULL",
            (user_id, key),
        )
