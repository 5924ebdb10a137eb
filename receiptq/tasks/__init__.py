"""Celery tasks: thin wrappers that load a job by id and call the domain code. A feature's
own tasks live in its package (receiptq.webhooks.tasks, receiptq.search.tasks); the names
of all of them are in receiptq.queue.names."""

from receiptq.tasks.maintenance import health_check
from receiptq.tasks.process import process_receipt

__all__ = ["health_check", "process_receipt"]
