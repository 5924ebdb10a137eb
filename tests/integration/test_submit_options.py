"""Duplicates, Idempotency-Key, privacy deletes and hostile file names, over real services."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from factories import receipt_jpeg
from waiting import wait_for

from receiptq import store
from receiptq.jobs import SubmitOptions

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"


def post(client, headers, data: bytes, name: str = "r.jpg", query: str = "", **form):
    return client.post(
        PROCESS + query, headers=headers, data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )  # fmt: skip


def user_id(ctx, headers) -> str:
    from receiptq.store.keys import user_for_key

    return user_for_key(ctx.pool, headers["Authorization"].split()[1]).id


def test_identical_bytes_answer_with_the_existing_job_unless_forced(client, alice, bob, worker):
    data = receipt_jpeg()
    first = post(client, alice, data)
    assert first.status_code == 202
    job_id = first.get_json()["job_id"]
    again = post(client, alice, data)
    assert again.status_code == 200
    assert again.get_json()["duplicate_of"] == job_id
    assert again.get_json()["job_id"] == job_id
    forced = post(client, alice, data, query="?force=true")
    assert forced.status_code == 202 and forced.get_json()["job_id"] != job_id
    other_user = post(client, bob, data)  # dedup is per user: bob learns nothing of alice
    assert other_user.status_code == 202 and "duplicate_of" not in other_user.get_json()
    for headers, response in ((alice, first), (alice, forced), (bob, other_user)):
        wait_for(client, headers, response.get_json()["job_id"])


def test_idempotency_key_replays_the_same_job(client, alice, worker):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    data = receipt_jpeg()
    first = post(client, {**alice, **key}, data)
    assert first.status_code == 202
    replay = post(client, {**alice, **key}, data)
    assert replay.status_code == 202
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["job_id"] == first.get_json()["job_id"]
    other_file = post(client, {**alice, **key}, receipt_jpeg())
    assert other_file.status_code == 422
    assert other_file.mimetype == "application/problem+json"
    assert "different file" in other_file.get_json()["detail"]
    wait_for(client, alice, first.get_json()["job_id"])


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("?force=true", {}),
        ("", {"delete_after_processing": "true"}),
        ("", {"callback_url": "http://127.0.0.1:9/hook"}),
    ],
    ids=["force", "delete_after_processing", "callback_url"],
)
def test_idempotency_key_with_the_same_file_and_other_options_is_422(
    client, alice, worker, query, form
):
    """Replaying the first job would silently drop the new option: refused like another file."""
    key = {"Idempotency-Key": str(uuid.uuid4())}
    data = receipt_jpeg()
    first = post(client, {**alice, **key}, data)
    assert first.status_code == 202
    other = post(client, {**alice, **key}, data, query=query, **form)
    assert other.status_code == 422, other.get_data(as_text=True)
    assert other.mimetype == "application/problem+json"
    assert "different options" in other.get_json()["detail"]
    assert "Idempotent-Replayed" not in other.headers
    wait_for(client, alice, first.get_json()["job_id"])


def test_idempotency_key_in_flight_is_409(client, alice, ctx):
    key, data = str(uuid.uuid4()), receipt_jpeg()
    # What a first request leaves while it is still being accepted: a claim, no job yet.
    fingerprint = SubmitOptions(idempotency_key=key).fingerprint(hashlib.sha256(data).digest())
    claim = store.idempotency.claim(ctx.pool, user_id(ctx, alice), key, fingerprint)
    assert claim.owned
    response = post(client, {**alice, "Idempotency-Key": key}, data)
    assert response.status_code == 409
    assert "still being accepted" in response.get_json()["detail"]


def test_refused_upload_releases_its_idempotency_key(client, alice, worker):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert post(client, {**alice, **key}, b"").status_code == 422
    response = post(client, {**alice, **key}, receipt_jpeg())
    assert response.status_code == 202
    wait_for(client, alice, response.get_json()["job_id"])


def stored_image(ctx, job_id: str):
    with ctx.pool.connection() as conn:
        return conn.execute(
            "SELECT u.data, u.purged_at FROM jobs j JOIN uploads u ON u.id = j.upload_id"
            " WHERE j.id = %s",
            (job_id,),
        ).fetchone()


def test_delete_purges_image_and_result_and_leaves_a_tombstone(client, alice, bob, worker, ctx):
    job_id = post(client, alice, receipt_jpeg()).get_json()["job_id"]
    assert wait_for(client, alice, job_id)["status"] == "completed"
    assert client.delete(f"/api/v3/receipts/{job_id}", headers=bob).status_code == 404
    response = client.delete(f"/api/v3/receipts/{job_id}", headers=alice)
    assert response.status_code == 200 and response.get_json()["status"] == "deleted"
    status = client.get(f"/api/v3/receipts/status/{job_id}", headers=alice).get_json()
    assert status["status"] == "deleted" and status["result"] is None
    assert stored_image(ctx, job_id)["data"] is None
    assert store.receipts.count_for_job(ctx.pool, job_id) == (0, 0)
    again = client.delete(f"/api/v3/receipts/cancel/{job_id}", headers=alice)
    assert again.status_code == 409


def test_delete_after_processing_keeps_no_image(client, alice, worker, ctx):
    response = post(client, alice, receipt_jpeg(), delete_after_processing="true")
    job_id = response.get_json()["job_id"]
    assert stored_image(ctx, job_id)["data"] is not None  # needed until processed
    job = wait_for(client, alice, job_id)
    assert job["status"] == "completed" and job["result"]["total"] == "3.60"
    row = stored_image(ctx, job_id)
    assert row["data"] is None and row["purged_at"] is not None


def test_every_status_carries_expires_at(client, alice, worker, settings):
    import datetime as dt

    response = post(client, alice, receipt_jpeg())
    body = response.get_json()
    created = client.get(body["status_url"].split("localhost")[-1], headers=alice).get_json()
    expires = dt.datetime.fromisoformat(created["expires_at"].replace("Z", "+00:00"))
    start = dt.datetime.fromisoformat(created["created_at"].replace("Z", "+00:00"))
    assert expires - start == dt.timedelta(hours=settings.retention_hours)
    assert body["expires_at"] == created["expires_at"]
    wait_for(client, alice, body["job_id"])


@pytest.mark.parametrize(
    "name", ["../../x.jpg", "a\x00b.jpg", "x" * 10_000 + ".jpg", "..\\..\\win.jpg", ""]
)
def test_hostile_filenames_are_metadata_only(client, alice, worker, ctx, name):
    response = post(client, alice, receipt_jpeg(), name=name)
    assert response.status_code in (202, 400), response.get_data(as_text=True)
    if response.status_code == 400:  # an empty name means no file part at all
        assert response.mimetype == "application/problem+json"
        return
    job_id = response.get_json()["job_id"]
    with ctx.pool.connection() as conn:
        stored = conn.execute(
            "SELECT u.filename FROM jobs j JOIN uploads u ON u.id = j.upload_id WHERE j.id = %s",
            (job_id,),
        ).fetchone()["filename"]
    assert stored is None or ("/" not in stored and "\\" not in stored and "\x00" not in stored)
    assert stored is None or len(stored) <= 255
    assert wait_for(client, alice, job_id)["status"] == "completed"
