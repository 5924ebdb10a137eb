"""The Flask application factory. Nothing is created at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from receiptq.api import corrections as api_corrections
from receiptq.api import deliveries as api_deliveries
from receiptq.api import events, guards, health, limits, listing, openapi, problems, receipts, web
from receiptq.api import metrics as api_metrics
from receiptq.api import pages as api_pages
from receiptq.config import Settings
from receiptq.context import Context
from receiptq.search import views as search_views

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, context: Context | None = None, **overrides: Any
) -> Flask:
    """The API app; ``context`` is its clients (by default built from ``settings``)."""
    settings = settings or Settings(**overrides)
    app = Flask(__name__)
    app.config.update(
        RECEIPTQ_SETTINGS=settings,
        # The multipart envelope adds a little to the file: leave room for it. Werkzeug
        # refuses a larger body from its Content-Length or while streaming, without
        # reading it all into memory.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        JSON_SORT_KEYS=False,
        # Flask refuses any other Host header (a 400, see problems) before routing.
        TRUSTED_HOSTS=settings.trusted_host_names,
    )
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own: keys in the order built
        app.json.sort_keys = False
    ctx = context or Context(settings)
    app.extensions["receiptq"] = ctx

    problems.register(app)
    guards.register(app)
    api_metrics.register(app)  # GET /metrics, request duration + log line
    app.register_blueprint(receipts.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(listing.bp)  # GET /api/v3/receipts, /export.csv
    app.register_blueprint(search_views.bp)  # GET /api/v3/receipts/<id>/similar
    app.register_blueprint(api_corrections.bp)  # PATCH /api/v3/receipts/<id>, /revisions
    app.register_blueprint(api_pages.bp)  # GET /api/v3/receipts/<id>/pages/<n>
    app.register_blueprint(api_deliveries.bp)  # GET /api/v3/receipts/<id>/webhooks
    app.register_blueprint(openapi.bp)  # /openapi.json, /docs
    app.extensions["receiptq.limiter"] = limits.init_app(app, settings)  # after the views
    return app
