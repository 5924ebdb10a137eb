"""GET /api/v3/receipts (the user's jobs, newest first, keyset pages),
GET /api/v3/receipts/export.csv (the user's completed receipts, a row per receipt or per
item) and GET /api/v3/receipts/export.json (the same receipts, whole), both streamed."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, request, stream_with_context, url_for

from receiptq import store
from receiptq.api.auth import require_user
from receiptq.api.models import (
    JOB_STATUSES,
    CsvExportQuery,
    ExportQuery,
    JobList,
    JobListItem,
    ListQuery,
    ReceiptExport,
    ReceiptSummary,
)
from receiptq.api.openapi import Body, documented
from receiptq.csvcells import text_cell
from receiptq.errors import ReceiptqError
from receiptq.lifecycle import JobStatus

bp = Blueprint("listing", __name__, url_prefix="/api/v3/receipts")
bp.before_request(require_user)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CSV_COLUMNS = ("job_id", "created_at", "merchant", "address", "date", "total", "currency", "items")
ITEM_CSV_COLUMNS = (
    "job_id", "created_at", "merchant", "date", "currency", "receipt_total",
    "line", "description", "quantity", "unit_price", "total_price", "category",
)  # fmt: skip


class InvalidParameter(ReceiptqError):
    status, code, title = 400, "invalid-parameter", "Invalid parameter"


def encode_cursor(created_at: dt.datetime, job_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        at = dt.datetime.fromisoformat(created)
        if at.tzinfo is None or not isinstance(job_id, str):
            raise ValueError(cursor)
        return at, str(uuid.UUID(job_id))  # the query compares it with a uuid column
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameter(
            "cursor is not one this API gave out: start again without it."
        ) from exc


def _statuses() -> list[str] | None:
    wanted = [
        part.strip()
        for value in request.args.getlist("status")
        for part in value.split(",")
        if part.strip()
    ]
    unknown = sorted(set(wanted) - set(JOB_STATUSES))
    if unknown:
        raise InvalidParameter(
            f"Unknown status {', '.join(unknown)}: use {', '.join(JOB_STATUSES)}."
        )
    return list(dict.fromkeys(wanted)) or None


def _date(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidParameter(f"{name} must be a date as YYYY-MM-DD.") from exc


def _receipt_filter() -> store.listing.ReceiptFilter:
    """date_from, date_to (the receipt's date, inclusive) and merchant (part of its name)."""
    merchant = request.args.get("merchant", "").strip()
    if len(merchant) > 200:
        raise InvalidParameter("merchant must be at most 200 characters.")
    return store.listing.ReceiptFilter(_date("date_from"), _date("date_to"), merchant or None)


def _limit() -> int:
    value = request.args.get("limit", "").strip()
    if not value:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


_ITEM_FIELDS = (
    "job_id", "status", "progress", "stage", "created_at", "updated_at", "error", "reprocessed_from"
)  # fmt: skip


def _item(row: dict[str, Any]) -> JobListItem:
    """A list row as the public job (receiptq.store.jobstate.to_public) shows it, with the
    receipt's summary instead of the whole result."""
    public = store.jobstate.to_public(row)
    summary = None
    if row["status"] == JobStatus.COMPLETED:
        summary = ReceiptSummary(
            merchant=row["merchant_name"],
            date=row["receipt_date"],
            total=None if row["total"] is None else f"{row['total']:.2f}",
            currency=row["currency"],
        )
    return JobListItem.model_validate(
        {
            **{name: public.get(name) for name in _ITEM_FIELDS},
            "summary": summary,
            "status_url": url_for("receipts.status", job_id=row["job_id"], _external=True),
        }
    )


@bp.get("")
@documented(
    "List your jobs, newest first",
    {200: JobList},
    errors=[400],
    query=ListQuery,
    description="Keyset pages: pass `next_cursor` back as `cursor` until it is null.",
)
def list_jobs() -> Response:
    limit = _limit()
    cursor = request.args.get("cursor")
    after = decode_cursor(cursor) if cursor else None
    ctx = current_app.extensions["receiptq"]
    rows = store.listing.list_jobs(
        ctx.pool, g.user.id, statuses=_statuses(), limit=limit + 1, after=after,
        receipts=_receipt_filter(),
    )  # fmt: skip
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last["created_at"], last["job_id"])
    body = JobList(items=[_item(row) for row in page], next_cursor=next_cursor)
    response = Response(body.model_dump_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _amount(value: Any, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _receipt_row(row: dict[str, Any]) -> list[Any]:
    return [
        row["job_id"],
        store.jobstate.iso(row["created_at"]),
        text_cell(row["merchant_name"]),
        text_cell(row["merchant_address"]),
        row["receipt_date"].isoformat() if row["receipt_date"] else "",
        _amount(row["total"]),
        row["currency"] or "",
        row["items"],
    ]


def _item_row(row: dict[str, Any]) -> list[Any]:
    quantity = row.get("quantity")
    return [
        row["job_id"],
        store.jobstate.iso(row["created_at"]),
        text_cell(row["merchant_name"]),
        row["receipt_date"].isoformat() if row["receipt_date"] else "",
        row["currency"] or "",
        _amount(row["total"]),
        "" if row.get("position") is None else row["position"] + 1,
        text_cell(row.get("description")),
        "" if quantity is None else format(quantity.normalize(), "f"),
        _amount(row.get("unit_price")),
        _amount(row.get("total_price")),
        text_cell(row.get("category")),
    ]


def _csv_lines(user_id: str, items: bool, receipts: store.listing.ReceiptFilter) -> Iterator[str]:
    ctx = current_app.extensions["receiptq"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if items:
        writer.writerow(ITEM_CSV_COLUMNS)
        rows, render = (
            store.listing.export_item_rows(ctx.pool, user_id, receipts=receipts),
            _item_row,
        )
    else:
        writer.writerow(CSV_COLUMNS)
        rows, render = store.listing.export_rows(ctx.pool, user_id, receipts=receipts), _receipt_row
    for row in rows:
        writer.writerow(render(row))
        if out.tell() > 16 * 1024:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _export_rows() -> str:
    value = request.args.get("rows", "receipts").strip() or "receipts"
    if value not in ("receipts", "items"):
        raise InvalidParameter("rows must be receipts (a row per receipt) or items (per item).")
    return value


def _download(body: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.csv")
@documented(
    "Export your completed receipts as CSV",
    {
        200: Body(
            media_type="text/csv",
            schema={"type": "string"},
            description="Newest receipt first, UTF-8. Header row `"
            + ",".join(CSV_COLUMNS)
            + "`, or with `rows=items` `"
            + ",".join(ITEM_CSV_COLUMNS)
            + "` (`line` counts from 1).",
        )
    },
    errors=[400],
    query=CsvExportQuery,
)
def export_csv() -> Response:
    """Streamed: rows are read in batches while the response is sent."""
    items = _export_rows() == "items"
    name = "receipt-items.csv" if items else "receipts.csv"
    return _download(_csv_lines(g.user.id, items, _receipt_filter()), "text/csv", name)


def _json_chunks(user_id: str, receipts: store.listing.ReceiptFilter) -> Iterator[str]:
    ctx = current_app.extensions["receiptq"]
    yield '{"receipts": ['
    for n, row in enumerate(store.listing.export_results(ctx.pool, user_id, receipts=receipts)):
        entry = {
            "job_id": row["job_id"],
            "created_at": store.jobstate.iso(row["created_at"]),
            "result": row["result"],
        }
        yield ("," if n else "") + "\n" + json.dumps(entry, ensure_ascii=False)
    yield "\n]}\n"


@bp.get("/export.json")
@documented(
    "Export your completed receipts as JSON",
    {200: ReceiptExport},
    description="Newest first; each receipt's `result` as the job's status gives it."
    " Streamed: rows are read in batches while the response is sent.",
    errors=[400],
    query=ExportQuery,
)
def export_json() -> Response:
    return _download(
        _json_chunks(g.user.id, _receipt_filter()), "application/json", "receipts.json"
    )
