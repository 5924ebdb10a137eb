"""Validate a real response against the schema /openapi.json documents for it."""

from __future__ import annotations

from functools import cache

import jsonschema


@cache
def _document(app) -> dict:
    return app.test_client().get("/openapi.json").get_json()


def assert_documented(app, path: str, method: str, response) -> None:
    """`path` is the spec's template (e.g. /api/v3/receipts/status/{job_id})."""
    document = _document(app)
    op = document["paths"][path][method.lower()]
    documented = op["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path}: {response.status_code} is not documented"
    content = documented.get("content", {})
    assert response.mimetype in content, (response.mimetype, list(content))
    schema = content[response.mimetype]["schema"]
    if response.mimetype.endswith("json"):
        validator = jsonschema.Draft202012Validator(
            {**schema, "components": document["components"]},
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        validator.validate(response.get_json())
