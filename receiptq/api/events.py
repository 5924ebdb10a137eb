"""/api/v3/receipts/events/<job_id>: a job's progress as Server-Sent Events.

The first event is the job's current status; then one event per change the worker
publishes on Redis (`receiptq:events:{job_id}`); the stream ends after a terminal status,
which is re-read so that its event carries the `result` (or `error`). We subscribe
*before* reading the current status, so nothing published between the two is lost; the
messages that were already reflected in that read are dropped (see `_Order`).

Each open stream holds one server thread and one Redis connection, and no PostgreSQL
connection while it waits. See docs/web.md for the serving model.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import redis
from flask import Blueprint, Response, current_app, g

from receiptq import jobs
from receiptq.api.auth import require_user
from receiptq.errors import ReceiptqError
from receiptq.lifecycle import TERMINAL, JobStatus
from receiptq.store.jobstate import events_channel

log = logging.getLogger(__name__)

bp = Blueprint("events", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)

#: A comment line is sent when nothing else was for this long (the app's config
#: RECEIPTQ_HEARTBEAT_SECONDS, where set, overrides it: the tests' shorter beat).
HEARTBEAT_SECONDS = 15.0
# A stream is closed after this long even if the job has not finished (a client simply
# reconnects: the first event is always the current status). Keeps threads from being
# held for ever by a job stuck in the queue.
MAX_STREAM_SECONDS = 30 * 60
RECONNECT_MS = 3000
_RANK = {JobStatus.QUEUED: 0, JobStatus.PROCESSING: 1, JobStatus.CANCELLING: 2}


def sse(data: dict[str, Any]) -> str:
    """One SSE `message` event (compact JSON has no newlines, so one data line)."""
    return f"data: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"


class _Order:
    """Keeps the stream moving forward: a message published before the status we read
    (or a duplicate) is not sent again, so progress never goes backwards."""

    def __init__(self) -> None:
        self.last: tuple[int, int, str | None] | None = None

    def is_new(self, event: dict[str, Any]) -> bool:
        key = (_RANK.get(event["status"], 3), int(event.get("progress") or 0), event.get("stage"))
        if self.last is not None and (key[:2] < self.last[:2] or key == self.last):
            return False
        self.last = key
        return True


def _events(
    ctx, pubsub, user_id: str, job_id: str, current: dict[str, Any], heartbeat: float
) -> Iterator[str]:
    order = _Order()
    try:
        yield f"retry: {RECONNECT_MS}\n\n"
        order.is_new(current)
        yield sse(current)
        if current["status"] in TERMINAL:
            return
        started = last_beat = time.monotonic()
        while time.monotonic() - started < MAX_STREAM_SECONDS:
            wait = max(0.0, heartbeat - (time.monotonic() - last_beat))
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            if message is None or message.get("type") != "message":
                if time.monotonic() - last_beat >= heartbeat:
                    last_beat = time.monotonic()
                    yield ": ping\n\n"
                continue
            event = json.loads(message["data"])
            if event.get("status") in TERMINAL:
                # The full view, with the result or error, so the client needs no
                # other request.
                try:
                    event = jobs.status(ctx, user_id, job_id)
                except (ReceiptqError, redis.RedisError) as exc:
                    log.warning("final status not re-read: %s", exc, extra={"job_id": job_id})
                yield sse(event)
                return
            if order.is_new(event):
                yield sse(event)
    except redis.RedisError as exc:
        # Headers are sent already: end the stream; the client reconnects (or polls).
        log.warning("event stream ended: redis error: %s", exc, extra={"job_id": job_id})
    finally:
        pubsub.close()


def _subscribe(pubsub, channel: str) -> None:
    """Subscribe and wait for Redis to confirm, so that the status read that follows
    cannot miss a change published in between."""
    pubsub.subscribe(channel)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=deadline - time.monotonic())
        if message and message["type"] == "subscribe":
            return
    raise redis.TimeoutError("no subscription confirmation from Redis")


@bp.get("/events/<job_id>")
def stream(job_id: str) -> Response:
    ctx = current_app.extensions["receiptq"]
    job_id = jobs.parse_job_id(job_id)
    pubsub = ctx.redis.pubsub()
    try:
        _subscribe(pubsub, events_channel(job_id))
        current = jobs.status(ctx, g.user.id, job_id)  # 404 for another user's job
    except BaseException:
        pubsub.close()
        raise
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    heartbeat = current_app.config.get("RECEIPTQ_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    return Response(
        _events(ctx, pubsub, g.user.id, job_id, current, heartbeat),
        mimetype="text/event-stream",
        headers=headers,
    )
