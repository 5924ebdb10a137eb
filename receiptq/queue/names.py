"""Every Celery task's name and the queue it runs on: the one list both sides share (the
API sends by name and never imports a task)."""

from __future__ import annotations

PROCESS_TASK = "receiptq.process_receipt"
HEALTH_TASK = "receiptq.health_check"
WEBHOOK_TASK = "receiptq.deliver_webhook"
INDEX_TASK = "receiptq.index_receipt"  # similar receipts: docs/search.md

QUEUE_OF = {
    PROCESS_TASK: "receipts",
    HEALTH_TASK: "maintenance",
    WEBHOOK_TASK: "maintenance",
    INDEX_TASK: "index",
}
QUEUES = ("receipts", "maintenance", "index")
