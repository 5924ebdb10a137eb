"""GET /api/v3/receipts/{job_id}/pages/{n} (the stored upload as the pipeline sees it, to
its owner only) and the list's and export's receipt filters (date, merchant)."""

from __future__ import annotations

import csv
import io
import uuid

import numpy as np
import pytest
from factories import RECEIPT_LINES, render_lines, user_headers
from openapi_check import assert_documented
from PIL import Image
from waiting import submit, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.fixture(scope="module")
def fran(ctx):
    return user_headers(ctx, "fran")


@pytest.fixture(scope="module")
def sideways(client_module, fran, worker) -> tuple[str, Image.Image]:
    """A JPEG stored turned a quarter left, with EXIF orientation 6 saying so: its page
    is served upright, as the pipeline read it."""
    upright = Image.open(io.BytesIO(render_lines([*RECEIPT_LINES, uuid.uuid4().hex])))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to view
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", exif=exif, quality=95)
    job_id = submit(client_module, fran, out.getvalue())
    assert wait_for(client_module, fran, job_id)["status"] == "completed"
    return job_id, upright.convert("L")


def test_the_page_is_the_upright_image_as_png(app, client, fran, sideways):
    job_id, _ = sideways
    response = client.get(f"/api/v3/receipts/{job_id}/pages/0", headers=fran)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Page-Count"] == "1"
    assert "private" in response.headers["Cache-Control"]
    assert_documented(app, "/api/v3/receipts/{job_id}/pages/{n}", "get", response)
    page = Image.open(io.BytesIO(response.data))
    assert page.format == "PNG"
    upright = sideways[1]
    assert page.size == upright.size  # turned as EXIF says
    difference = np.abs(np.asarray(page.convert("L"), float) - np.asarray(upright, float))
    assert difference.mean() < 8  # the same picture, but for JPEG's losses


def test_another_user_and_a_missing_page_get_404(client, ctx, fran, sideways):
    job_id, _ = sideways
    other = user_headers(ctx, "gus")
    for headers, path in [(other, "pages/0"), (fran, "pages/1"), (fran, "pages/0x")]:
        response = client.get(f"/api/v3/receipts/{job_id}/{path}", headers=headers)
        assert response.status_code == 404, path
    assert client.get(f"/api/v3/receipts/{job_id}/pages/0").status_code == 401


def test_a_deleted_jobs_page_is_gone(client, client_module, fran, worker):
    job_id = submit(client_module, fran, render_lines([*RECEIPT_LINES, uuid.uuid4().hex]))
    wait_for(client_module, fran, job_id)
    assert client.delete(f"/api/v3/receipts/{job_id}", headers=fran).status_code == 200
    response = client.get(f"/api/v3/receipts/{job_id}/pages/0", headers=fran)
    assert response.status_code == 410
    assert response.mimetype == "application/problem+json"


@pytest.fixture(scope="module")
def hana(ctx, client_module, worker) -> tuple[dict[str, str], dict[str, str]]:
    """Hana's two receipts from two months and shops: job ids by shop."""
    headers = user_headers(ctx, "hana")
    shops = {
        "CORNER GROCER LTD": "DATE: 14/03/2024  TIME: 10:42",
        "HILLTOP BAKERY": "DATE: 02/04/2024  TIME: 09:10",
    }
    ids = {}
    for shop, date in shops.items():
        lines = [shop, *RECEIPT_LINES[1:2], date, *RECEIPT_LINES[3:], uuid.uuid4().hex]
        ids[shop] = submit(client_module, headers, render_lines(lines))
    for job_id in ids.values():
        result = wait_for(client_module, headers, job_id)["result"]
        assert result["date"] in {"2024-03-14", "2024-04-02"}, result
    return headers, ids


def test_the_list_filters_by_date_and_merchant(app, client, hana):
    headers, ids = hana
    march = {"date_from": "2024-03-01", "date_to": "2024-03-31"}
    response = client.get("/api/v3/receipts", headers=headers, query_string=march)
    assert response.status_code == 200
    assert_documented(app, "/api/v3/receipts", "get", response)
    assert [i["job_id"] for i in response.get_json()["items"]] == [ids["CORNER GROCER LTD"]]
    bakery = client.get("/api/v3/receipts", headers=headers, query_string={"merchant": "hilltop"})
    assert [i["job_id"] for i in bakery.get_json()["items"]] == [ids["HILLTOP BAKERY"]]
    # LIKE's wildcards are plain characters here.
    none = client.get("/api/v3/receipts", headers=headers, query_string={"merchant": "%"})
    assert none.get_json()["items"] == []
    bad = client.get("/api/v3/receipts", headers=headers, query_string={"date_from": "March"})
    assert bad.status_code == 400
    assert bad.mimetype == "application/problem+json"


def test_the_export_takes_the_same_filters(client, hana):
    headers, ids = hana
    april = {"date_from": "2024-04-01", "date_to": "2024-04-30"}
    response = client.get("/api/v3/receipts/export.csv", headers=headers, query_string=april)
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["job_id"] for row in rows] == [ids["HILLTOP BAKERY"]]
