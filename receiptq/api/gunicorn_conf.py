"""gunicorn settings for `receiptq api` (`--config python:receiptq.api.gunicorn_conf`).

Logging: JSON lines (or text, RECEIPTQ_LOG_FORMAT) for gunicorn's and the app's loggers.
In JSON mode gunicorn's access log is off: the app logs one line per request itself, with
the request id, route template, status and duration (receiptq.api.metrics).

Serving: gevent workers, so that hundreds of open event streams (SSE) each cost a greenlet,
not a thread (benchmarks/sse_streams.py measured gthread 2x8 holding 16 streams and then no
other request; gevent 2 workers held 1,000 with /status still answering in ~25 ms).

Metrics: the workers record into PROMETHEUS_MULTIPROC_DIR (`receiptq api` sets it; run
without it, a fresh directory is made here, before prometheus-client is imported); the
master wipes it at start and tells prometheus-client when a worker exits.
"""

from __future__ import annotations

# The workers are gevent's (`receiptq api`): patch the standard library before anything
# imports ssl, socket or threading, in the master too, as gunicorn advises.
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import tempfile  # noqa: E402

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-receiptq-api-")

# Imported only now: the directory must be chosen before prometheus_client is imported.
from receiptq import logs, metrics  # noqa: E402

logconfig_dict = logs.dict_config()  # text mode keeps gunicorn's access log


def on_starting(server) -> None:
    metrics.prepare_multiproc_dir()


def child_exit(server, worker) -> None:
    metrics.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    metrics.remove_multiproc_dir()
