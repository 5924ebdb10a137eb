"""GET /api/v3/receipts (keyset pages, status filter) and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from factories import receipt_jpeg
from openapi_check import assert_documented
from waiting import wait_for

from receiptq.api.listing import encode_cursor

pytestmark = pytest.mark.integration

LIST = "/api/v3/receipts"
EXPORT = "/api/v3/receipts/export.csv"


@pytest.fixture(scope="module")
def carol(ctx) -> dict[str, str]:
    """A user of this module only, so other tests' jobs don't show in the list."""
    from receiptq.store.keys import create_key

    return {"Authorization": f"Bearer {create_key(ctx.pool, f'carol-{uuid.uuid4().hex[:8]}')[1]}"}


def submit(client, headers, data: bytes) -> str:
    response = client.post(
        "/api/v3/receipts/process", headers=headers,
        data={"file": (io.BytesIO(data), "r.jpg")}, content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]


@pytest.fixture(scope="module")
def carols_jobs(client_module, carol, worker) -> list[str]:
    """Three completed jobs and one cancelled, oldest first."""
    ids = [submit(client_module, carol, receipt_jpeg()) for _ in range(3)]
    for job_id in ids:
        assert wait_for(client_module, carol, job_id)["status"] == "completed"
    queued = submit(client_module, carol, receipt_jpeg())
    response = client_module.delete(f"/api/v3/receipts/cancel/{queued}", headers=carol)
    assert response.status_code == 200
    wait_for(client_module, carol, queued)
    return [*ids, queued]


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


def test_pages_cover_every_job_newest_first_without_repeats(client, app, carol, carols_jobs):
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get(LIST, headers=carol, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert_documented(app, LIST, "get", response)
        body = response.get_json()
        assert len(body["items"]) <= 2
        seen += [item["job_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(carols_jobs))
    assert pages == 2


def test_items_carry_a_summary_once_completed(client, carol, carols_jobs):
    items = client.get(LIST, headers=carol).get_json()["items"]
    by_id = {item["job_id"]: item for item in items}
    done = by_id[carols_jobs[0]]
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["summary"]["total"] == "3.60" and done["summary"]["date"] == "2024-03-14"
    assert "CORNER GROCER" in (done["summary"]["merchant"] or "")
    assert done["status_url"].endswith(f"/api/v3/receipts/status/{done['job_id']}")
    cancelled = by_id[carols_jobs[3]]
    assert cancelled["status"] == "cancelled" and cancelled["summary"] is None


def test_status_filter_repeated_or_comma_list(client, carol, carols_jobs):
    def ids(query: str) -> list[str]:
        response = client.get(LIST + query, headers=carol)
        assert response.status_code == 200
        return [item["job_id"] for item in response.get_json()["items"]]

    assert ids("?status=cancelled") == [carols_jobs[3]]
    assert ids("?status=completed") == list(reversed(carols_jobs[:3]))
    assert ids("?status=completed,cancelled") == list(reversed(carols_jobs))
    assert ids("?status=completed&status=cancelled") == list(reversed(carols_jobs))
    assert ids("?status=failed") == []


def test_another_user_sees_none_of_them(client, bob, carols_jobs):
    items = client.get(LIST, headers=bob, query_string={"limit": 200}).get_json()["items"]
    assert not {item["job_id"] for item in items} & set(carols_jobs)


@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=201", "?limit=ten", "?status=done", "?cursor=bm9wZQ", "?cursor=%%"],
)
def test_bad_parameters_are_400_problems(client, app, carol, query):
    response = client.get(LIST + query, headers=carol)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert_documented(app, LIST, "get", response)


@pytest.mark.parametrize("job_id", ["x" * 36, "not-a-uuid", "", "'; select 1; --" + "-" * 21])
def test_a_forged_cursor_with_an_id_that_is_no_uuid_is_a_400_problem(client, app, carol, job_id):
    cursor = encode_cursor(dt.datetime.now(dt.UTC), job_id)
    response = client.get(LIST, headers=carol, query_string={"cursor": cursor})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "cursor" in response.get_json()["detail"]


def test_list_needs_a_key(client, app):
    response = client.get(LIST)
    assert response.status_code == 401
    assert_documented(app, LIST, "get", response)


def test_export_has_the_completed_receipts(client, app, carol, carols_jobs):
    response = client.get(EXPORT, headers=carol)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    assert_documented(app, EXPORT, "get", response)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["job_id"] for row in rows] == list(reversed(carols_jobs[:3]))
    first = rows[0]
    assert list(first) == ["job_id", "created_at", "merchant", "address", "date", "total",
                           "currency", "items"]  # fmt: skip
    assert first["total"] == "3.60" and first["date"] == "2024-03-14"
    assert int(first["items"]) >= 1


def test_export_neutralises_spreadsheet_formulas(client, ctx, carol, carols_jobs):
    with ctx.pool.connection() as conn:
        conn.execute(
            "UPDATE receipts SET merchant_name = '=HYPERLINK(\"x\")' WHERE job_id = %s",
            (carols_jobs[0],),
        )
    text = client.get(EXPORT, headers=carol).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    merchant = next(row["merchant"] for row in rows if row["job_id"] == carols_jobs[0])
    assert merchant == '\'=HYPERLINK("x")'
