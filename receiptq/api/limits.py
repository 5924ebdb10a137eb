"""Rate limits: a view declares `@rate_limited`; the app's limiter (flask-limiter, counts
in Redis) applies RECEIPTQ_RATE_LIMIT to each such view, per user and per view.

The limit wraps the view itself, not a before_request hook, so it runs after the
blueprint's `require_user` and counts per user (auth.rate_limit_key), whichever key is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request
from flask_limiter import Limiter

from receiptq.api import auth
from receiptq.config import Settings

View = TypeVar("View", bound=Callable)


def rate_limited(view: View) -> View:
    """Mark a view as costly (it runs OCR): it counts against RECEIPTQ_RATE_LIMIT."""
    view.rate_limited = True  # type: ignore[attr-defined]
    return view


def init_app(app: Flask, settings: Settings) -> Limiter:
    """The app's limiter, with the limit on every view marked `rate_limited` (call it once
    the blueprints are registered)."""
    limiter = Limiter(
        key_func=auth.rate_limit_key,
        app=app,
        storage_uri=settings.redis_url,
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 2},
        strategy="fixed-window",
        # Off: with headers on, the extension also overwrites the Retry-After we send
        # on 202s and running jobs. 429s get theirs in receiptq.api.problems.
        headers_enabled=False,
        key_prefix="receiptq-rate",
    )
    limited = set()
    for endpoint, view in list(app.view_functions.items()):
        if getattr(view, "rate_limited", False):
            # mypy solves the decorator's Callable[P, R] against Flask's RouteCallable (a
            # union of a sync and an async view) as one joined callable; the wrapper returns
            # what the view returns.
            app.view_functions[endpoint] = limiter.limit(settings.rate_limit)(view)  # type: ignore[assignment]
            limited.add(endpoint)

    @limiter.request_filter
    def _unlimited() -> bool:
        # Every other request (status polls above all) skips the extension's per-request
        # work (about a tenth of a poll's time in a profile; docs/performance.md).
        return request.endpoint not in limited

    return limiter
