"""The health probe (periodic housekeeping runs in the workers: receiptq.worker.housekeeping)."""

from __future__ import annotations

from celery import shared_task

from receiptq.queue.names import HEALTH_TASK


@shared_task(name=HEALTH_TASK, ignore_result=False, expires=30)
def health_check() -> dict[str, str]:
    from receiptq.health import tesseract_version

    return {"tesseract": tesseract_version() or "missing"}
