"""Bearer-key authentication for /api/v3."""

from __future__ import annotations

import hashlib

from flask import current_app, g, request

from receiptq.errors import Unauthorized
from receiptq.store import keys


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """Rate limits count per API key; the key itself never reaches Redis, only its hash."""
    token = bearer_token() or request.remote_addr or "anonymous"
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def require_user() -> None:
    """before_request hook: sets g.user or answers 401."""
    token = bearer_token()
    if token is None:
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    ctx = current_app.extensions["receiptq"]
    user = keys.user_for_key(ctx.pool, token)
    if user is None:
        raise Unauthorized("The API key is not valid or was revoked.")
    g.user = user
