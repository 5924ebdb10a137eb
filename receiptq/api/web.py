"""The web page for people: `/` and its static files under `/web/`.

Plain HTML, CSS and JavaScript shipped inside the package (`receiptq/web/`): no build
step, nothing loaded from anywhere else. The page talks to the same /api/v3 endpoints as
any client, with the API key the user pastes (kept in the browser's localStorage and sent
only in the Authorization header).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

bp = Blueprint("web", __name__, static_folder=str(WEB_DIR), static_url_path="/web")

# Everything the page needs comes from us; the API key must not leak to other origins.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: the receipt's pages, fetched with the key
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


@bp.get("/")
def index() -> Response:
    response = send_from_directory(WEB_DIR, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
