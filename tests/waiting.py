"""Submitting a job and waiting for it to reach a state, the way a polling client does."""

from __future__ import annotations

import time

from receiptq.lifecycle import TERMINAL


def wait_for(client, headers, job_id: str, statuses=TERMINAL, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v3/receipts/status/{job_id}", headers=headers).get_json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not reach {statuses}: {body}")


def submit(client, headers, data: bytes, name: str = "r.jpg", **form) -> str:
    """Upload `data` through the test client (form fields in `form`); the new job's id."""
    import io

    response = client.post(
        "/api/v3/receipts/process", headers=headers,
        data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]
