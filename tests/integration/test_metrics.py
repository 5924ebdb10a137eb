"""Prometheus metrics and JSON logs, as Prometheus and an operator see them.

The in-process tests use the session's Flask app (single-process mode); the rest run a
real `receiptq api` (2 gunicorn processes) and `receiptq worker` (2 prefork processes)
in multiprocess mode (tests/integration/conftest.py: metrics_stack).
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
import redis
from factories import receipt_jpeg
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from receiptq.metrics import QueueDepthCollector

pytestmark = pytest.mark.integration

STATUS_ROUTE = "/api/v3/receipts/status/<job_id>"
PROCESS_ROUTE = "/api/v3/receipts/process"
STAGES = ("preprocess", "ocr", "quality", "analysis", "validation", "save", "cleanup")


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


# --- in-process: the session app ----------------------------------------------------------


def test_requests_are_labelled_by_route_template_not_path(client, alice):
    job_id = str(uuid.uuid4())
    assert client.get(f"/api/v3/receipts/status/{job_id}", headers=alice).status_code == 404
    assert client.get(f"/no/such/{job_id}").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    # Prometheus' own content type, its charset once (not "...; charset=utf-8; charset=utf-8")
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert response.headers["Content-Type"].count("charset") == 1
    text = response.get_data(as_text=True)
    name = "receiptq_http_request_duration_seconds_count"
    assert value(text, name, method="GET", route=STATUS_ROUTE, status="404") >= 1
    assert value(text, name, method="GET", route="<unmatched>", status="404") >= 1
    assert job_id not in text  # no raw paths: one series per route, not per job
    assert value(text, "receiptq_queue_depth", queue="receipts") is not None
    assert value(text, "receiptq_queue_depth", queue="maintenance") is not None


def test_request_id_is_echoed_or_made(client):
    given = client.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert given.headers["X-Request-ID"] == "trace-abc.123"
    made = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"
    assert len(made.headers["X-Request-ID"]) == 32


def test_queue_depth_sums_priority_lists_and_survives_redis_down(settings):
    client = redis.Redis.from_url(settings.redis_url)
    queue = f"rq-test-queue-{uuid.uuid4().hex[:8]}"  # no worker consumes it
    keys = [queue, f"{queue}\x06\x163", f"{queue}\x06\x169"]
    try:
        client.lpush(keys[0], "a", "b")
        client.lpush(keys[1], "c")
        client.lpush(keys[2], "d")
        (family,) = QueueDepthCollector(client, [queue, "empty-" + queue]).collect()
        depths = {s.labels["queue"]: s.value for s in family.samples}
        assert depths == {queue: 4, "empty-" + queue: 0}
    finally:
        client.delete(*keys)
        client.close()
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    assert list(QueueDepthCollector(down, ["receipts"]).collect()) == []


# --- real processes: gunicorn and a prefork worker, multiprocess mode ----------------------


@pytest.fixture(scope="module")
def finished_job(metrics_stack, alice):
    """One receipt submitted through the real API and processed by the real worker."""
    with httpx.Client(base_url=metrics_stack.api_url, headers=alice, timeout=10) as api:
        response = api.post(
            "/api/v3/receipts/process",
            files={"file": ("receipt.jpg", receipt_jpeg(), "image/jpeg")},
            headers={"X-Request-ID": "submit-req-1"},
        )
        assert response.status_code == 202, response.text
        assert response.headers["X-Request-ID"] == "submit-req-1"
        job_id = response.json()["job_id"]
        polls, deadline = 0, time.monotonic() + 120
        while True:
            body = api.get(f"/api/v3/receipts/status/{job_id}").json()
            polls += 1
            if body["status"] in ("completed", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
    assert body["status"] == "completed", body
    return {"job_id": job_id, "status_polls": polls}


def scrape(url: str) -> str:
    response = httpx.get(url, timeout=10)  # a new connection: any gunicorn process answers
    assert response.status_code == 200
    return response.text


def test_stale_files_of_a_previous_run_are_wiped_at_start(metrics_stack):
    assert not any(path.exists() for path in metrics_stack.stale_files)


def test_api_metrics_add_up_every_gunicorn_process(metrics_stack, finished_job):
    name = "receiptq_http_request_duration_seconds_count"
    for _ in range(6):
        text = scrape(f"{metrics_stack.api_url}/metrics")
        assert value(text, "receiptq_jobs_submitted_total") == 1  # not 42: stale file wiped
        polls = value(text, name, method="GET", route=STATUS_ROUTE, status="200")
        assert polls == finished_job["status_polls"]
        assert value(text, name, method="POST", route=PROCESS_ROUTE, status="202") == 1
        assert value(text, "receiptq_queue_depth", queue="receipts") == 0
        assert finished_job["job_id"] not in text
    pids = {path.name.split("_")[-1] for path in metrics_stack.api_metrics_dir.glob("*.db")}
    assert pids, "the gunicorn processes record into PROMETHEUS_MULTIPROC_DIR"


def test_worker_exporter_shows_the_pool_processes_values(metrics_stack, finished_job):
    deadline = time.monotonic() + 10
    while True:  # the job is visible as completed a moment before the counter is read
        text = scrape(metrics_stack.worker_metrics_url)
        done = value(text, "receiptq_jobs_finished_total", status="completed")
        if done == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert done == 1  # not 42: stale file wiped
    assert value(text, "receiptq_jobs_finished_total", status="failed") == 0
    for stage in STAGES:
        assert value(text, "receiptq_stage_duration_seconds_count", stage=stage) == 1, stage
    assert value(text, "receiptq_stage_duration_seconds_sum", stage="ocr") > 0
    assert value(text, "receiptq_ocr_confidence_count") == 1
    assert 0 < value(text, "receiptq_ocr_confidence_sum") <= 1


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_worker_log_lines_are_json_and_carry_the_job_id(metrics_stack, finished_job):
    job_id = finished_job["job_id"]
    text = metrics_stack.worker_log.read_text(errors="replace")
    for line in text.splitlines():
        if job_id in line:
            json.loads(line)  # every line about the job is JSON
    lines = json_lines(text)
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    stage_lines = [line for line in lines if line["logger"] == "receiptq.processing"]
    assert {line.get("stage") for line in stage_lines} >= {"ocr", "save"}
    assert all(line["job_id"] == job_id for line in stage_lines)
    (success,) = [m for m in lines if "succeeded" in m["message"] and job_id in m["message"]]
    assert success["job_id"] == job_id and success["task_id"] == job_id
    ready = [line for line in lines if line["message"].endswith(" ready.")]
    assert ready and "job_id" not in ready[0]  # outside a task: no job context


def test_api_log_has_one_json_line_per_request(metrics_stack, finished_job):
    lines = json_lines(metrics_stack.api_log.read_text(errors="replace"))
    (submit,) = [line for line in lines if line.get("request_id") == "submit-req-1"]
    assert submit["logger"] == "receiptq.api.request"
    assert submit["route"] == PROCESS_ROUTE and submit["status"] == 202
    assert submit["method"] == "POST" and submit["duration_ms"] >= 0
    assert submit["job_id"] == finished_job["job_id"]  # the job the submit created
    polls = [line for line in lines if line.get("route") == STATUS_ROUTE]
    assert len(polls) == finished_job["status_polls"]
    assert all(line["path"].endswith(finished_job["job_id"]) for line in polls)
    assert all(line["job_id"] == finished_job["job_id"] for line in polls)
    assert not [line for line in lines if line["logger"] == "gunicorn.access"]
