"""When to try again: failed uploads (429, 503, 409, timeouts) and status polls.

Every upload carries an `Idempotency-Key` made from the run, the file's place in it and
its SHA-256, so an upload retried after a timeout never makes a second job. A new run
uses new keys on purpose: with keys stable across runs, a job cancelled by an interrupted
run would be replayed instead of submitted again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from receiptq.client.http import ApiError

RATE_LIMITED, UNAVAILABLE, CONFLICT = "rate limited", "unavailable", "conflict"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3), else None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def classify(exc: Exception) -> str | None:
    """Which kind of retryable failure this is, or None when retrying cannot help."""
    if isinstance(exc, ApiError):
        if exc.status == 429:
            return RATE_LIMITED
        if exc.status in (502, 503, 504):
            return UNAVAILABLE
        if exc.status == 409:  # our Idempotency-Key is still being accepted
            return CONFLICT
        return None
    if isinstance(exc, httpx.TransportError):  # refused, reset, timed out (maybe accepted)
        return UNAVAILABLE
    return None


@dataclass(frozen=True)
class RetryPolicy:
    rate_limited: int = 30  # 429s per file; the default 10/minute needs a few at most
    unavailable: int = 5  # 502/503/504, timeouts, connection errors per file
    conflict: int = 10
    backoff: float = 1.0  # first wait when the API gave no Retry-After; doubles
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    jitter: float = 0.1  # up to this fraction added, so threads do not retry in step

    def delay(
        self, kind: str, attempt: int, retry_after: float | None, rand: float = 0.0
    ) -> float | None:
        """Seconds to wait after the `attempt`-th failure of this kind, or None: give up."""
        limit = {RATE_LIMITED: self.rate_limited, UNAVAILABLE: self.unavailable}.get(
            kind, self.conflict
        )
        if attempt > limit:
            return None
        if retry_after is not None:
            base = min(retry_after, self.max_retry_after)
        elif kind == UNAVAILABLE:
            base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        else:
            base = self.backoff
        return base * (1 + self.jitter * rand)


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait between rounds of status polls (one request per unfinished job).

    The API answers a job that is not finished with `Retry-After` (1 s): a round waits
    that long. An API that sends none gets `interval`, growing by `growth` after every
    round in which no job moved (status or progress), up to `max_interval`. Never more
    than `max_rate` requests a second in all."""

    interval: float = 1.0
    growth: float = 1.5
    max_interval: float = 10.0
    max_retry_after: float = 60.0
    max_rate: float = 20.0

    def delay(self, retry_after: float | None, jobs: int, idle_rounds: int = 0) -> float:
        if retry_after is not None:
            base = min(retry_after, self.max_retry_after)
        else:
            base = min(self.max_interval, self.interval * self.growth**idle_rounds)
        return max(base, jobs / self.max_rate)


class Gate:
    """Shared by the upload threads: after a 429 or 503 nobody uploads until it passes
    (the rate limit is per user, not per thread). `wait` returns False once `stop` is set."""

    def __init__(self, stop: threading.Event, clock: Callable[[], float] = time.monotonic):
        self.stop = stop
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + seconds)

    def wait(self) -> bool:
        while not self.stop.is_set():
            with self._lock:
                remaining = self._until - self.clock()
            if remaining <= 0:
                return True
            self.stop.wait(remaining)
        return False


def idempotency_key(run_key: str, index: int, sha256_hex: str) -> str:
    """Same run, same file, same bytes -> same key, however often the upload is retried."""
    return f"rq-submit-{run_key}-{index}-{sha256_hex}"


def describe(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.detail} (HTTP {exc.status})"
    if isinstance(exc, httpx.TimeoutException):
        return "the API did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the API: {exc}"
    return f"{type(exc).__name__}: {exc}"
