"""Liveness (/health, touches nothing) and readiness (/api/v3/receipts/health)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from receiptq import health as checks
from receiptq.api.auth import require_user

bp = Blueprint("health", __name__)


@bp.get("/health")
def liveness() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/api/v3/receipts/health")
def readiness() -> tuple[Response, int]:
    require_user()
    ctx = current_app.extensions["receiptq"]
    ok, parts = checks.check(ctx, ctx.celery)
    down = [name for name, part in parts.items() if not part["ok"]]
    body = {"status": "ok" if ok else "unavailable", "down": down, "checks": parts}
    return jsonify(body), 200 if ok else 503
