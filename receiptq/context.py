"""The long-lived clients one process needs, built from Settings and passed around.

Created lazily by the app factory, the Celery worker (after fork) and the CLI; never at
import time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis

from receiptq.config import Settings
from receiptq.store.db import Pool, create_pool, ensure_open

if TYPE_CHECKING:
    from celery import Celery

    from receiptq.pipeline.run import Pipeline
    from receiptq.queue.service import JobQueue


@dataclass
class Context:
    settings: Settings = field(default_factory=Settings)
    #: Extra keywords for the Redis client (a test's `connection_class` that counts).
    redis_options: dict = field(default_factory=dict)
    #: The Celery app tasks are sent with: the worker passes its own; else one is built
    #: on first use (receiptq.queue.app, no worker signals).
    celery_app: Celery | None = None

    @cached_property
    def _pool(self) -> Pool:
        return create_pool(self.settings.database_url, self.settings.db_pool_max)

    @property
    def pool(self) -> Pool:
        return ensure_open(self._pool)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.settings.redis_url,
            socket_timeout=5,
            socket_connect_timeout=2,
            health_check_interval=30,
            **self.redis_options,
        )

    @cached_property
    def celery(self) -> Celery:
        if self.celery_app is not None:
            return self.celery_app
        from receiptq.queue.app import create_celery

        return create_celery(self.settings)

    @cached_property
    def queue(self) -> JobQueue:
        """The queue service: enqueue, revoke, notify_finished, index."""
        from receiptq.queue.service import JobQueue

        return JobQueue(self)

    @cached_property
    def pipeline(self) -> Pipeline:
        """The extraction pipeline with this process' OCR engines (built on first use: the
        API never loads them)."""
        from receiptq.pipeline.run import Pipeline

        return Pipeline.from_settings(self.settings)

    def close(self) -> None:
        if "_pool" in self.__dict__:
            self._pool.close()
            del self.__dict__["_pool"]
        if "celery" in self.__dict__ and self.celery_app is None:  # ours: close its pools
            self.celery.close()
            del self.__dict__["celery"]
        self.__dict__.pop("queue", None)
        if "redis" in self.__dict__:
            self.redis.close()
            del self.__dict__["redis"]
