"""The Celery worker: `celery -A receiptq.worker worker` finds `app` here.

Importing this module makes a worker: it builds the app (receiptq.queue.app) and
connects the worker's signals (logs, metrics, memory, housekeeping). Senders (the API,
the CLI) build their own app and never import this.
"""

from __future__ import annotations

import os

# Tesseract's OpenMP threads would fight the worker processes for cores: one thread each,
# scale with --concurrency instead. Set before any task imports tesseract.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from receiptq.config import Settings
from receiptq.queue.app import create_celery
from receiptq.worker import signals

app = create_celery(Settings())
signals.connect(app.conf.receiptq_settings)

__all__ = ["app"]
