"""GET /api/v3/receipts/{job_id}/pages/{n}: page n (from 0) of a job's stored upload as
PNG, to its owner only: the image the fields' regions are measured on (decoded as the
pipeline decodes it: EXIF orientation applied, PDF pages rendered at its DPI)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g

from receiptq import pages
from receiptq.api.auth import require_user
from receiptq.api.openapi import Body, documented

bp = Blueprint("pages", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)


@bp.get("/<job_id>/pages/<int:n>")
@documented(
    "A page of a job's stored upload, as PNG",
    {
        200: Body(
            media_type="image/png",
            schema={"type": "string", "contentMediaType": "image/png"},
            headers=("X-Page-Count",),
        )
    },
    errors=[404, 410],
)
def page(job_id: str, n: int) -> Response:
    """404 for another user's job or a page the upload does not have; 410 once the image
    was purged (deleted, retention, delete_after_processing)."""
    ctx = current_app.extensions["receiptq"]
    png, count = pages.page_png(ctx, g.user.id, job_id, n)
    response = Response(png, mimetype="image/png")
    response.headers["X-Page-Count"] = str(count)
    # The stored bytes never change; only their owner's browser may keep them.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
