"""Webhooks end to end: a real worker POSTs to a real HTTP server on 127.0.0.1, which
checks the Standard Webhooks signature with its own implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from collections.abc import Iterator

import pytest
from factories import long_receipt_jpeg, receipt_jpeg
from waiting import wait_for
from webhook_receiver import Receiver

from receiptq import webhooks

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver_factory() -> Iterator:
    made: list[Receiver] = []

    def make(*script: int) -> Receiver:
        made.append(Receiver(list(script)))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def check_signature(secret: str, request: dict) -> None:
    """An implementation of the Standard Webhooks check written from the spec, not ours."""
    headers = request["headers"]
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = dict(part.split(",", 1) for part in headers["webhook-signature"].split())
    assert hmac.compare_digest(versions["v1"], expected)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120


def submit(client, headers, data: bytes, **form) -> str:
    response = client.post(
        "/api/v3/receipts/process", headers=headers,
        data={"file": (io.BytesIO(data), "r.jpg"), **form}, content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]


def settled(ctx, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = webhooks.store.for_job(ctx.pool, job_id)
        if rows and rows[0]["state"] != "pending":
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"webhook of {job_id} not settled: {rows}")


def test_completed_job_posts_its_signed_final_status(
    client, alice, worker, settings, ctx, receiver_factory
):
    receiver = receiver_factory(200)
    job_id = submit(client, alice, receipt_jpeg(), callback_url=receiver.url)
    status = wait_for(client, alice, job_id)
    assert status["status"] == "completed"
    (request,) = receiver.wait_for_requests(1)
    check_signature(settings.webhook_secret, request)
    assert request["path"] == "/hook?src=receiptq"
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["webhook-id"].startswith("msg_")
    sent = json.loads(request["body"])
    assert sent == status  # exactly what GET /status answers
    delivery = settled(ctx, job_id)
    assert delivery["state"] == "delivered" and delivery["attempts"] == 1
    assert delivery["event"] == "job.completed"


def test_server_errors_are_retried_with_the_same_id(
    client, alice, worker, settings, ctx, receiver_factory
):
    receiver = receiver_factory(500, 500, 200)
    job_id = submit(client, alice, receipt_jpeg(), callback_url=receiver.url)
    wait_for(client, alice, job_id)
    requests = receiver.wait_for_requests(3)
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1
    for request in requests:
        check_signature(settings.webhook_secret, request)
    assert requests[1]["at"] - requests[0]["at"] >= 0.09  # base 0.2 s, jitter: at least half
    delivery = settled(ctx, job_id)
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    time.sleep(1.0)
    assert len(receiver.requests) == 3


def test_410_gone_stops_after_one_attempt(client, alice, worker, ctx, receiver_factory):
    receiver = receiver_factory(410)
    job_id = submit(client, alice, receipt_jpeg(), callback_url=receiver.url)
    wait_for(client, alice, job_id)
    receiver.wait_for_requests(1)
    delivery = settled(ctx, job_id)
    assert delivery["state"] == "gone" and delivery["attempts"] == 1
    time.sleep(2.0)  # several retry delays of the test settings
    assert len(receiver.requests) == 1


def test_job_cancelled_while_queued_is_reported_too(
    client, alice, worker, settings, ctx, receiver_factory
):
    receiver = receiver_factory(204)
    busy = submit(client, alice, long_receipt_jpeg())
    job_id = submit(client, alice, receipt_jpeg(), callback_url=receiver.url)
    response = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    (request,) = receiver.wait_for_requests(1)
    check_signature(settings.webhook_secret, request)
    assert json.loads(request["body"])["status"] == "cancelled"
    assert settled(ctx, job_id)["event"] == "job.cancelled"
    wait_for(client, alice, busy, timeout=120)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "not a url", "https://x.io/" + "a" * 2048],
)
def test_bad_callback_url_is_a_422_problem(client, alice, url):
    response = client.post(
        "/api/v3/receipts/process", headers=alice,
        data={"file": (io.BytesIO(receipt_jpeg()), "r.jpg"), "callback_url": url},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "callback_url" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "http://[::1]:9/x", "http://169.254.169.254/latest/meta-data/",
     "http://10.0.0.1/x", "http://user:pass@93.184.216.34/x",
     # IPv6 forms of internal IPv4 addresses: translated, compatible, local-use NAT64
     "http://[::ffff:0:a9fe:a9fe]/", "http://[::7f00:1]/", "http://[64:ff9b:1::a9fe:a9fe]/"],
)  # fmt: skip
def test_private_callback_url_is_a_422_problem_when_not_allowed(
    app, client, alice, settings, monkeypatch, url
):
    """SSRF: with RECEIPTQ_WEBHOOK_ALLOW_PRIVATE off (the default; these tests turn it on
    for their 127.0.0.1 receivers), a callback to a non-public address is refused."""
    strict = settings.model_copy(update={"webhook_allow_private": False})
    monkeypatch.setitem(app.config, "RECEIPTQ_SETTINGS", strict)
    response = client.post(
        "/api/v3/receipts/process", headers=alice,
        data={"file": (io.BytesIO(receipt_jpeg()), "r.jpg"), "callback_url": url},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    detail = response.get_json()["detail"]
    assert "callback_url" in detail
    assert ("public" in detail) if "@" not in url else ("password" in detail)
