"""Bearer-key authentication for /api/v3."""

from __future__ import annotations

import hashlib
import time

import redis
from flask import current_app, g, request

from receiptq.errors import Unauthorized
from receiptq.store import keys

# Each API process remembers a valid key -> user for a few seconds, so a status poll costs
# one Redis GET instead of a PostgreSQL checkout, check and query (docs/performance.md).
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


def user_for_token(ctx, token: str) -> keys.User | None:
    """The key's user, or None. The generation is read before PostgreSQL is asked, and
    a revocation bumps it after its commit, so a stale entry never outlives a revoke."""
    cache_key = (ctx.settings.database_url, keys.hash_key(token))
    try:
        generation = ctx.redis.get(KEYS_GENERATION)
    except redis.RedisError:
        return keys.user_for_key(ctx.pool, token)
    now = time.monotonic()
    entry = _cache.get(cache_key)
    if entry is not None and entry[0] > now and entry[1] == generation:
        return entry[2]
    user = keys.user_for_key(ctx.pool, token)
    if user is None:
        _cache.pop(cache_key, None)
    else:
        if len(_cache) >= CACHE_MAX_ENTRIES:
            _cache.clear()
        _cache[cache_key] = (now + CACHE_SECONDS, generation, user)
    return user


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """Rate limits count per API key; the key itself never reaches Redis, only its hash."""
    token = bearer_token() or request.remote_addr or "anonymous"
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def require_user() -> None:
    """before_request hook: sets g.user or answers 401."""
    token = bearer_token()
    if token is None:
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    ctx = current_app.extensions["receiptq"]
    user = user_for_token(ctx, token)
    if user is None:
        raise Unauthorized("The API key is not valid or was revoked.")
    g.user = user
