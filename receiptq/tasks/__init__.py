"""Celery tasks: thin wrappers that load a job by id and call the domain code."""

from receiptq.tasks.indexing import index_receipt
from receiptq.tasks.maintenance import health_check
from receiptq.tasks.process import process_receipt
from receiptq.tasks.webhooks import deliver_webhook

__all__ = [
    "deliver_webhook",
    "health_check",
    "index_receipt",
    "process_receipt",
]
