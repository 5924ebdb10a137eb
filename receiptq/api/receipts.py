"""/api/v3/receipts: submit, status, cancel. Views parse, call receiptq.jobs, serialize."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from receiptq import jobs, logs, webhooks
from receiptq.api import models
from receiptq.api.auth import require_user
from receiptq.api.limits import rate_limited
from receiptq.api.openapi import Body, documented
from receiptq.errors import PayloadTooLarge, ReceiptqError, Unprocessable, UnsupportedMediaType
from receiptq.lifecycle import TERMINAL

bp = Blueprint("receipts", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)

POLL_AFTER_SECONDS = "1"


class MissingFile(ReceiptqError):
    status, code, title = 400, "missing-file", "Missing file"


def _ctx():
    return current_app.extensions["receiptq"]


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


def _callback_url(value: str | None) -> str | None:
    settings = current_app.config["RECEIPTQ_SETTINGS"]
    # 422 unless http(s), <= 2048 characters, no user:pass@, and (unless
    # RECEIPTQ_WEBHOOK_ALLOW_PRIVATE) a host whose every address is public.
    url = webhooks.urls.check_callback_url(value, allow_private=settings.webhook_allow_private)
    if url is not None and not settings.webhook_secret:
        raise Unprocessable(
            "Webhooks are off on this server (no RECEIPTQ_WEBHOOK_SECRET): omit callback_url."
        )
    return url


def _accepted(job: dict) -> tuple[dict, dict[str, str]]:
    """The body and headers of an answer to a submit or reprocess."""
    logs.bind(job_id=job["job_id"])  # the request's log line names the job it made
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
    return body, headers


@bp.post("/process")
@documented(
    "Upload a receipt",
    {
        202: Body(models.Accepted, headers=("Location", "Retry-After")),
        200: Body(models.Accepted, description="Identical bytes: the live job for them."),
    },
    errors=[400, 409, 413, 415, 422, 429],
    request=Body(models.SubmitForm, "multipart/form-data"),
)
@rate_limited
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
        callback_url=_callback_url(request.form.get("callback_url")),
    )
    result = jobs.submit(_ctx(), g.user.id, data, upload.filename, options)
    body, headers = _accepted(result.job)
    if result.duplicate_of:
        body["duplicate_of"] = result.duplicate_of
        return jsonify(body), 200, headers
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(body), 202, headers


@bp.get("/status/<job_id>")
@documented("A job's status, progress and result", {200: models.JobStatus}, errors=[404])
def status(job_id: str) -> Response:
    job = jobs.status(_ctx(), g.user.id, job_id, g.pop("job_state", None))
    response = jsonify(job)
    if job["status"] not in TERMINAL:
        response.headers["Retry-After"] = POLL_AFTER_SECONDS
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/cancel/<job_id>")
@documented("Cancel a queued or running job", {200: models.JobStatus}, errors=[404, 409])
def cancel(job_id: str) -> Response:
    return jsonify(jobs.cancel(_ctx(), g.user.id, job_id))


@bp.delete("/<job_id>")
@documented("Delete a job's image and result", {200: models.JobStatus}, errors=[404])
def delete(job_id: str) -> Response:
    """Privacy: purge the stored image and the result; the job remains as 'deleted'."""
    return jsonify(jobs.delete(_ctx(), g.user.id, job_id))


@bp.post("/<job_id>/reprocess")
@documented(
    "Run the current extractor again on a job's stored original",
    {202: Body(models.Accepted, headers=("Location", "Retry-After"))},
    errors=[404, 409, 410, 422, 429],
    request=Body(models.ReprocessRequest, required=False),
)
@rate_limited  # runs OCR like a submit: the same limit, counted separately
def reprocess(job_id: str) -> tuple[Response, int, dict[str, str]]:
    """A new job on the same upload, linked to this one (`reprocessed_from`); 409 while
    the job is still queued or running, 410 when its image was purged."""
    payload = request.get_json(silent=True) if request.is_json else request.form
    value = payload.get("callback_url") if isinstance(payload, dict) else None  # form: a dict too
    if value is not None and not isinstance(value, str):  # JSON: a number, list, object
        raise Unprocessable("callback_url must be a string: an http(s) URL.")
    callback_url = _callback_url(value)
    job = jobs.reprocess(_ctx(), g.user.id, job_id, callback_url=callback_url)
    body, headers = _accepted(job)
    body["reprocessed_from"] = job["reprocessed_from"]
    return jsonify(body), 202, headers
