"""The index task: one job id in, its receipt's vector stored (receiptq.search.indexing)."""

from __future__ import annotations

import psycopg
import redis
from celery import shared_task

from receiptq.queue.names import INDEX_TASK
from receiptq.search import indexing
from receiptq.worker.context import worker_context

# The services were briefly away: try again. Anything else is a bug worth a traceback.
TRANSIENT = (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError)


@shared_task(
    name=INDEX_TASK,
    autoretry_for=TRANSIENT,
    max_retries=10,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def index_receipt(job_id: str) -> str:
    """Idempotent: a redelivered or repeated task finds the vector unchanged."""
    return indexing.index_job(worker_context(), job_id)
