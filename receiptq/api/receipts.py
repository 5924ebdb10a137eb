"""/api/v3/receipts: submit, status, cancel. Views parse, call receiptq.jobs, serialize."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from receiptq import jobs, queueing
from receiptq.api.auth import require_user
from receiptq.errors import PayloadTooLarge, ReceiptqError, UnsupportedMediaType
from receiptq.store.jobs import TERMINAL

bp = Blueprint("receipts", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)

POLL_AFTER_SECONDS = "1"


class MissingFile(ReceiptqError):
    status, code, title = 400, "missing-file", "Missing file"


def _ctx():
    return current_app.extensions["receiptq"]


def _celery():
    return current_app.extensions["receiptq.celery"]


def _enqueue(job_id: str) -> None:
    ctx = _ctx()
    queueing.enqueue(_celery(), ctx.redis, job_id, ctx.settings.job_ttl_seconds)


def _revoke(job_id: str) -> None:
    _celery().control.revoke(job_id)


def _links(job_id: str) -> dict[str, str]:
    return {
        "status_url": url_for("receipts.status", job_id=job_id, _external=True),
        "cancel_url": url_for("receipts.cancel", job_id=job_id, _external=True),
    }


def _flag(name: str) -> bool:
    """A boolean from the query string or a form field: true/1/yes/on."""
    value = request.args.get(name, request.form.get(name, ""))
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip().strip('"')
    if not key or len(key) > 255 or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1 to 255 printable characters.")
    return key


class BadRequest(ReceiptqError):
    status, code, title = 400, "bad-request", "Bad request"


@bp.post("/process")
def submit() -> tuple[Response, int, dict[str, str]]:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send the receipt as multipart/form-data with the file in a field named 'file'."
        )
    upload = request.files.get("file")
    if upload is None:
        raise MissingFile("The form has no 'file' field: send the receipt in a field named 'file'.")
    limit = current_app.config["RECEIPTQ_SETTINGS"].max_upload_bytes
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The upload is larger than the {limit / 1024 / 1024:g} MB limit.")
    options = jobs.SubmitOptions(
        force=_flag("force"),
        idempotency_key=_idempotency_key(),
        delete_after_processing=_flag("delete_after_processing"),
    )
    result = jobs.submit(_ctx(), g.user.id, data, upload.filename, _enqueue, options)
    job = result.job
    links = _links(job["job_id"])
    body = {
        "job_id": job["job_id"],
        "status": job["status"],
        "progress": job["progress"],
        **links,
        "expires_at": job["expires_at"],
    }
    headers = {"Location": links["status_url"]}
    if job["status"] not in TERMINAL:
        headers["Retry-After"] = POLL_AFTER_SECONDS
    if result.duplicate_of:
        body["duplicate_of"] = result.duplicate_of
        return jsonify(body), 200, headers
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(body), 202, headers


@bp.get("/status/<job_id>")
def status(job_id: str) -> Response:
    job = jobs.status(_ctx(), g.user.id, job_id)
    response = jsonify(job)
    if job["status"] not in TERMINAL:
        response.headers["Retry-After"] = POLL_AFTER_SECONDS
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/cancel/<job_id>")
def cancel(job_id: str) -> Response:
    return jsonify(jobs.cancel(_ctx(), g.user.id, job_id, _revoke))


@bp.delete("/<job_id>")
def delete(job_id: str) -> Response:
    """Privacy: purge the stored image and the result; the job remains as 'deleted'."""
    return jsonify(jobs.delete(_ctx(), g.user.id, job_id))
