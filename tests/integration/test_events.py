"""Live progress over Server-Sent Events, with a real worker, Redis and PostgreSQL."""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from collections.abc import Iterator

import pytest
from factories import long_receipt_jpeg, receipt_jpeg
from PIL import Image

from receiptq.api import events as events_api

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"
STAGES = ["starting", "preprocess", "ocr", "quality", "analysis", "validation", "save", "cleanup"]


def unique(jpeg: bytes) -> bytes:
    """The same receipt with one corner pixel changed: new bytes, so the upload is a new
    job (identical bytes from one user may be answered with that user's earlier job)."""
    image = Image.open(io.BytesIO(jpeg))
    image.putpixel((0, 0), random.randint(200, 250))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def submit(client, headers, data: bytes, name: str = "receipt.jpg") -> str:
    data = unique(data)
    response = client.post(
        PROCESS, headers=headers, data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]


def sse_blocks(response, timeout: float = 120) -> Iterator[str]:
    """The raw SSE blocks (events and comments) of a streamed response, in order."""
    deadline = time.monotonic() + timeout
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield block
        assert time.monotonic() < deadline, "the event stream did not end in time"
    assert buffer == "", f"stream ended inside an event: {buffer!r}"


def data_of(block: str) -> dict | None:
    lines = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
    return json.loads("\n".join(lines)) if lines else None


def open_stream(client, headers, job_id: str):
    return client.get(f"/api/v3/receipts/events/{job_id}", headers=headers, buffered=False)


def collect(client, headers, job_id: str) -> list[dict]:
    response = open_stream(client, headers, job_id)
    try:
        assert response.status_code == 200, response.get_data(as_text=True)
        return [e for e in map(data_of, sse_blocks(response)) if e is not None]
    finally:
        response.close()


def test_events_arrive_in_order_and_end_with_the_result(client, alice, worker):
    job_id = submit(client, alice, receipt_jpeg())
    response = open_stream(client, alice, job_id)
    try:
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Accel-Buffering"] == "no"
        events = [e for e in map(data_of, sse_blocks(response)) if e is not None]
    finally:
        response.close()

    first, *changes, last = events
    assert first["job_id"] == job_id and first["status"] in {"queued", "processing"}
    assert all(e["job_id"] == job_id for e in events)
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress), progress
    # Every stage after the one we joined at arrives, once and in order.
    joined = STAGES.index(first["stage"]) + 1 if first["status"] == "processing" else 0
    assert [e["stage"] for e in changes] == STAGES[joined:], events
    assert {e["status"] for e in changes} == {"processing"}
    assert [e["progress"] for e in changes if e["stage"] == "ocr"] in ([25], [])

    assert last["status"] == "completed" and last["progress"] == 100
    assert last["result"]["total"] == "3.60"
    assert last["result"]["date"] == "2024-03-14"
    assert last["error"] is None

    # A finished job's stream is its final state, at once.
    again = collect(client, alice, job_id)
    assert len(again) == 1 and again[0]["status"] == "completed"
    assert again[0]["result"] == last["result"]


@pytest.fixture
def fast_heartbeat(app):
    """The app's event streams beat every 0.2 s instead of every 15."""
    app.config["RECEIPTQ_HEARTBEAT_SECONDS"] = 0.2
    yield
    del app.config["RECEIPTQ_HEARTBEAT_SECONDS"]


def test_heartbeat_then_cancel_ends_the_stream(client, alice, worker, fast_heartbeat):
    job_id = submit(client, alice, long_receipt_jpeg())
    response = open_stream(client, alice, job_id)
    seen: list[dict] = []
    pings = 0
    try:
        for block in sse_blocks(response):
            if block == ": ping":
                pings += 1
            event = data_of(block)
            if event is None:
                continue
            seen.append(event)
            if event["stage"] == "ocr":  # OCR of a long receipt takes seconds: pings meanwhile
                cancelled = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
                assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    finally:
        response.close()
    assert pings >= 1
    assert seen[-1]["status"] == "cancelled" and seen[-1]["result"] is None
    assert "cancelling" in {e["status"] for e in seen}


def test_another_users_job_is_404(client, alice, bob, worker):
    job_id = submit(client, alice, receipt_jpeg())
    for job in (job_id, str(uuid.uuid4()), "not-a-job-id"):
        response = client.get(f"/api/v3/receipts/events/{job}", headers=bob)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json(force=True)["detail"] == "No such job."
    assert collect(client, alice, job_id)[-1]["status"] == "completed"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rq_not-a-real-key"}])
def test_without_a_valid_key_is_401(client, headers):
    response = client.get(f"/api/v3/receipts/events/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # The key goes in the header only: a query parameter is not accepted.
    response = client.get(f"/api/v3/receipts/events/{uuid.uuid4()}?access_token=rq_x")
    assert response.status_code == 401


def test_order_drops_stale_and_repeated_messages():
    order = events_api._Order()
    assert order.is_new({"status": "processing", "progress": 25, "stage": "ocr"})
    assert not order.is_new({"status": "processing", "progress": 10, "stage": "preprocess"})
    assert not order.is_new({"status": "processing", "progress": 25, "stage": "ocr"})
    assert order.is_new({"status": "cancelling", "progress": 25, "stage": "ocr"})
    assert order.is_new({"status": "cancelled", "progress": 25, "stage": "cancelled"})


def test_the_page_is_served_with_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/web/app.js" in html and "/web/style.css" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset, mimetype in (("/web/app.js", "text/javascript"), ("/web/style.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200 and response.mimetype == mimetype
        response.close()
