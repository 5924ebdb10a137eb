"""gunicorn settings for `receiptq api` (`--config python:receiptq.api.gunicorn_conf`).

Logging: JSON lines (or text, RECEIPTQ_LOG_FORMAT) for gunicorn's and the app's loggers.
The environment is read through Settings, like everywhere else.
In JSON mode gunicorn's access log is off: the app logs one line per request itself, with
the request id, route template, status and duration (receiptq.api.metrics).

Serving: gevent workers, so that hundreds of open event streams (SSE) each cost a greenlet,
not a thread (benchmarks/sse_streams.py measured gthread 2x8 holding 16 streams and then no
other request; gevent 2 workers held 1,000 with /status still answering in ~25 ms).

Errors gunicorn answers itself, before the app sees the request (a request line over
8 KiB: 414, too many or too long header fields: 431, a malformed request: 400), are
problem+json like every other error: `write_problem` replaces gunicorn's HTML writer.

Control socket: off (see `control_socket_disable` below).

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

from receiptq.config import Settings  # noqa: E402

_settings = Settings()
if not _settings.prometheus_multiproc_dir:  # the workers inherit it (prometheus-client reads it)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-receiptq-api-")

# Imported only now: the directory must be chosen before prometheus_client is imported.
from receiptq import logs, metrics  # noqa: E402
from receiptq.errors import PROBLEM_TYPE_BASE  # noqa: E402

# Text mode keeps gunicorn's access log.
logconfig_dict = logs.dict_config(_settings.log_format, _settings.log_level)

# gunicorn's control socket (gunicornc) would be $XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl: one path for every gunicorn of the user, so another API on the
# host could be told to stop or resize this one. receiptq does not use it: off.
control_socket_disable = True

# Headers: gunicorn's own caps stay as its defaults for count (100 fields) and line length;
# each field may be long, so that an oversized header reaches the app's guard and gets its
# specific 431 (receiptq.api.guards). Whatever gunicorn still refuses is answered below.
limit_request_field_size = 65536

_CODES = {400: "bad-request", 414: "uri-too-long", 431: "headers-too-large"}


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's signature and job, answered as RFC 9457 problem+json
    (gunicorn closes the connection after it). Only gunicorn's own errors come here."""
    import json

    from gunicorn import util

    code = _CODES.get(status_int, "server-error" if status_int >= 500 else "bad-request")
    detail = mesg or reason
    if status_int == 414:
        detail = "The request line (method and URL) is too long: at most 8190 bytes."
    body = json.dumps(
        {"type": PROBLEM_TYPE_BASE + code, "title": reason, "status": status_int, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


def _use_problem_errors() -> None:
    from gunicorn import util

    util.write_error = write_problem  # the workers call util.write_error(...) by name


_use_problem_errors()


def on_starting(server) -> None:
    metrics.prepare_multiproc_dir()


def child_exit(server, worker) -> None:
    metrics.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    metrics.remove_multiproc_dir()
