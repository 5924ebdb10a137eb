"""The Celery application: `celery -A receiptq.worker worker` finds `app` here."""

from __future__ import annotations

import os

# Tesseract's OpenMP threads would fight the worker processes for cores: one thread each,
# scale with --concurrency instead. Set before any task imports tesseract.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from receiptq.config import Settings
from receiptq.worker.celery_app import create_celery

app = create_celery(Settings())

__all__ = ["app", "create_celery"]
