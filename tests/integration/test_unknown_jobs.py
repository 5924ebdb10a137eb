"""Polls for job ids a user has no job under: answered from Redis for a few seconds (the
negative cache), over real Redis and PostgreSQL; a job is never hidden by it."""

from __future__ import annotations

import uuid

import pytest
from factories import receipt_jpeg

from receiptq import jobs, store
from receiptq.context import Context
from receiptq.errors import NotFound
from receiptq.store.keys import create_key

pytestmark = pytest.mark.integration


class CountingPool:
    """The real pool, counting the connections taken from it."""

    def __init__(self, pool) -> None:
        self.pool, self.taken = pool, 0

    def connection(self, *args, **kwargs):
        self.taken += 1
        return self.pool.connection(*args, **kwargs)


class CountingContext(Context):
    @property
    def pool(self) -> CountingPool:  # type: ignore[override]
        if "_counting" not in self.__dict__:
            self.__dict__["_counting"] = CountingPool(super().pool)
        return self.__dict__["_counting"]


@pytest.fixture
def counted(settings):
    context = CountingContext(settings)
    yield context
    context.close()


def user(ctx) -> str:
    return create_key(ctx.pool.pool, f"u-{uuid.uuid4().hex[:8]}")[0].id


def stored_job(ctx, user_id: str, job_id: str) -> dict:
    upload = store.jobs.NewUpload(user_id, receipt_jpeg(), "image/jpeg", None)
    return store.jobs.create_job(ctx.pool, job_id, upload, dedupe=False)[0]


def test_a_second_poll_of_an_unknown_id_does_not_query_postgresql(counted):
    alice = user(counted)
    job_id = str(uuid.uuid4())
    before = counted.pool.taken
    with pytest.raises(NotFound):
        jobs.status(counted, alice, job_id)
    assert counted.pool.taken == before + 1
    ttl_ms = counted.redis.pttl(store.jobstate.unknown_key(alice, job_id))
    assert 0 < ttl_ms <= counted.settings.unknown_job_cache_seconds * 1000
    with pytest.raises(NotFound):
        jobs.status(counted, alice, job_id)
    assert counted.pool.taken == before + 1


def test_the_cache_is_per_user(counted):
    alice, bob = user(counted), user(counted)
    row, _ = store.jobs.create_job(
        counted.pool,
        str(uuid.uuid4()),
        store.jobs.NewUpload(bob, receipt_jpeg(), "image/jpeg", None),
    )
    job_id = row["job_id"]  # in PostgreSQL only: Redis never had it
    with pytest.raises(NotFound):  # another user's job is missing for alice, and cached so
        jobs.status(counted, alice, job_id)
    assert counted.redis.exists(store.jobstate.unknown_key(alice, job_id))
    assert jobs.status(counted, bob, job_id)["status"] == "queued"
    assert not counted.redis.exists(store.jobstate.unknown_key(bob, job_id))


def test_a_job_written_after_the_miss_is_found_at_once(counted):
    alice = user(counted)
    job_id = str(uuid.uuid4())
    with pytest.raises(NotFound):
        jobs.status(counted, alice, job_id)
    # The same id cannot come from the API (it makes UUID4s); the store can make it.
    row = stored_job(counted, alice, job_id)
    store.jobstate.write(counted.redis, row, counted.settings.job_ttl_seconds)  # what submit does
    assert not counted.redis.exists(store.jobstate.unknown_key(alice, job_id))
    assert jobs.status(counted, alice, job_id)["job_id"] == job_id


def test_zero_seconds_turns_it_off(settings):
    context = CountingContext(settings.model_copy(update={"unknown_job_cache_seconds": 0}))
    try:
        alice, job_id = user(context), str(uuid.uuid4())
        before = context.pool.taken
        for _ in range(2):
            with pytest.raises(NotFound):
                jobs.status(context, alice, job_id)
        assert context.pool.taken == before + 2
        assert not context.redis.exists(store.jobstate.unknown_key(alice, job_id))
    finally:
        context.close()
