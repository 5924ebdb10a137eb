"""gunicorn settings for `receiptq api` (`--config python:receiptq.api.gunicorn_conf`).

Logging: JSON lines (or text, RECEIPTQ_LOG_FORMAT) for gunicorn's and the app's loggers.
In JSON mode gunicorn's access log is off: the app logs one line per request itself, with
the request id, route template, status and duration (receiptq.api.metrics).

Metrics: the workers record into PROMETHEUS_MULTIPROC_DIR (`receiptq api` sets it; run
without it, a fresh directory is made here, before prometheus-client is imported); the
master wipes it at start and tells prometheus-client when a worker exits.
"""

from __future__ import annotations

import os
import tempfile

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-receiptq-api-")

# Imported only now: the directory must be chosen before prometheus_client is imported.
from receiptq import logs, metrics

logconfig_dict = logs.dict_config()  # text mode keeps gunicorn's access log


def on_starting(server) -> None:
    metrics.prepare_multiproc_dir()


def child_exit(server, worker) -> None:
    metrics.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    metrics.remove_multiproc_dir()
