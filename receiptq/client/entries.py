"""One file's state through a run: pending, the job the API made for it, its last status."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from receiptq.client.http import Submitted
from receiptq.lifecycle import TERMINAL

PENDING, NOT_SUBMITTED = "pending", "not submitted"
UNFINISHED_OK = {"queued", "processing"}  # fine to leave when not waiting


@dataclass
class Entry:
    path: Path
    index: int
    status: str = PENDING
    job: dict[str, Any] = field(default_factory=dict)  # the latest body the API sent
    error: str | None = None
    duplicate_of: str | None = None
    created: bool = False  # this run made the job (not a duplicate of an older one)
    written: bool = False

    @property
    def job_id(self) -> str | None:
        return self.job.get("job_id")

    @property
    def skipped(self) -> bool:
        return self.duplicate_of is not None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def fail(self, error: str) -> None:
        self.status, self.error = "failed", error

    def accepted(self, submitted: Submitted) -> None:
        self.job = dict(submitted.job)
        self.status = submitted.job["status"]
        self.duplicate_of = submitted.duplicate_of
        self.created = submitted.duplicate_of is None

    def update(self, job: dict[str, Any]) -> None:
        self.job = {**self.job, **job}
        self.status = job["status"]
        if job.get("error"):
            self.error = job["error"]
