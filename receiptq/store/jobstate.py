"""Job state in Redis: what polling reads (one HGETALL), with a TTL, and a pub/sub channel
per job for live events. PostgreSQL stays the truth; this is a fast mirror of it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import redis

from receiptq.lifecycle import JobStatus

_FIELDS = (
    "job_id",
    "user_id",
    "status",
    "progress",
    "stage",
    "message",
    "error",
    "created_at",
    "updated_at",
    "result",
)


def job_key(job_id: str) -> str:
    return f"receiptq:job:{job_id}"


def unknown_key(user_id: str, job_id: str) -> str:
    """Set for a few seconds after this user asked for a job id PostgreSQL does not have
    for them (the negative cache, see `read_for`)."""
    return f"receiptq:unknown:{user_id}:{job_id}"


def events_channel(job_id: str) -> str:
    return f"receiptq:events:{job_id}"


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def to_public(row: dict[str, Any], retention_hours: float | None = None) -> dict[str, Any]:
    """The public job: a job row (from PostgreSQL, Redis or the list query) as every
    answer shows it (status, events, webhooks, submit, list items). With
    `retention_hours`, `expires_at` (when the stored image is purged); the reprocess links
    when the row has them."""
    result = row.get("result")
    if isinstance(result, str):
        result = json.loads(result) if result else None
    public = {
        "job_id": row["job_id"],
        "status": row["status"],
        "progress": int(row.get("progress") or 0),
        "stage": row.get("stage") or None,
        "message": row.get("message") or None,
        "created_at": iso(row.get("created_at")),
        "updated_at": iso(row.get("updated_at")),
        "result": (result or None) if row["status"] == JobStatus.COMPLETED else None,
        "error": row.get("error") or None,
    }
    if retention_hours is not None:
        created = row.get("created_at")
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        expires = created + dt.timedelta(hours=retention_hours) if created else None
        public["expires_at"] = iso(expires)
    # Reprocessing links, only when there are any (Redis keeps them as extra hash fields).
    if row.get("reprocessed_from"):
        public["reprocessed_from"] = row["reprocessed_from"]
    if row.get("reprocessed_as"):
        later = row["reprocessed_as"]
        public["reprocessed_as"] = json.loads(later) if isinstance(later, str) else list(later)
    return public


def write(client: redis.Redis, row: dict[str, Any], ttl: int) -> dict[str, Any]:
    """Mirror a job row to Redis and publish the change; return the public view."""
    public = to_public(row)
    mapping = {k: "" if public[k] is None else public[k] for k in _FIELDS if k in public}
    mapping["user_id"] = row["user_id"]
    if public["result"] is not None:
        mapping["result"] = json.dumps(public["result"])
    key = job_key(public["job_id"])
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping={k: str(v) for k, v in mapping.items()})
        pipe.expire(key, ttl)
        pipe.delete(unknown_key(row["user_id"], public["job_id"]))  # never hide a job
        pipe.publish(
            events_channel(public["job_id"]),
            json.dumps(
                {k: public[k] for k in ("job_id", "status", "progress", "stage", "message")}
            ),
        )
        pipe.execute()
    return public


def read(client: redis.Redis, job_id: str) -> dict[str, Any] | None:
    """The job as Redis has it (with user_id), or None when Redis lost or never had it."""
    # redis-py types every reply as `Awaitable | value` (sync and async share the methods,
    # redis/redis-py#2399); a sync client's HGETALL is the dict.
    return parse(cast("dict[bytes, bytes]", client.hgetall(job_key(job_id))))


def read_for(client: redis.Redis, user_id: str, job_id: str) -> tuple[dict[str, Any] | None, bool]:
    """(`read`, and whether the user was told lately that the job does not exist), in one
    round trip."""
    with client.pipeline(transaction=False) as pipe:
        pipe.hgetall(job_key(job_id))
        pipe.exists(unknown_key(user_id, job_id))
        raw, unknown = pipe.execute()
    return parse(raw), bool(unknown)


def remember_unknown(client: redis.Redis, user_id: str, job_id: str, seconds: float) -> None:
    """Answer this user's next polls for the job id from Redis for `seconds` (0: off). Job
    ids are server-made UUID4s, and `write` deletes the key, so no job is hidden by it."""
    if seconds > 0:
        client.set(unknown_key(user_id, job_id), "1", px=int(seconds * 1000))


def parse(raw: dict[bytes, bytes]) -> dict[str, Any] | None:
    """A job hash as HGETALL returns it (see `read`), e.g. from a pipeline."""
    if not raw:
        return None
    row = {k.decode(): v.decode() for k, v in raw.items()}
    if "status" not in row or "user_id" not in row:
        return None
    return row
