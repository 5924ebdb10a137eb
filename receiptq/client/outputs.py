"""What a run writes: a JSON line and a CSV row per file, the summary line, the exit status."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from receiptq.client.entries import NOT_SUBMITTED, PENDING, UNFINISHED_OK, Entry
from receiptq.csvcells import text_cell

CSV_FIELDS = ("file", "job_id", "status", "merchant", "date", "total", "error")
EXIT_OK, EXIT_FAILED, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 2, 130


def jsonl_row(entry: Entry) -> dict[str, Any]:
    """What the API said about the file's job, with the file name first."""
    row: dict[str, Any] = {"file": str(entry.path), "job_id": None}
    row.update({k: v for k, v in entry.job.items() if k != "duplicate_of"})
    row["status"] = entry.status
    row["error"] = entry.error
    row["skipped"] = entry.skipped
    if entry.duplicate_of:
        row["duplicate_of"] = entry.duplicate_of
    return row


def csv_row(entry: Entry) -> dict[str, str]:
    """The file's row; text from outside (file name, merchant, error) is made safe for
    spreadsheets, the API's own fields (id, status, ISO date, amount) are taken as sent."""
    result = entry.job.get("result") or {}
    merchant = result.get("merchant") or {}
    name = merchant.get("name") if isinstance(merchant, dict) else merchant
    values = {
        "file": text_cell(str(entry.path)),
        "job_id": entry.job_id,
        "status": entry.status,
        "merchant": text_cell(None if name is None else str(name)),
        "date": result.get("date"),
        "total": result.get("total"),
        "error": text_cell(entry.error),
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


class RowWriter:
    """The --jsonl and --csv files, one row per file, flushed as each row is written."""

    def __init__(self, jsonl: Path | None = None, csv_path: Path | None = None) -> None:
        self._files: list[IO[str]] = []
        self._jsonl = self._open(jsonl) if jsonl else None
        self._csv = None
        if csv_path:
            self._csv = csv.DictWriter(self._open(csv_path, newline=""), fieldnames=CSV_FIELDS)
            self._csv.writeheader()
            self._files[-1].flush()

    def _open(self, path: Path, newline: str | None = None) -> IO[str]:
        fh = path.open("w", encoding="utf-8", newline=newline)
        self._files.append(fh)
        return fh

    def write(self, entry: Entry) -> None:
        if self._jsonl:
            self._jsonl.write(json.dumps(jsonl_row(entry), ensure_ascii=False) + "\n")
        if self._csv:
            self._csv.writerow(csv_row(entry))
        for fh in self._files:
            fh.flush()

    def close(self) -> None:
        for fh in self._files:
            fh.close()


@dataclass
class Summary:
    submitted: int = 0  # new jobs this run created
    skipped: int = 0  # already submitted before: the API answered with the existing job
    completed: int = 0  # of the submitted
    failed: int = 0  # refused uploads and failed jobs
    cancelled: int = 0  # cancelled or cancelling
    unfinished: int = 0  # still queued or processing at the end
    not_submitted: int = 0  # left when interrupted
    ignored: int = 0  # not a receipt type
    seconds: float = 0.0
    waited: bool = False
    interrupted: bool = False

    @classmethod
    def of(cls, entries: Iterable[Entry], **kwargs: Any) -> Summary:
        summary = cls(**kwargs)
        for entry in entries:
            summary.submitted += entry.created
            summary.skipped += entry.skipped
            summary.completed += entry.status == "completed" and not entry.skipped
            summary.failed += entry.status == "failed"
            summary.cancelled += entry.status in ("cancelled", "cancelling")
            summary.not_submitted += entry.status in (PENDING, NOT_SUBMITTED)
            summary.unfinished += entry.status in UNFINISHED_OK and summary.waited
        return summary

    def line(self) -> str:
        parts = [f"{self.submitted} submitted", f"{self.skipped} skipped (already processed)"]
        if self.waited:
            parts.append(f"{self.completed} completed")
        parts.append(f"{self.failed} failed")
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled")
        if self.unfinished:
            parts.append(f"{self.unfinished} unfinished")
        if self.not_submitted:
            parts.append(f"{self.not_submitted} not submitted")
        text = ", ".join(parts) + f" in {self.seconds:.1f} s"
        return f"interrupted: {text}" if self.interrupted else text

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.failed or self.cancelled or self.unfinished:
            return EXIT_FAILED
        return EXIT_OK
