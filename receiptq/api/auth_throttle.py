"""Failed API key checks, throttled per client address.

A key that is not in the process' cache costs a PostgreSQL query; without a limit, a client
could try keys as fast as the API answers. Every failed check counts against the client's
address in a fixed window in Redis (RECEIPTQ_AUTH_FAILURE_LIMIT); once over, keys from that
address are not checked at all until the window ends: 429 with Retry-After. Valid keys the
process remembers are served without asking, so a user sharing an address with a guesser
keeps working while their key is cached. With Redis down nothing is counted (fail open),
as the key cache does.
"""

from __future__ import annotations

import hashlib

import redis

from receiptq.context import Context
from receiptq.errors import RateLimited

PREFIX = "receiptq:auth-failures:"


def _key(address: str) -> str:
    return PREFIX + hashlib.sha256(address.encode()).hexdigest()[:32]


def refuse_if_throttled(ctx: Context, address: str) -> None:
    """429 when this address used up its failed checks for the current window."""
    allowed, _ = ctx.settings.auth_failure_rate
    try:
        with ctx.redis.pipeline(transaction=False) as pipe:
            pipe.get(_key(address))
            pipe.ttl(_key(address))
            failures, ttl = pipe.execute()
    except redis.RedisError:
        return
    if failures is not None and int(failures) >= allowed:
        retry_after = max(1, int(ttl))
        raise RateLimited(
            f"Too many failed API key checks from this address: retry in {retry_after} s.",
            retry_after=retry_after,
        )


def count_failure(ctx: Context, address: str) -> None:
    _, window = ctx.settings.auth_failure_rate
    try:
        with ctx.redis.pipeline(transaction=False) as pipe:
            pipe.incr(_key(address))
            pipe.expire(_key(address), window, nx=True)  # the window starts at the first
            pipe.execute()
    except redis.RedisError:
        pass
