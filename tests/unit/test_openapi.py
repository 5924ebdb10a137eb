"""/openapi.json is generated from the code and covers every route; /docs is served from
bundled files. No services are needed: the app factory connects lazily."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from receiptq.api import create_app


@pytest.fixture(scope="module")
def app():
    return create_app(
        redis_url="redis://127.0.0.1:1/0", database_url="postgresql://nobody@127.0.0.1:1/none"
    )


@pytest.fixture(scope="module")
def document(app):
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented(app, document):
    """A new route under /api/v3 without @documented (or an EXTERNAL entry) fails here."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v3"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in document["paths"], f"{rule.rule} ({rule.endpoint}) is not in the spec"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule}"


def test_main_routes_and_their_responses(document):
    paths = document["paths"]
    expected = {
        ("/api/v3/receipts/process", "post"): {"202", "400", "401", "413", "415", "422", "429"},
        ("/api/v3/receipts/status/{job_id}", "get"): {"200", "401", "404"},
        ("/api/v3/receipts/cancel/{job_id}", "delete"): {"200", "404", "409"},
        ("/api/v3/receipts/{job_id}", "delete"): {"200", "404"},
        ("/api/v3/receipts/{job_id}/reprocess", "post"): {"202", "404", "409", "410"},
        ("/api/v3/receipts", "get"): {"200", "400", "401"},
        ("/api/v3/receipts/export.csv", "get"): {"200", "400", "401"},
        ("/api/v3/receipts/export.json", "get"): {"200", "401"},
        ("/api/v3/receipts/health", "get"): {"200", "503"},
        ("/api/v3/receipts/events/{job_id}", "get"): {"200", "404"},
        ("/health", "get"): {"200"},
    }
    for (path, method), codes in expected.items():
        op = paths[path][method]
        assert codes <= set(op["responses"]), (path, method, op["responses"].keys())
        for code, response in op["responses"].items():
            if int(code) >= 400:
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}
    assert paths["/health"]["get"]["security"] == []
    assert paths["/api/v3/receipts/process"]["post"]["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_schemas_come_from_the_models(document):
    from receiptq.api import models

    schemas = document["components"]["schemas"]
    for name in ("JobStatus", "Accepted", "JobList", "Problem", "Receipt", "SubmitForm"):
        assert name in schemas
    status_values = schemas["JobStatus"]["properties"]["status"]["enum"]
    assert tuple(status_values) == models.JOB_STATUSES
    form = document["paths"]["/api/v3/receipts/process"]["post"]["requestBody"]["content"]
    assert form["multipart/form-data"]["schema"] == {"$ref": "#/components/schemas/SubmitForm"}
    assert "callback_url" in schemas["SubmitForm"]["properties"]
    listing = document["paths"]["/api/v3/receipts"]["get"]["parameters"]
    assert {p["name"] for p in listing} == {
        "status", "limit", "cursor", "date_from", "date_to", "merchant"
    }  # fmt: skip


def test_docs_page_uses_only_bundled_assets(app):
    client = app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        asset = client.get(src)
        assert asset.status_code == 200, src
        assert asset.get_data(), src
    assert client.get("/docs/assets/../../config.py").status_code == 404
    assert client.get("/docs/assets/swagger-editor-bundle.js").status_code == 404


def test_a_receipt_says_how_each_page_was_read(document):
    """The result's `pages`: per page, its text layer or OCR (issue 21)."""
    schemas = document["components"]["schemas"]
    pages = schemas["Receipt"]["properties"]["pages"]
    assert pages["items"]["$ref"].endswith("/PageSource")
    assert schemas["PageSource"]["properties"]["source"]["enum"] == ["text_layer", "ocr"]
