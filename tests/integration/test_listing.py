"""GET /api/v3/receipts (keyset pages, status filter) and the CSV and JSON exports."""

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


def test_items_export_has_a_row_per_item_of_every_completed_receipt(
    client, app, carol, carols_jobs
):
    """rows=items: the items as the status' result lists them, in their order, each with
    its receipt's columns; line counts from 1."""
    response = client.get(EXPORT + "?rows=items", headers=carol)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="receipt-items.csv"' in response.headers["Content-Disposition"]
    assert_documented(app, EXPORT, "get", response)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["job_id", "created_at", "merchant", "date", "currency",
                             "receipt_total", "line", "description", "quantity", "unit_price",
                             "total_price", "category"]  # fmt: skip
    assert list(dict.fromkeys(row["job_id"] for row in rows)) == list(reversed(carols_jobs[:3]))
    for job_id in carols_jobs[:3]:
        result = client.get(f"/api/v3/receipts/status/{job_id}", headers=carol).get_json()["result"]
        mine = [row for row in rows if row["job_id"] == job_id]
        assert result["items"], result
        assert [row["description"] for row in mine] == [i["description"] for i in result["items"]]
        assert [row["line"] for row in mine] == [str(n) for n in range(1, len(mine) + 1)]
        assert [row["total_price"] for row in mine] == [
            i["total_price"] or "" for i in result["items"]
        ]
        assert {row["receipt_total"] for row in mine} == {result["total"]}


def test_items_export_keeps_a_receipt_without_items_and_escapes_formulas(
    client, ctx, carol, carols_jobs
):
    job_id = carols_jobs[1]
    with ctx.pool.connection() as conn:
        saved = conn.execute(
            "SELECT * FROM receipt_items WHERE job_id = %s ORDER BY position", (job_id,)
        ).fetchall()
        other = conn.execute(
            "SELECT description, category FROM receipt_items WHERE job_id = %s AND position = 0",
            (carols_jobs[2],),
        ).fetchone()
        conn.execute("DELETE FROM receipt_items WHERE job_id = %s", (job_id,))
    try:
        rows = list(csv.DictReader(io.StringIO(
            client.get(EXPORT + "?rows=items", headers=carol).get_data(as_text=True)
        )))  # fmt: skip
        empty = [row for row in rows if row["job_id"] == job_id]
        assert len(empty) == 1 and empty[0]["line"] == "" and empty[0]["description"] == ""
        with ctx.pool.connection() as conn:
            conn.execute(
                "UPDATE receipt_items SET description = '=1+2', category = '@cat'"
                " WHERE job_id = %s AND position = 0",
                (carols_jobs[2],),
            )
        rows = list(csv.DictReader(io.StringIO(
            client.get(EXPORT + "?rows=items", headers=carol).get_data(as_text=True)
        )))  # fmt: skip
        first = next(row for row in rows if row["job_id"] == carols_jobs[2])
        assert (first["description"], first["category"]) == ("'=1+2", "'@cat")
    finally:  # as they were, for the other tests of the module
        with ctx.pool.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE receipt_items SET description = %s, category = %s"
                " WHERE job_id = %s AND position = 0",
                (other["description"], other["category"], carols_jobs[2]),
            )
            cur.executemany(
                "INSERT INTO receipt_items (job_id, position, description, quantity,"
                " unit_price, total_price, category) VALUES (%(job_id)s, %(position)s,"
                " %(description)s, %(quantity)s, %(unit_price)s, %(total_price)s, %(category)s)",
                saved,
            )


def test_export_rows_must_be_receipts_or_items(client, app, carol):
    response = client.get(EXPORT + "?rows=lines", headers=carol)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "rows must be" in response.get_json()["detail"]


def test_json_export_has_every_completed_receipt_whole(client, app, carol, carols_jobs):
    response = client.get("/api/v3/receipts/export.json", headers=carol)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.is_streamed
    assert_documented(app, "/api/v3/receipts/export.json", "get", response)
    receipts = response.get_json()["receipts"]
    assert [r["job_id"] for r in receipts] == list(reversed(carols_jobs[:3]))
    for entry in receipts:
        status = client.get(f"/api/v3/receipts/status/{entry['job_id']}", headers=carol)
        assert entry["result"] == status.get_json()["result"]


def test_exports_show_no_other_users_receipts(client, bob, carols_jobs):
    for path in (EXPORT + "?rows=items", "/api/v3/receipts/export.json"):
        text = client.get(path, headers=bob).get_data(as_text=True)
        assert not any(job_id in text for job_id in carols_jobs), path
