"""POST /api/v3/receipts/{job_id}/reprocess: a new job on the stored original."""

from __future__ import annotations

import io

import pytest
import redis
from factories import long_receipt_jpeg, receipt_jpeg
from openapi_check import assert_documented
from waiting import wait_for

pytestmark = pytest.mark.integration

PATH = "/api/v3/receipts/{job_id}/reprocess"


def post(client, headers, data: bytes, **form):
    return client.post(
        "/api/v3/receipts/process", headers=headers,
        data={"file": (io.BytesIO(data), "r.jpg"), **form}, content_type="multipart/form-data",
    )  # fmt: skip


def submit_and_finish(client, headers, data: bytes | None = None, **form) -> str:
    response = post(client, headers, data or receipt_jpeg(), **form)
    assert response.status_code == 202, response.get_data(as_text=True)
    job_id = response.get_json()["job_id"]
    assert wait_for(client, headers, job_id)["status"] == "completed"
    return job_id


def reprocess(client, headers, job_id: str, **kwargs):
    return client.post(f"/api/v3/receipts/{job_id}/reprocess", headers=headers, **kwargs)


def upload_of(ctx, job_id: str):
    with ctx.pool.connection() as conn:
        return conn.execute(
            "SELECT upload_id::text AS upload_id, parent_job_id::text AS parent FROM jobs"
            " WHERE id = %s",
            (job_id,),
        ).fetchone()


def test_reprocess_runs_a_new_linked_job_on_the_same_upload(client, app, alice, worker, ctx):
    old = submit_and_finish(client, alice)
    response = reprocess(client, alice, old)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert_documented(app, PATH, "post", response)
    body = response.get_json()
    new = body["job_id"]
    assert new != old and body["reprocessed_from"] == old and body["status"] == "queued"
    assert response.headers["Location"] == body["status_url"]

    job = wait_for(client, alice, new)
    assert job["status"] == "completed" and job["result"]["total"] == "3.60"
    assert job["reprocessed_from"] == old
    old_status = client.get(f"/api/v3/receipts/status/{old}", headers=alice)
    assert old_status.get_json()["reprocessed_as"] == [new]
    assert old_status.get_json()["result"]["total"] == "3.60"  # the old result stays
    assert_documented(app, "/api/v3/receipts/status/{job_id}", "get", old_status)
    assert upload_of(ctx, new)["upload_id"] == upload_of(ctx, old)["upload_id"]
    assert upload_of(ctx, new)["parent"] == old


def test_links_survive_redis_losing_the_job_state(client, alice, worker, settings):
    old = submit_and_finish(client, alice)
    new = reprocess(client, alice, old).get_json()["job_id"]
    wait_for(client, alice, new)
    client_redis = redis.Redis.from_url(settings.redis_url)
    client_redis.delete(f"receiptq:job:{old}", f"receiptq:job:{new}")
    assert (
        client.get(f"/api/v3/receipts/status/{new}", headers=alice).get_json()["reprocessed_from"]
        == old
    )
    assert client.get(f"/api/v3/receipts/status/{old}", headers=alice).get_json()[
        "reprocessed_as"
    ] == [new]


def test_reprocessing_is_not_a_duplicate_and_uploads_stay_deduplicated(client, alice, worker):
    data = receipt_jpeg()
    old = submit_and_finish(client, alice, data)
    first = reprocess(client, alice, old)
    second = reprocess(client, alice, old)
    assert first.status_code == second.status_code == 202
    assert first.get_json()["job_id"] != second.get_json()["job_id"]
    for response in (first, second):
        wait_for(client, alice, response.get_json()["job_id"])
    again = post(client, alice, data)  # the same bytes uploaded again: the newest live job
    assert again.status_code == 200
    assert again.get_json()["duplicate_of"] == second.get_json()["job_id"]
    links = client.get(f"/api/v3/receipts/status/{old}", headers=alice).get_json()
    assert links["reprocessed_as"] == [first.get_json()["job_id"], second.get_json()["job_id"]]


def test_another_users_job_is_404(client, app, alice, bob, worker):
    old = submit_and_finish(client, alice)
    response = reprocess(client, bob, old)
    assert response.status_code == 404
    assert_documented(app, PATH, "post", response)
    assert reprocess(client, bob, "not-a-uuid").status_code == 404


def test_unfinished_job_is_409(client, app, alice, worker):
    response = post(client, alice, long_receipt_jpeg())
    job_id = response.get_json()["job_id"]
    again = reprocess(client, alice, job_id)
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.get_json()["job_status"] in {"queued", "processing"}
    assert_documented(app, PATH, "post", again)
    wait_for(client, alice, job_id)


def test_purged_original_is_410(client, app, alice, worker):
    purged = submit_and_finish(client, alice, delete_after_processing="true")
    response = reprocess(client, alice, purged)
    assert response.status_code == 410, response.get_data(as_text=True)
    assert response.get_json()["type"].endswith("/original-purged")
    assert_documented(app, PATH, "post", response)

    deleted = submit_and_finish(client, alice)
    assert client.delete(f"/api/v3/receipts/{deleted}", headers=alice).status_code == 200
    assert reprocess(client, alice, deleted).status_code == 410


def test_reprocess_accepts_a_callback_url_and_checks_it(client, alice, worker):
    old = submit_and_finish(client, alice)
    bad = reprocess(client, alice, old, json={"callback_url": "ftp://example.com/x"})
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
