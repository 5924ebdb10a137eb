"""A small HTTP client for the receiptq API, used by `receiptq submit` and `status`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from receiptq.pipeline.media import sniff_media_type

TERMINAL = {"completed", "failed", "cancelled"}


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def receipt_files(paths: list[Path]) -> Iterator[Path]:
    """Files given, and files found recursively in folders given, that look like receipts."""
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            with candidate.open("rb") as fh:
                if sniff_media_type(fh.read(1024)) is not None:
                    yield candidate


class Client:
    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        return response.json()

    def submit(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as fh:
            return self._check(
                self.http.post("/api/v3/receipts/process", files={"file": (path.name, fh)})
            )

    def status(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/api/v3/receipts/status/{job_id}"))

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.delete(f"/api/v3/receipts/cancel/{job_id}"))

    def wait(self, job_id: str, timeout: float = 600.0, interval: float = 0.5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.status(job_id)
            if job["status"] in TERMINAL or time.monotonic() > deadline:
                return job
            time.sleep(interval)

    def close(self) -> None:
        self.http.close()
