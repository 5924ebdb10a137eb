"""Celery tasks: thin wrappers that load a job by id and call the domain code."""

from receiptq.tasks.indexing import index_receipt
from receiptq.tasks.maintenance import cleanup_temp_files, health_check
from receiptq.tasks.process import process_receipt
from receiptq.tasks.webhooks import deliver_webhook

__all__ = [
    "cleanup_temp_files",
    "deliver_webhook",
    "health_check",
    "index_receipt",
    "process_receipt",
]
