"""Every error as RFC 9457 problem+json, from one place."""

from __future__ import annotations

import logging
import math
import time

import psycopg
import redis
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, SecurityError

from receiptq.errors import (
    PROBLEM_TYPE_BASE,
    PayloadTooLarge,
    RateLimited,
    ReceiptqError,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, code: str, **extra: object) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


_HTTP_DETAILS = {
    404: "No such resource.",
    405: "This method is not allowed here.",
    413: "The upload is too large.",
    431: "The request headers are too large.",
}


_BY_STATUS = {cls.status: cls for cls in (PayloadTooLarge, RateLimited, UnsupportedMediaType)}


def _retry_after(app: Flask) -> int:
    """Seconds until the rate-limit window that was breached resets."""
    limit = app.extensions["receiptq.limiter"].current_limit
    if limit is None:
        return 60
    return max(1, math.floor(limit.reset_at - time.time()))


def register(app: Flask) -> None:
    @app.errorhandler(ReceiptqError)
    def _domain(exc: ReceiptqError) -> Response:
        response = problem(exc.status, exc.title, exc.message, exc.code, **exc.extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="receiptq"'
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> Response:
        return problem(
            400,
            "Untrusted host",
            "This API does not answer to that Host header; its operator lists the names it "
            "answers to in RECEIPTQ_TRUSTED_HOSTS.",
            "untrusted-host",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        detail = _HTTP_DETAILS.get(status) or exc.description or exc.name
        if status == 413:
            limit = app.config["RECEIPTQ_SETTINGS"].max_upload_mb
            detail = f"The upload is larger than the {limit:g} MB limit."
        if status == 429:
            detail = f"Too many requests: the limit is {exc.description}. Retry later."
        # The same problem type whether Werkzeug or our code noticed it first.
        known = _BY_STATUS.get(status)
        code = known.code if known else exc.name.lower().replace(" ", "-")
        title = known.title if known else exc.name
        response = problem(status, title, detail, code)
        if status == 429:
            response.headers["Retry-After"] = str(_retry_after(app))
        return response

    @app.errorhandler(redis.RedisError)
    def _redis(exc: redis.RedisError) -> Response:
        log.error("redis unavailable: %s", exc)
        return problem(
            503,
            "Service unavailable",
            "The job queue is unavailable: try again shortly.",
            "service-unavailable",
        )

    @app.errorhandler(psycopg.OperationalError)
    def _database(exc: psycopg.OperationalError) -> Response:
        log.error("database unavailable: %s", exc)
        return problem(
            503,
            "Service unavailable",
            "The database is unavailable: try again shortly.",
            "service-unavailable",
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(
            500, "Internal server error", "Something went wrong on our side.", "internal"
        )
