"""Similar receipts end to end: real worker (receipts + index queues), PostgreSQL vectors,
the API's FAISS index built from them."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from conftest import ROOT
from factories import RECEIPT_LINES, render_lines
from openapi_check import assert_documented
from waiting import wait_for

from receiptq.search import indexing, reader
from receiptq.store.keys import create_key

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"
SIMILAR = "/api/v3/receipts/{}/similar"


def submit(client, headers, data: bytes, name: str) -> str:
    response = client.post(
        PROCESS, headers=headers, data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]


def similar(client, headers, job_id: str, **params):
    return client.get(SIMILAR.format(job_id), headers=headers, query_string=params)


def wait_similar(client, headers, job_id: str, count: int, timeout: float = 90) -> dict:
    """Poll until `count` other receipts are indexed (the index task runs after save)."""
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        response = similar(client, headers, job_id)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        if len(body["items"]) >= count:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{job_id}: fewer than {count} similar receipts: {body}")


@pytest.fixture(scope="module")
def carol(ctx) -> dict[str, str]:
    """A user of this module only: other tests fill alice's account with look-alikes."""
    _, key = create_key(ctx.pool, f"carol-{uuid.uuid4().hex[:8]}")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def carol_jobs(app, carol, worker) -> dict[str, str]:
    client = app.test_client()
    jobs = {
        "first": submit(client, carol, render_lines([*RECEIPT_LINES, "TRANS X1"]), "a.jpg"),
        "second": submit(client, carol, render_lines([*RECEIPT_LINES, "TRANS X2"]), "b.jpg"),
        "other": submit(
            client, carol, (ROOT / "samples" / "pl_fiscal_2024_000.png").read_bytes(), "c.png"
        ),
    }
    for job_id in jobs.values():
        assert wait_for(client, carol, job_id)["status"] == "completed"
    return jobs


def test_a_rephotographed_receipt_is_a_duplicate_ranked_above_another(
    app, client, carol, carol_jobs
):
    first, second, other = carol_jobs["first"], carol_jobs["second"], carol_jobs["other"]
    body = wait_similar(client, carol, first, 2)
    assert body["job_id"] == first
    items = body["items"]
    assert [i["job_id"] for i in items] == [second, other], items
    top, low = items
    assert top["duplicate"] is True and top["score"] >= reader.DUPLICATE_THRESHOLD
    assert low["duplicate"] is False and low["score"] < top["score"]
    assert top["total"] == "3.60" and top["date"] == "2024-03-14"
    assert "CORNER GROCER" in (top["merchant"] or "")
    assert first not in [i["job_id"] for i in items]
    response = similar(client, carol, first, limit=1)
    assert [i["job_id"] for i in response.get_json()["items"]] == [second]
    assert_documented(app, "/api/v3/receipts/{job_id}/similar", "GET", response)


def test_another_users_job_is_404_and_their_receipts_never_show(
    client, carol, bob, carol_jobs, worker
):
    first = carol_jobs["first"]
    response = similar(client, bob, first)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    # bob has the very same receipt: he still sees only his own
    mine = submit(client, bob, render_lines([*RECEIPT_LINES, "TRANS X3"]), "d.jpg")
    assert wait_for(client, bob, mine)["status"] == "completed"
    body = similar(client, bob, mine, limit=50).get_json()
    assert not set(carol_jobs.values()) & {i["job_id"] for i in body["items"]}
    assert mine not in {i["job_id"] for i in wait_similar(client, carol, first, 2)["items"]}


def test_any_api_process_answers_from_postgresql(settings, carol, carol_jobs):
    """A fresh app (another host, no shared disk) builds its index from receipt_vectors."""
    from receiptq.api import create_app

    fresh = create_app(settings).test_client()
    items = wait_similar(fresh, carol, carol_jobs["first"], 2)["items"]
    assert [i["job_id"] for i in items] == [carol_jobs["second"], carol_jobs["other"]]


def test_indexing_again_is_a_no_op(ctx, carol_jobs):
    assert indexing.index_job(ctx, carol_jobs["first"]) == "unchanged"
    assert indexing.index_job(ctx, str(uuid.uuid4())) == "missing"


def test_bad_limit_is_400_and_jobs_without_a_receipt_are_404(client, carol):
    assert similar(client, carol, str(uuid.uuid4())).status_code == 404
    assert similar(client, carol, "not-a-uuid").status_code == 404
    for bad in ("0", "51", "x"):
        response = similar(client, carol, str(uuid.uuid4()), limit=bad)
        assert response.status_code == 400, bad
        assert response.mimetype == "application/problem+json"


def test_a_deleted_receipt_drops_out(client, carol, carol_jobs):
    """Runs last in this module: it deletes the duplicate."""
    first, second = carol_jobs["first"], carol_jobs["second"]
    wait_similar(client, carol, first, 2)  # the index holds `second`
    assert client.delete(f"/api/v3/receipts/{second}", headers=carol).status_code == 200
    items = similar(client, carol, first).get_json()["items"]
    assert [i["job_id"] for i in items] == [carol_jobs["other"]]
    response = similar(client, carol, second)
    assert response.status_code == 404
    assert "no saved receipt" in response.get_json()["detail"]
