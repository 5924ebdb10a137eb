"""GET /metrics for Prometheus, and the per-request duration and log line.

No API key: scrape it on the private network and keep it off the public side of any
reverse proxy (it shows request counts and queue depths, nothing about receipts).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from receiptq import logs, metrics

bp = Blueprint("metrics", __name__)
log = logging.getLogger("receiptq.api.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@bp.get("/metrics")
def scrape() -> Response:
    ctx = current_app.extensions["receiptq"]
    queues = [queue.name for queue in ctx.celery.conf.task_queues or ()]
    registry = metrics.scrape_registry(metrics.QueueDepthCollector(ctx.redis, queues))
    # content_type, not mimetype: CONTENT_TYPE_LATEST has its charset already.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _start() -> None:
    g.receiptq_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    logs.clear()  # a pooled thread must not carry the previous request's fields
    job_id = (request.view_args or {}).get("job_id")
    if job_id:  # every line about a job carries its id (a submit binds the new one)
        logs.bind(request_id=g.request_id, job_id=job_id)
    else:
        logs.bind(request_id=g.request_id)


def _finish(response: Response) -> Response:
    started = g.get("receiptq_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(request.method, route, response.status_code, seconds)
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    if request.path != "/metrics":  # Prometheus would fill the log every 15 s
        log.info(
            "%s %s %s",
            request.method,
            route or metrics.UNMATCHED_ROUTE,
            response.status_code,
            extra={
                "method": request.method,
                "route": route or metrics.UNMATCHED_ROUTE,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
    return response


def _teardown(_exc: BaseException | None) -> None:
    logs.clear()


def register(app: Flask) -> None:
    """The /metrics view, and timing + a log line for every request (first hook to run,
    so a request refused by another hook, e.g. a 401 or a 429, is counted too)."""
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
