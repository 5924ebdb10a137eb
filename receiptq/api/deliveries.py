"""GET /api/v3/receipts/{job_id}/webhooks: the webhook deliveries of a job (one per
message: its state, attempts and the last answer), so a user can see why their endpoint
heard nothing. The view parses, reads receiptq.store.webhooks, serializes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import Blueprint, Response, current_app, g
from pydantic import BaseModel, Field

from receiptq import store
from receiptq.api.auth import require_user
from receiptq.api.openapi import documented
from receiptq.errors import NotFound
from receiptq.jobs import parse_job_id
from receiptq.webhooks import store as webhook_store

bp = Blueprint("deliveries", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)


class Delivery(BaseModel):
    message_id: str = Field(description="The webhook-id header: the same on every attempt.")
    url: str
    event: str = Field(description="job.completed, job.failed or job.cancelled.")
    state: Literal["pending", "delivered", "gone", "failed", "dropped"] = Field(
        description="pending: being tried (again); gone: the receiver answered 410;"
        " failed: every attempt failed, or the URL was refused; dropped: the job was deleted."
    )
    attempts: int
    last_status: int | None = Field(description="HTTP status of the last attempt.")
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryList(BaseModel):
    job_id: str
    items: list[Delivery] = Field(description="Oldest first; empty without a callback_url.")


@bp.get("/<job_id>/webhooks")
@documented("A job's webhook deliveries and their attempts", {200: DeliveryList}, errors=[404])
def deliveries(job_id: str) -> Response:
    job_id = parse_job_id(job_id)
    pool = current_app.extensions["receiptq"].pool
    job = store.jobs.get_job(pool, job_id)
    if job is None or job["user_id"] != g.user.id:
        raise NotFound("No such job.")
    body = DeliveryList(
        job_id=job_id, items=[Delivery(**row) for row in webhook_store.for_job(pool, job_id)]
    )
    response = Response(body.model_dump_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
