"""A small HTTP client for the receiptq API, used by `receiptq submit`, `watch` and the
job commands (status, list, export, cancel, delete, reprocess).

One method per endpoint, one request per call: retrying (429, 503, timeouts) and pacing
polls are the caller's policy, see `receiptq.client.retry`. Errors are raised as `ApiError`
with the problem+json `detail` and, when the API sent one, the `Retry-After` header.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BASE = "/api/v3/receipts"
PROCESS = f"{BASE}/process"


class ApiError(Exception):
    def __init__(self, status: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after  # the raw header; see retry.parse_retry_after


def unreachable(base_url: str, exc: httpx.TransportError) -> str:
    """One line for an API that did not answer (refused, timed out, no such host)."""
    return f"cannot reach the API at {base_url}: {str(exc) or type(exc).__name__}"


@dataclass(frozen=True)
class Submitted:
    """The API's answer to an upload."""

    job: dict[str, Any]  # job_id, status, progress, status_url, cancel_url, expires_at
    http_status: int  # 202 new job (or an idempotent replay), 200 duplicate
    duplicate_of: str | None = None  # identical bytes were already submitted by this user
    replayed: bool = False  # same Idempotency-Key as an earlier request: the same job

    @property
    def job_id(self) -> str:
        return self.job["job_id"]


@dataclass(frozen=True)
class Polled:
    """The API's answer to a status request."""

    job: dict[str, Any]
    retry_after: str | None  # the raw header: when to ask again (sent while not finished)


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                body = response.json()
                detail = body.get("detail") if isinstance(body, dict) else None
            except ValueError:
                detail = None
            raise ApiError(
                response.status_code,
                detail or response.text.strip() or response.reason_phrase,
                response.headers.get("Retry-After"),
            )
        return response.json()

    def submit_bytes(
        self,
        data: bytes,
        filename: str,
        *,
        idempotency_key: str | None = None,
        force: bool = False,
    ) -> Submitted:
        """One upload attempt. Raises ApiError, or httpx.TransportError (connection
        refused, timeout: the upload may or may not have been accepted, so retry with the
        same Idempotency-Key)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self.http.post(
            PROCESS,
            params={"force": "true"} if force else None,
            files={"file": (filename, data)},
            headers=headers,
        )
        body = self._check(response)
        return Submitted(
            job=body,
            http_status=response.status_code,
            duplicate_of=body.get("duplicate_of"),
            replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
        )

    def submit(self, path: Path, **kwargs: Any) -> dict[str, Any]:
        return self.submit_bytes(path.read_bytes(), path.name, **kwargs).job

    def poll(self, job_id: str) -> Polled:
        response = self.http.get(f"/api/v3/receipts/status/{job_id}")
        return Polled(self._check(response), response.headers.get("Retry-After"))

    def status(self, job_id: str) -> dict[str, Any]:
        return self.poll(job_id).job

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.delete(f"/api/v3/receipts/cancel/{job_id}"))

    def delete(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.delete(f"{BASE}/{job_id}"))

    def reprocess(self, job_id: str) -> dict[str, Any]:
        return self._check(self.http.post(f"{BASE}/{job_id}/reprocess"))

    def list_jobs(
        self, statuses: Sequence[str] = (), limit: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """One page: {"items": [...], "next_cursor": ...}."""
        params: dict[str, Any] = {}
        if statuses:
            params["status"] = ",".join(statuses)
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        return self._check(self.http.get(BASE, params=params))

    def export(self, fmt: str = "csv", rows: str = "receipts") -> Iterator[bytes]:
        """The export as it streams (`fmt` csv or json; `rows` receipts or items, CSV only).
        The status is checked before the first chunk is yielded."""
        params = {"rows": rows} if fmt == "csv" and rows != "receipts" else None
        with self.http.stream("GET", f"{BASE}/export.{fmt}", params=params) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            yield from response.iter_bytes()

    def check_key(self) -> None:
        """Fail fast: raise ApiError(401) for a bad key, httpx.TransportError when the API
        does not answer. Asks for a job that cannot exist (a valid key gets 404)."""
        try:
            self.status(str(uuid.UUID(int=0)))
        except ApiError as exc:
            if exc.status != 404:
                raise

    def close(self) -> None:
        self.http.close()
