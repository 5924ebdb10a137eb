"""Bearer-key authentication for /api/v3."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, NamedTuple

import redis
from flask import current_app, g, request

from receiptq.api import auth_throttle
from receiptq.errors import Unauthorized
from receiptq.store import jobstate, keys

# Each API process remembers a valid key -> user for a few seconds, so a status poll costs
# one Redis GET (pipelined with the job's state) instead of a PostgreSQL checkout, check and
# query (docs/performance.md).
# `receiptq keys revoke` bumps KEYS_GENERATION in Redis, which empties every process'
# cache at its next request: revocation is immediate. A key revoked any other way (SQL on
# api_keys, or while Redis was unreachable) is refused within CACHE_SECONDS. Only valid
# keys are cached, by their SHA-256, never the key itself; with Redis down nothing is
# cached and every request asks PostgreSQL, as before.
CACHE_SECONDS = 5.0
CACHE_MAX_ENTRIES = 10_000
KEYS_GENERATION = "receiptq:api-keys:generation"

# (database URL, SHA-256 of the key) -> (valid until, generation, user)
_cache: dict[tuple[str, bytes], tuple[float, bytes | None, keys.User]] = {}


def keys_changed(client: redis.Redis) -> None:
    """Tell every API process to forget the keys it remembers (after a revocation)."""
    client.incr(KEYS_GENERATION)


class Found(NamedTuple):
    user: keys.User | None
    #: the polled job's state as Redis has it (jobstate.parse), when one was asked for
    job_state: dict[str, Any] | None = None


def user_for_token(ctx, token: str, job_id: str | None = None, client: str | None = None) -> Found:
    """The key's user, or None. The generation is read before PostgreSQL is asked, and
    a revocation bumps it after its commit, so a stale entry never outlives a revoke.

    With ``job_id`` (a status poll), that job's state hash is read in the same round
    trip to Redis as the generation: a poll costs one round trip, not two. The caller
    still checks whose job it is.

    With ``client`` (its address), a key that must be asked of PostgreSQL is first checked
    against that address' failed checks (429 when over), and a failure is counted."""
    cache_key = (ctx.settings.database_url, keys.hash_key(token))
    try:
        with ctx.redis.pipeline(transaction=False) as pipe:
            pipe.get(KEYS_GENERATION)
            if job_id is not None:
                pipe.hgetall(jobstate.job_key(job_id))
            replies = pipe.execute()
    except redis.RedisError:
        return Found(keys.user_for_key(ctx.pool, token))
    generation = replies[0]
    job_state = jobstate.parse(replies[1]) if job_id is not None else None
    now = time.monotonic()
    entry = _cache.get(cache_key)
    if entry is not None and entry[0] > now and entry[1] == generation:
        return Found(entry[2], job_state)
    if client is not None:
        auth_throttle.refuse_if_throttled(ctx, client)
    user = keys.user_for_key(ctx.pool, token)
    if user is None:
        _cache.pop(cache_key, None)
        if client is not None:
            auth_throttle.count_failure(ctx, client)
    else:
        if len(_cache) >= CACHE_MAX_ENTRIES:
            _cache.clear()
        _cache[cache_key] = (now + CACHE_SECONDS, generation, user)
    return Found(user, job_state)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """Rate limits count per user, whichever of their keys is used (the limited views run
    after require_user); without a user, per key or address, only ever hashed."""
    user = g.get("user")
    if user is not None:
        return f"user:{user.id}"
    token = bearer_token() or request.remote_addr or "anonymous"
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def require_user() -> None:
    """before_request hook: sets g.user or answers 401."""
    token = bearer_token()
    if token is None:
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    ctx = current_app.extensions["receiptq"]
    job_id = _polled_job_id()
    found = user_for_token(ctx, token, job_id, client=request.remote_addr or "unknown")
    if found.user is None:
        raise Unauthorized("The API key is not valid or was revoked.")
    g.user = found.user
    if found.job_state is not None:
        g.job_state = found.job_state  # for the status view, which checks the owner


#: Endpoints whose job's state is read with the key's generation (see user_for_token).
POLL_ENDPOINTS = ("receipts.status",)


def _polled_job_id() -> str | None:
    if request.endpoint not in POLL_ENDPOINTS:
        return None
    try:
        return str(uuid.UUID((request.view_args or {}).get("job_id", "")))
    except ValueError:
        return None  # the view answers 404
