"""Webhook delivery: one message id in, one signed POST per attempt, retried with backoff."""

from __future__ import annotations

import psycopg
import redis
from celery import Task, shared_task

from receiptq.queue.names import WEBHOOK_TASK
from receiptq.webhooks import delivery
from receiptq.worker.context import worker_context

# The services themselves were away: try the attempt again (not counted as one).
TRANSIENT = (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError)


@shared_task(
    name=WEBHOOK_TASK,
    bind=True,
    max_retries=100,  # attempts are bounded by RECEIPTQ_WEBHOOK_MAX_ATTEMPTS; this bounds
    # the retries while PostgreSQL or Redis is away
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def deliver_webhook(self: Task, message_id: str) -> str:
    ctx = worker_context()
    settings = ctx.settings
    last = self.request.retries + 1 >= settings.webhook_max_attempts
    outcome = delivery.deliver(ctx, message_id, last_attempt=last)
    if outcome == "retry":
        countdown = delivery.backoff_seconds(
            self.request.retries,
            settings.webhook_retry_base_seconds,
            settings.webhook_retry_max_seconds,
        )
        raise self.retry(countdown=countdown)
    return outcome
