"""PATCH /api/v3/receipts/{job_id} (correct fields of a completed receipt) and
GET /api/v3/receipts/{job_id}/revisions (what was corrected, by whom, when). The views
parse, call receiptq.corrections, serialize."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, Field, ValidationError

from receiptq.api import models
from receiptq.api.auth import require_user
from receiptq.api.openapi import Body, documented
from receiptq.corrections import service
from receiptq.corrections.patch import ReceiptPatch
from receiptq.errors import ReceiptqError, Unprocessable, UnsupportedMediaType
from receiptq.jobs import parse_job_id

bp = Blueprint("corrections", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)


class InvalidJson(ReceiptqError):
    status, code, title = 400, "invalid-json", "Invalid JSON"


class Revision(BaseModel):
    id: int
    field: str = Field(description="'total', 'merchant.name', 'items[2].category', 'items'…")
    old_value: Any = Field(description="The value before (null: it was empty).")
    new_value: Any = Field(description="The value after.")
    created_at: dt.datetime
    user: str = Field(description="Who made the correction (the key's user).")


class RevisionList(BaseModel):
    job_id: str
    items: list[Revision] = Field(description="Oldest first.")


def _ctx():
    return current_app.extensions["receiptq"]


def _patch() -> ReceiptPatch:
    if not request.is_json:
        raise UnsupportedMediaType("Send the fields to change as application/json.")
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidJson("The body is not valid JSON.")
    if not isinstance(body, dict):
        raise Unprocessable("The body must be a JSON object of the fields to change.")
    try:
        return ReceiptPatch.model_validate(body)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        first = errors[0]
        raise Unprocessable(f"{first['field']}: {first['message']}", errors=errors) from exc


@bp.patch("/<job_id>")
@documented(
    "Correct fields of a completed receipt",
    {200: models.JobStatus},
    errors=[404, 409, 415, 422],
    request=Body(ReceiptPatch),
)
def correct(job_id: str) -> Response:
    """Each changed field is stored as a revision (GET …/revisions) and the first reading
    is kept; the result served from now on is the corrected one. A corrected merchant
    name is remembered for the shop (its tax id, phone or address) and given to your next
    receipt from it, with `confidence.sources["merchant.name"] = "corrected_from_memory"`."""
    changes = _patch()
    job = service.correct(_ctx(), g.user.id, job_id, changes)
    _ctx().queue.index(job["job_id"])  # the corrected text, searchable
    response = jsonify(job)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<job_id>/revisions")
@documented("The corrections made to a receipt", {200: RevisionList}, errors=[404])
def revisions(job_id: str) -> Response:
    rows = service.revisions(_ctx(), g.user.id, job_id)
    body = RevisionList(
        job_id=parse_job_id(job_id),
        items=[Revision(**{k: v for k, v in r.items() if k != "user_name"}, user=r["user_name"])
               for r in rows],
    )  # fmt: skip
    response = Response(body.model_dump_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
