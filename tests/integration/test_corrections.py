"""PATCH a receipt: the correction is served afterwards, kept as revisions beside the first
reading, and a corrected merchant name comes back on the user's next receipt from the
same shop (and nobody else's)."""

from __future__ import annotations

import uuid

import pytest
from factories import render_lines, user_headers
from openapi_check import assert_documented
from waiting import submit, wait_for

pytestmark = pytest.mark.integration

SHOP = [
    "KEDAI BUKU CAHAYA SDN BHD",
    "NO 7, JALAN MELATI 2,",
    "81100 JOHOR BAHRU, JOHOR",
    "TEL: 07-355 1234",
    "GST ID : 001234567890",
    "",
    "Date: 14/03/2019  10:42:05",
    "NOTEBOOK A5          7.00",
    "PEN BLUE             1.50",
    "TOTAL                8.50",
    "CASH                10.00",
]
# The same shop (same GST ID) printed elsewhere: another address, no phone.
SAME_SHOP_ELSEWHERE = [
    "KEDAI BUKU CAHAYA SDN BHD",
    "LOT 12, JALAN DUTA 5,",
    "50480 KUALA LUMPUR",
    "GST ID : 001234567890",
    "",
    "Date: 02/04/2019  09:15:00",
    "RULER 30CM           2.20",
    "TOTAL                2.20",
    "CASH                 5.00",
]
TAUGHT = "Cahaya Books (Johor)"


def _receipt(client, headers, lines: list[str]) -> dict:
    data = render_lines([*lines, f"TRANS {uuid.uuid4().hex[:8].upper()}"])
    job = wait_for(client, headers, submit(client, headers, data))
    assert job["status"] == "completed", job
    return job


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.fixture(scope="module")
def dana(ctx):
    return user_headers(ctx, "dana")


@pytest.fixture(scope="module")
def erin(ctx):
    return user_headers(ctx, "erin")


@pytest.fixture(scope="module")
def corrected(client_module, dana, worker) -> tuple[dict, dict]:
    """Dana's receipt from the shop, before and after she corrects its name and total."""
    job = _receipt(client_module, dana, SHOP)
    assert job["result"]["merchant"]["tax_id"] == "001234567890"
    response = client_module.patch(
        f"/api/v3/receipts/{job['job_id']}", headers=dana,
        json={"merchant": {"name": TAUGHT}, "total": "8.5",
              "items": {"1": {"category": "household"}}},
    )  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    return job, response.get_json()


def test_a_correction_is_served_after_a_reload(app, client, dana, corrected, ctx):
    before, answer = corrected
    assert answer["result"]["merchant"]["name"] == TAUGHT
    assert answer["result"]["confidence"]["sources"]["merchant.name"] == "corrected"
    assert answer["result"]["confidence"]["fields"]["merchant.name"] == 1.0
    job_id = before["job_id"]
    # Redis (what polls read) and PostgreSQL (when Redis lost the key) both say so.
    status = client.get(f"/api/v3/receipts/status/{job_id}", headers=dana).get_json()
    assert status["result"]["merchant"]["name"] == TAUGHT
    assert status["result"]["total"] == "8.50"
    assert status["result"]["items"][1]["category"] == "household"
    ctx.redis.delete(f"receiptq:job:{job_id}")
    status = client.get(f"/api/v3/receipts/status/{job_id}", headers=dana).get_json()
    assert status["result"]["merchant"]["name"] == TAUGHT
    listed = client.get("/api/v3/receipts", headers=dana).get_json()["items"]
    assert {item["summary"]["merchant"] for item in listed if item["job_id"] == job_id} == {TAUGHT}
    # The first reading is kept.
    from receiptq.store.corrections import original

    assert original(ctx.pool, job_id)["merchant"]["name"] == before["result"]["merchant"]["name"]


def test_revisions_list_each_changed_field(app, client, dana, corrected):
    before, _ = corrected
    response = client.get(f"/api/v3/receipts/{before['job_id']}/revisions", headers=dana)
    assert response.status_code == 200
    assert_documented(app, "/api/v3/receipts/{job_id}/revisions", "get", response)
    items = response.get_json()["items"]
    by_field = {item["field"]: item for item in items}
    # "8.5" is the total already read (8.50): not a change.
    assert set(by_field) == {"merchant.name", "items[1].category"}
    assert by_field["merchant.name"]["old_value"] == before["result"]["merchant"]["name"]
    assert by_field["merchant.name"]["new_value"] == TAUGHT
    assert by_field["merchant.name"]["user"].startswith("dana-")


def test_the_next_receipt_from_the_shop_has_the_taught_name(client, dana, corrected):
    second = _receipt(client, dana, SAME_SHOP_ELSEWHERE)
    result = second["result"]
    assert result["merchant"]["name"] == TAUGHT
    assert result["confidence"]["fields"]["merchant.name"] == 1.0
    assert result["confidence"]["sources"]["merchant.name"] == "corrected_from_memory"


def test_another_user_is_not_taught(client, erin, corrected):
    other = _receipt(client, erin, SAME_SHOP_ELSEWHERE)
    assert other["result"]["merchant"]["name"] != TAUGHT
    assert "merchant.name" not in other["result"]["confidence"].get("sources", {})


def test_another_users_receipt_is_404_and_unchanged(app, client, erin, dana, corrected):
    before, _ = corrected
    url = f"/api/v3/receipts/{before['job_id']}"
    response = client.patch(url, headers=erin, json={"total": "1.00"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.get(f"{url}/revisions", headers=erin).status_code == 404
    status = client.get(f"/api/v3/receipts/status/{before['job_id']}", headers=dana).get_json()
    assert status["result"]["total"] == "8.50"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"total": "twelve"}, 422, "total"),
        ({"date": "2024-13-40"}, 422, "date"),
        ({"items": {"99": {"category": "dairy"}}}, 422, None),
        ({"items": {"0": {"category": "shoes"}}}, 422, "items"),
        ({"colour": "red"}, 422, "colour"),
        ({}, 422, None),
        ({"merchant": None}, 422, None),
    ],
)
def test_bad_bodies_are_problems(app, client, dana, corrected, body, status, field):
    before, _ = corrected
    url = f"/api/v3/receipts/{before['job_id']}"
    response = client.patch(url, headers=dana, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert_documented(app, "/api/v3/receipts/{job_id}", "patch", response)
    if field:
        assert response.get_json()["detail"].startswith(field)


def test_not_json_is_415_and_broken_json_400(client, dana, corrected):
    url = f"/api/v3/receipts/{corrected[0]['job_id']}"
    assert client.patch(url, headers=dana, data="total=1").status_code == 415
    broken = client.patch(url, headers=dana, data="{", content_type="application/json")
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"


def test_the_patch_answer_is_documented(app, client, dana, corrected):
    url = f"/api/v3/receipts/{corrected[0]['job_id']}"
    response = client.patch(url, headers=dana, json={"tax": None})
    assert response.status_code == 200
    assert_documented(app, "/api/v3/receipts/{job_id}", "patch", response)
