"""One delivery attempt and its outcome: a 2xx ends it, 410 Gone stops it for good,
anything else is tried again by the task (receiptq.webhooks.tasks) with backoff."""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import Mapping
from typing import Literal

import httpx

from receiptq import jobs, metrics
from receiptq.config import Settings
from receiptq.context import Context
from receiptq.lifecycle import JobStatus
from receiptq.webhooks import store
from receiptq.webhooks.signing import signed_headers
from receiptq.webhooks.urls import NotPublic, Resolve, Unresolved, pinned_request

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "gone", "retry", "failed", "dropped"]


def backoff_seconds(retries: int, base: float, cap: float) -> float:
    """Delay before attempt `retries + 2`: base * 4**retries, capped, with "equal jitter"
    (a random point in the upper half), so receivers that were down are not hit by every
    sender at the same instant. Defaults (5 s, cap 30 min): ~5 s, 20 s, 80 s, 5 min,
    21 min, then 30 min."""
    delay = min(cap, base * 4**retries)
    return random.uniform(delay / 2, delay)


def deliver(ctx: Context, message_id: str, *, last_attempt: bool) -> Outcome:
    """One attempt. Returns 'retry' when the task should try again later; anything else
    is final (and recorded)."""
    delivery = store.get(ctx.pool, message_id)
    if delivery is None:
        return "dropped"
    if delivery["state"] != "pending":  # a redelivered task: already settled
        return delivery["state"]
    status = jobs.job_view(ctx, delivery["job_id"])
    if status is None or status["status"] == JobStatus.DELETED:
        # Deleted since (a privacy request): nothing about it is sent any more.
        store.record(ctx.pool, message_id, "dropped", attempted=False, error="deleted")
        metrics.webhook_attempt("dropped")
        return "dropped"
    outcome, record = attempt(
        ctx.settings,
        message_id,
        delivery["url"],
        status,
        last_attempt=last_attempt,
        job_id=delivery["job_id"],
    )
    store.record(ctx.pool, message_id, **record)
    metrics.webhook_attempt(outcome)
    return outcome


def attempt(
    settings: Settings,
    message_id: str,
    url: str,
    status: Mapping,
    *,
    last_attempt: bool,
    job_id: str | None = None,
    resolve: Resolve = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Outcome, dict]:
    """One attempt to POST a job's ``status`` to ``url``: the outcome, and what to record
    of it (`store.record`'s arguments). ``resolve`` looks the host up,
    ``transport`` sends (httpx's own by default)."""
    extra = {"job_id": job_id, "webhook_id": message_id}
    secret = settings.webhook_secret
    if not secret:
        log.error("webhook not sent: RECEIPTQ_WEBHOOK_SECRET is not set", extra=extra)
        return "failed", {"state": "failed", "attempted": False, "error": "no secret"}
    body = json.dumps(status, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = signed_headers(secret, message_id, body)
    code: int | None = None
    error: str | None
    try:
        target, extra_headers, extensions = pinned_request(
            url, settings.webhook_allow_private, resolve
        )
    except Unresolved as exc:  # DNS down or the name gone: maybe temporary, try again
        error = f"Unresolved: {exc}"
    except NotPublic as exc:  # a name that now points inside (DNS rebinding): never sent
        reason = f"callback host is not public: {exc}"
        log.error("webhook not sent: %s", reason, extra=extra)
        return "failed", {"state": "failed", "attempted": False, "error": reason}
    else:
        try:
            with httpx.Client(
                timeout=settings.webhook_timeout_seconds,
                follow_redirects=False,
                transport=transport,
            ) as client:
                response = client.post(
                    target,
                    content=body,
                    headers={**headers, **extra_headers},
                    extensions=extensions,
                )
            code = response.status_code
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    if code is not None and 200 <= code < 300:
        outcome: Outcome = "delivered"
    elif code == 410:
        outcome = "gone"
    else:
        outcome = "failed" if last_attempt else "retry"
    state = "pending" if outcome == "retry" else outcome
    level = logging.INFO if outcome in ("delivered", "gone") else logging.WARNING
    log.log(level, "webhook %s (%s)", outcome, error or code, extra=extra)
    return outcome, {"state": state, "attempted": True, "status": code, "error": error}
