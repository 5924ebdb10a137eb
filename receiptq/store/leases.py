"""Job leases: who is running a job right now, kept alive by a heartbeat.

A worker holds `receiptq:lease:{job_id}` (a redis-py Lock with a short TTL) while it runs a
job, and a heartbeat thread extends it. A crashed worker's lease expires within
RECEIPTQ_LEASE_SECONDS; the sweeper then queues the job again. A second delivery of a job
whose lease is held defers instead of running it twice at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)


def lease_key(job_id: str) -> str:
    return f"receiptq:lease:{job_id}"


def is_leased(client: redis.Redis, job_id: str) -> bool:
    return bool(client.exists(lease_key(job_id)))


@contextmanager
def hold(client: redis.Redis, job_id: str, seconds: int) -> Iterator[bool]:
    """Yield True while this process holds the job's lease (heartbeat running), or False
    at once when another holder has it."""
    lock = client.lock(lease_key(job_id), timeout=seconds, blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(seconds / 3):
            try:
                lock.reacquire()
            except (LockError, redis.RedisError) as exc:
                # Redis restarted or the lease expired under a long pause: take it again
                # if nobody else has; the sweeper may otherwise hand the job on.
                log.warning("lease heartbeat failed: %s", exc, extra={"job_id": job_id})
                with suppress(LockError, redis.RedisError):
                    lock.acquire(blocking=False, token=lock.local.token)

    thread = threading.Thread(target=beat, name=f"lease-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield True
    finally:
        stop.set()
        thread.join(timeout=5)
        with suppress(LockError, redis.RedisError):
            lock.release()
