"""What an operator sees: a failed job is a failed Celery task (what Flower counts), never
retried; webhook deliveries are listed per job through the API; failure reasons and
webhook attempts are counted in the worker's metrics."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from factories import receipt_jpeg, user_headers
from openapi_check import assert_documented
from PIL import Image
from waiting import submit, wait_for
from webhook_receiver import Receiver

pytestmark = pytest.mark.integration


def blank_png() -> bytes:
    """A page with nothing on it (each one its own bytes): fails as poor quality."""
    out = io.BytesIO()
    Image.new("L", (600, 800 + uuid.uuid4().int % 200), 255).save(out, "PNG")
    return out.getvalue()


class TaskEvents:
    """Celery's task events, as Flower receives them, gathered from a thread."""

    def __init__(self, celery_app) -> None:
        self.events: list[dict] = []
        self.ready = threading.Event()
        self.app = celery_app
        self.receiver = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(30), "the event receiver did not start"

    def _run(self) -> None:
        events = self

        class Receiver_(self.app.events.Receiver):
            def on_consume_ready(self, *args, **kwargs) -> None:
                super().on_consume_ready(*args, **kwargs)
                events.ready.set()

        with self.app.connection() as connection:
            self.receiver = Receiver_(connection, handlers={"*": self.events.append})
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def wait(self, task_id: str, kinds: set[str], timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if event.get("uuid") == task_id and event["type"] in kinds:
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {kinds} event for task {task_id}")

    def of(self, task_id: str) -> list[str]:
        return [e["type"] for e in list(self.events) if e.get("uuid") == task_id]

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.should_stop = True


@pytest.fixture
def task_events(celery_app) -> Iterator[TaskEvents]:
    events = TaskEvents(celery_app)
    yield events
    events.stop()


def test_a_failed_job_is_a_failed_task_and_is_not_retried(client, alice, worker, ctx,
                                                          task_events):  # fmt: skip
    job_id = submit(client, alice, blank_png(), "r.png")
    failed = task_events.wait(job_id, {"task-failed", "task-succeeded"})
    assert failed["type"] == "task-failed"
    assert "JobFailed" in failed["exception"] and "No receipt text" in failed["exception"]
    status = wait_for(client, alice, job_id)
    assert status["status"] == "failed"
    # The job's own reason stays (not replaced by the task's failure handler).
    assert status["error"].startswith("No receipt text could be read")
    from receiptq.store import jobs as job_store

    assert job_store.get_job(ctx.pool, job_id)["attempts"] == 1
    assert "task-retried" not in task_events.of(job_id)


def test_a_completed_job_is_a_successful_task(client, alice, worker, task_events):
    job_id = submit(client, alice, receipt_jpeg())
    assert task_events.wait(job_id, {"task-failed", "task-succeeded"})["type"] == "task-succeeded"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([503, 200])
    yield made
    made.close()


def test_webhook_deliveries_are_listed_per_job(app, client, alice, bob, worker, receiver):
    job_id = submit(client, alice, receipt_jpeg(), callback_url=receiver.url)
    wait_for(client, alice, job_id)
    receiver.wait_for_requests(2)
    url = f"/api/v3/receipts/{job_id}/webhooks"
    deadline = time.monotonic() + 30
    while True:
        response = client.get(url, headers=alice)
        assert response.status_code == 200
        (delivery,) = response.get_json()["items"]
        if delivery["state"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert_documented(app, "/api/v3/receipts/{job_id}/webhooks", "get", response)
    assert delivery["state"] == "delivered"
    assert delivery["attempts"] == 2 and delivery["last_status"] == 200
    assert delivery["event"] == "job.completed" and delivery["url"] == receiver.url
    assert delivery["message_id"] == receiver.requests[0]["headers"]["webhook-id"]
    assert client.get(url, headers=bob).status_code == 404
    other = submit(client, alice, receipt_jpeg())
    wait_for(client, alice, other)
    assert client.get(f"/api/v3/receipts/{other}/webhooks", headers=alice).get_json() == {
        "job_id": other, "items": []
    }  # fmt: skip


def _value(text: str, name: str, **labels: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_failure_reasons_and_webhook_attempts_are_counted(metrics_stack, ctx):
    headers = user_headers(ctx, "ops")
    receiver = Receiver([500, 200])
    try:
        with httpx.Client(base_url=metrics_stack.api_url, headers=headers, timeout=10) as api:
            failing = api.post(
                "/api/v3/receipts/process", files={"file": ("blank.png", blank_png(), "image/png")}
            )
            hooked = api.post(
                "/api/v3/receipts/process",
                files={"file": ("r.jpg", receipt_jpeg(), "image/jpeg")},
                data={"callback_url": receiver.url},
            )  # fmt: skip
            assert failing.status_code == hooked.status_code == 202
            receiver.wait_for_requests(2)
        deadline = time.monotonic() + 60
        while True:  # the counters are written a moment after the job's state
            text = httpx.get(metrics_stack.worker_metrics_url, timeout=10).text
            failed = _value(text, "receiptq_jobs_failed_total", reason="poor-quality")
            delivered = _value(text, "receiptq_webhook_attempts_total", outcome="delivered")
            if (failed, delivered) == (1, 1) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        receiver.close()
    assert failed == 1
    assert delivered == 1
    assert _value(text, "receiptq_webhook_attempts_total", outcome="retry") == 1
    assert _value(text, "receiptq_jobs_failed_total", reason="internal") == 0  # a zero series
