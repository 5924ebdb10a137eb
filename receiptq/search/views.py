"""GET /api/v3/receipts/{job_id}/similar: the user's receipts most like a job's, with
likely duplicates flagged (docs/search.md). The view parses, calls
receiptq.search.reader, serializes."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, Field

from receiptq.api.auth import require_user
from receiptq.api.openapi import documented
from receiptq.errors import ReceiptqError
from receiptq.jobs import parse_job_id
from receiptq.search import reader
from receiptq.search.index import VectorIndex

bp = Blueprint("similar", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)

DEFAULT_LIMIT = 5


class InvalidParameter(ReceiptqError):
    status, code, title = 400, "invalid-parameter", "Invalid parameter"


class SimilarQuery(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=reader.MAX_LIMIT, description="How many.")


class SimilarReceipt(BaseModel):
    job_id: str
    score: float = Field(description="Cosine similarity of the two receipts' vectors, -1..1.")
    duplicate: bool = Field(
        description=f"Likely the same receipt (score >= {reader.DUPLICATE_THRESHOLD})."
    )
    merchant: str | None
    date: str | None
    total: str | None
    currency: str | None


class SimilarList(BaseModel):
    job_id: str
    items: list[SimilarReceipt] = Field(description="Most similar first; never the job itself.")


def _index() -> VectorIndex:
    """This process's index (built from PostgreSQL on first use, per user)."""
    extensions = current_app.extensions
    index = extensions.get("receiptq.vectors")
    if index is None:
        index = extensions.setdefault("receiptq.vectors", reader.new_reader_index())
    return index


def _limit() -> int:
    value = request.args.get("limit", "").strip()
    if not value:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= reader.MAX_LIMIT:
        raise InvalidParameter(f"limit must be a whole number from 1 to {reader.MAX_LIMIT}.")
    return int(value)


@bp.get("/<job_id>/similar")
@documented(
    "Your receipts most similar to a job's, duplicates flagged",
    {200: SimilarList},
    errors=[400, 404],
    query=SimilarQuery,
)
def similar(job_id: str) -> Response:
    """Compares merchant, address, items, date, time and total. 404 for another user's
    job, and for a job with no saved receipt (not completed, or deleted)."""
    limit = _limit()
    ctx = current_app.extensions["receiptq"]
    items = reader.similar(ctx, _index(), g.user.id, job_id, limit)
    body = SimilarList.model_validate({"job_id": parse_job_id(job_id), "items": items})
    response = Response(body.model_dump_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
