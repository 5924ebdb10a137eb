"""The job lifecycle over real Redis, PostgreSQL, a real Celery worker and Tesseract."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
import redis
from factories import long_receipt_jpeg, receipt_jpeg
from waiting import wait_for

from receiptq import store

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"


def submit(client, headers, data: bytes, name: str = "receipt.jpg"):
    response = client.post(
        PROCESS, headers=headers, data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response


class EventLog:
    """Every job event published on Redis, collected in the background."""

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url)
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("receiptq:events:*")
        self.events: list[dict] = []
        self.pubsub.get_message(timeout=1)  # the subscription confirmation
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.running = True
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "pmessage":
                self.events.append(json.loads(message["data"]))

    def for_job(self, job_id: str) -> list[dict]:
        return [e for e in self.events if e["job_id"] == job_id]

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.pubsub.close()
        self.client.close()


@pytest.fixture
def events(settings):
    log = EventLog(settings.redis_url)
    yield log
    log.close()


def test_upload_is_accepted_then_completed_with_ordered_progress(
    client, alice, worker, events, ctx
):
    started = time.perf_counter()
    response = submit(client, alice, receipt_jpeg())
    elapsed = time.perf_counter() - started
    body = response.get_json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert response.headers["Location"] == body["status_url"]
    assert body["status_url"].endswith(f"/api/v3/receipts/status/{body['job_id']}")
    assert body["cancel_url"].endswith(f"/api/v3/receipts/cancel/{body['job_id']}")
    assert elapsed < 2.0  # a sanity bound, not a benchmark: no processing happens inline

    job = wait_for(client, alice, body["job_id"])
    assert job["status"] == "completed", job
    assert job["progress"] == 100 and job["error"] is None
    receipt = job["result"]
    assert receipt["total"] == "3.60"
    assert receipt["date"] == "2024-03-14"
    assert "CORNER GROCER" in (receipt["merchant"]["name"] or "")
    assert job["created_at"] and job["updated_at"]

    time.sleep(0.3)
    progress = [e["progress"] for e in events.for_job(body["job_id"])]
    stages = [e["stage"] for e in events.for_job(body["job_id"])]
    assert progress == sorted(progress), progress
    for stage in ("preprocess", "ocr", "quality", "analysis", "validation", "save", "cleanup"):
        assert stage in stages, stages
    assert [e["progress"] for e in events.for_job(body["job_id"]) if e["stage"] == "ocr"] == [25]
    assert events.for_job(body["job_id"])[-1]["status"] == "completed"
    assert store.receipts.count_for_job(ctx.pool, body["job_id"]) == (1, len(receipt["items"]))


def test_worker_uses_only_its_own_temp_dir_and_shared_services(client, alice, worker):
    """The worker shares no disk with the API: it reads the upload from PostgreSQL."""
    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    job = wait_for(client, alice, job_id)
    assert job["status"] == "completed"
    assert worker.temp_dir.exists()
    deadline = time.monotonic() + 10  # Celery logs success after the task has returned
    while f"Task receiptq.process_receipt[{job_id}] succeeded" not in worker.log():
        assert time.monotonic() < deadline, worker.log()[-2000:]
        time.sleep(0.05)
    assert not list(worker.temp_dir.glob("tess_*")), "temp files left behind"
    assert not list(worker.temp_dir.glob("receiptq-*")), "the job's scratch dir left behind"


def test_another_users_job_is_404(client, alice, bob, worker):
    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    for response in (
        client.get(f"/api/v3/receipts/status/{job_id}", headers=bob),
        client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=bob),
    ):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    wait_for(client, alice, job_id)


def test_cancel_while_processing_saves_nothing(client, alice, worker, ctx):
    job_id = submit(client, alice, long_receipt_jpeg()).get_json()["job_id"]
    wait_for(client, alice, job_id, statuses={"processing"}, timeout=60)
    response = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
    assert response.status_code == 200
    assert response.get_json()["status"] in {"cancelling", "cancelled"}
    job = wait_for(client, alice, job_id, timeout=120)
    assert job["status"] == "cancelled" and job["result"] is None
    assert store.receipts.count_for_job(ctx.pool, job_id) == (0, 0)


def test_cancel_while_queued_never_runs(client, alice, worker, ctx):
    # The worker runs one job at a time: the second waits in the queue behind the first.
    busy = submit(client, alice, long_receipt_jpeg()).get_json()["job_id"]
    queued = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    assert (
        client.get(f"/api/v3/receipts/status/{queued}", headers=alice).get_json()["status"]
        == "queued"
    )
    response = client.delete(f"/api/v3/receipts/cancel/{queued}", headers=alice)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    wait_for(client, alice, busy, timeout=120)
    time.sleep(1.0)  # time for the worker to receive the revoked message, if it would
    with ctx.pool.connection() as conn:
        row = conn.execute(
            "SELECT status, attempts, started_at FROM jobs WHERE id = %s", (queued,)
        ).fetchone()
    assert row["status"] == "cancelled" and row["attempts"] == 0 and row["started_at"] is None
    assert store.receipts.count_for_job(ctx.pool, queued) == (0, 0)


def test_finished_job_cannot_be_cancelled(client, alice, worker):
    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    assert wait_for(client, alice, job_id)["status"] == "completed"
    response = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "completed" in response.get_json()["detail"]


def test_unreadable_image_fails_with_a_message_and_no_retry(client, alice, worker):
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (900, 1200), 255).save(out, format="PNG")  # a blank page
    job_id = submit(client, alice, out.getvalue(), "blank.png").get_json()["job_id"]
    job = wait_for(client, alice, job_id)
    assert job["status"] == "failed"
    assert "receipt" in job["error"] and "photo" in job["error"]
    assert "Traceback" not in job["error"]


def test_status_survives_redis_losing_the_key(client, alice, worker, settings):
    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    assert wait_for(client, alice, job_id)["status"] == "completed"
    redis.Redis.from_url(settings.redis_url).delete(f"receiptq:job:{job_id}")
    body = client.get(f"/api/v3/receipts/status/{job_id}", headers=alice).get_json()
    assert body["status"] == "completed" and body["result"]["total"] == "3.60"


def test_a_status_poll_is_one_round_trip_to_redis(client, alice, bob, worker, settings):
    from receiptq.api import create_app
    from receiptq.context import Context

    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    wait_for(client, alice, job_id)
    sent = []

    class Counted(redis.connection.Connection):
        def send_packed_command(self, command, check_health=True):
            sent.append(command)
            return super().send_packed_command(command, check_health)

    counted = Context(settings, redis_options={"connection_class": Counted})
    polled = create_app(settings, context=counted).test_client()
    polled.get(f"/api/v3/receipts/status/{job_id}", headers=alice)  # connected, warm
    sent.clear()
    response = polled.get(f"/api/v3/receipts/status/{job_id}", headers=alice)
    counted.close()
    assert response.status_code == 200 and response.get_json()["job_id"] == job_id
    assert len(sent) == 1  # the key's generation and the job's state, pipelined
    # the state read with the key is still only its owner's
    assert client.get(f"/api/v3/receipts/status/{job_id}", headers=bob).status_code == 404


def test_redelivered_job_does_not_duplicate_rows(client, alice, worker, ctx):
    from receiptq.processing import process_job

    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    assert wait_for(client, alice, job_id)["status"] == "completed"
    rows = store.receipts.count_for_job(ctx.pool, job_id)
    with ctx.pool.connection() as conn:  # as if the worker died after saving, before ack
        conn.execute("UPDATE jobs SET status = 'processing' WHERE id = %s", (job_id,))
    assert process_job(ctx, job_id) == "completed"
    assert store.receipts.count_for_job(ctx.pool, job_id) == rows
    assert process_job(ctx, job_id) == "completed"  # a finished job is left as it is
    assert store.receipts.count_for_job(ctx.pool, job_id) == rows


def test_a_job_cancelled_after_its_save_stage_keeps_nothing(client, alice, worker, ctx):
    """save writes the rows while the job is processing; complete_job, after cleanup, is
    where a cancel that arrived in between undoes them."""
    from receiptq.receipt import Receipt

    job_id = submit(client, alice, receipt_jpeg()).get_json()["job_id"]
    job = wait_for(client, alice, job_id)
    assert job["status"] == "completed"
    receipt = Receipt.model_validate(job["result"])
    with ctx.pool.connection() as conn:
        conn.execute("UPDATE jobs SET status = 'processing' WHERE id = %s", (job_id,))
    assert store.receipts.save_receipt(ctx.pool, job_id, receipt) is True
    assert store.receipts.count_for_job(ctx.pool, job_id)[0] == 1
    with ctx.pool.connection() as conn:  # the user cancels during cleanup
        conn.execute("UPDATE jobs SET status = 'cancelling' WHERE id = %s", (job_id,))
    assert store.receipts.save_receipt(ctx.pool, job_id, receipt) is False  # nothing more
    assert store.receipts.complete_job(ctx.pool, job_id)["status"] == "cancelled"
    assert store.receipts.count_for_job(ctx.pool, job_id) == (0, 0)


def test_readiness_reports_every_part(client, alice, worker):
    response = client.get("/api/v3/receipts/health", headers=alice)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["checks"]["workers"]["count"] >= 1
    assert body["checks"]["tesseract"]["version"]
    assert body["down"] == []


@pytest.mark.parametrize(
    "stage",
    ["starting", "preprocess", "ocr", "quality", "analysis", "validation", "save", "cleanup"],
)
def test_cancel_during_each_stage_leaves_a_consistent_state(
    client, alice, worker, events, ctx, stage
):
    job_id = submit(client, alice, long_receipt_jpeg(items=40)).get_json()["job_id"]
    deadline = time.monotonic() + 60
    while not any(e["stage"] == stage for e in events.for_job(job_id)):
        assert time.monotonic() < deadline, events.for_job(job_id)
        time.sleep(0.002)
    response = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
    job = wait_for(client, alice, job_id)
    rows = store.receipts.count_for_job(ctx.pool, job_id)
    if response.status_code == 200:  # accepted: whatever stage it reached, nothing is saved
        assert job["status"] == "cancelled" and job["result"] is None
        assert rows == (0, 0)
    else:  # too late: the job had already completed
        assert response.status_code == 409
        assert job["status"] == "completed" and rows[0] == 1
    if stage in {"starting", "preprocess", "ocr"}:  # long enough to be caught for sure
        assert response.status_code == 200 and job["status"] == "cancelled"
