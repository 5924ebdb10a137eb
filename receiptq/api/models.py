"""Request and response models of the HTTP API (pydantic v2).

They are the single description of what goes over the wire: /openapi.json is generated
from them (receiptq/api/openapi.py), the new views serialize through them, and the tests
validate real responses against the generated schemas.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from receiptq.receipt import Receipt

JobStatusName = Literal[
    "queued", "processing", "cancelling", "completed", "failed", "cancelled", "deleted"
]
JOB_STATUSES: tuple[str, ...] = JobStatusName.__args__  # type: ignore[attr-defined]


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://receiptq.dev/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No such job."])
    instance: str | None = Field(default=None, examples=["/api/v3/receipts/status/…"])
    job_status: JobStatusName | None = Field(
        default=None, description="On a 409 about a job: the state it is in."
    )


class JobStatus(BaseModel):
    """A job's state: what status, cancel, delete, the events stream and webhooks send."""

    job_id: str = Field(description="The job's id (a UUID).")
    status: JobStatusName
    progress: int = Field(ge=0, le=100)
    stage: str | None = Field(description="queued, starting, preprocess, ocr, … or the end state.")
    message: str | None = Field(description="The stage in words.")
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    result: Receipt | None = Field(description="The receipt, once completed.")
    error: str | None = Field(description="Why the job failed, a sentence for the user.")
    expires_at: dt.datetime | None = Field(
        default=None, description="When the stored image is purged (RECEIPTQ_RETENTION_HOURS)."
    )
    reprocessed_from: str | None = Field(
        default=None, description="Only on a job made by reprocess: the job it repeats."
    )
    reprocessed_as: list[str] | None = Field(
        default=None, description="Only on a job that was reprocessed: the newer jobs."
    )


class SubmitForm(BaseModel):
    """`multipart/form-data` of POST /process (`force` and `delete_after_processing` may
    also be query parameters)."""

    file: bytes = Field(
        json_schema_extra={"format": "binary", "contentMediaType": "application/octet-stream"},
        description="The receipt: JPEG, PNG, TIFF, WebP or PDF.",
    )
    force: bool = Field(default=False, description="Process identical bytes again.")
    delete_after_processing: bool = Field(
        default=False, description="Purge the stored image as soon as the job ends."
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="http(s) URL that gets the final status as a signed webhook POST.",
    )


class Accepted(BaseModel):
    """202 (or 200 for a duplicate) after submit or reprocess."""

    job_id: str
    status: JobStatusName
    progress: int
    status_url: str
    cancel_url: str
    expires_at: dt.datetime | None = None
    duplicate_of: str | None = Field(
        default=None, description="200 only: identical bytes answered with this live job."
    )
    reprocessed_from: str | None = Field(default=None, description="Reprocess only.")


class ReprocessRequest(BaseModel):
    """Optional body of POST /{job_id}/reprocess (JSON or form)."""

    callback_url: str | None = Field(default=None, max_length=2048)


class ReceiptSummary(BaseModel):
    merchant: str | None
    date: dt.date | None
    total: str | None = Field(description="Decimal string, e.g. '29.83'.")
    currency: str | None


class JobListItem(BaseModel):
    job_id: str
    status: JobStatusName
    progress: int
    stage: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    error: str | None = None
    reprocessed_from: str | None = None
    summary: ReceiptSummary | None = Field(
        default=None, description="Merchant, date and total of a completed job."
    )
    status_url: str


class JobList(BaseModel):
    items: list[JobListItem]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class ExportQuery(BaseModel):
    date_from: dt.date | None = Field(
        default=None, description="Only receipts dated on or after this day (YYYY-MM-DD)."
    )
    date_to: dt.date | None = Field(
        default=None, description="Only receipts dated on or before this day (YYYY-MM-DD)."
    )
    merchant: str | None = Field(
        default=None, max_length=200, description="Only merchants whose name contains this."
    )


class ListQuery(ExportQuery):
    status: list[JobStatusName] = Field(
        default_factory=list,
        description="Only these states: repeat the parameter or give a comma list.",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page.")


class CsvExportQuery(ExportQuery):
    rows: Literal["receipts", "items"] = Field(
        default="receipts",
        description="`receipts`: a row per receipt with its item count; `items`: a row per"
        " item, with its receipt's columns (a receipt without items: one row, item cells"
        " empty).",
    )


class ExportedReceipt(BaseModel):
    job_id: str
    created_at: dt.datetime
    result: Receipt


class ReceiptExport(BaseModel):
    """All the user's completed receipts, newest first, each with its whole result."""

    receipts: list[ExportedReceipt]


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    down: list[str]
    checks: dict[str, dict[str, object]]
