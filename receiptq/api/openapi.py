"""OpenAPI 3.1 for the API, generated from the code: `/openapi.json` and `/docs`.

Each view carries its documentation next to it (`@documented(...)`: summary, request
model, response models per status, error statuses); views in modules that are not
decorated are described in `EXTERNAL` below, by endpoint name. The generator walks the
app's URL map, so the paths are the real rules, and turns the pydantic models into JSON
Schema 2020-12 (what OpenAPI 3.1 uses) under `components/schemas`. A route under /api/v3
with no documentation fails tests/unit/test_openapi.py.

Why not spectree or flask-openapi3: flask-openapi3 replaces Flask and Blueprint with its
own classes and parses requests itself; spectree wraps views in its own validation with
its own 422 format. Both would change every view and our problem+json errors; a route ->
model registry read by ~150 lines of generator does not.

`/docs` is Swagger UI from the `swagger-ui-py` package's bundled files (no CDN).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.exceptions import NotFound

from receiptq.api import models

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"

ERROR_DESCRIPTIONS = {
    400: "Bad request (a malformed parameter or form, or a Host this API does not answer to).",
    401: "No API key, or a key that is not valid.",
    404: "No such job (another user's job is reported the same way).",
    409: "The job is not in a state that allows this.",
    410: "Gone: the original image is no longer stored.",
    413: "The upload is larger than RECEIPTQ_MAX_UPLOAD_MB.",
    415: "Not multipart/form-data, or not a JPEG, PNG, TIFF, WebP or PDF.",
    422: "The request is well-formed but cannot be used (see detail).",
    429: "Over the rate limit, or too many failed key checks from this address; see Retry-After.",
    503: "Redis, PostgreSQL or the job queue is unavailable; retry shortly.",
}


@dataclasses.dataclass(frozen=True)
class Body:
    """A request or response body: a model (or None) in a media type."""

    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    description: str = ""
    schema: dict[str, Any] | None = None  # for bodies that are not JSON (text, CSV)
    headers: tuple[str, ...] = ()  # response headers worth naming
    required: bool = True  # for a request body


@dataclasses.dataclass(frozen=True)
class Operation:
    summary: str
    responses: dict[int, Body]
    description: str = ""
    errors: tuple[int, ...] = ()
    request: Body | None = None
    query: type[BaseModel] | None = None
    public: bool = False  # no API key
    tags: tuple[str, ...] = ("receipts",)


def documented(
    summary: str,
    responses: dict[int, type[BaseModel] | Body],
    *,
    errors: Iterable[int] = (),
    request: Body | None = None,
    query: type[BaseModel] | None = None,
    public: bool = False,
    tags: Iterable[str] = ("receipts",),
    description: str = "",
) -> Callable[[F], F]:
    """Attach the OpenAPI description to a view (read by `spec`)."""

    def decorate(view: F) -> F:
        view.__openapi__ = operation(  # type: ignore[attr-defined]
            summary, responses, errors=errors, request=request, query=query,
            public=public, tags=tags, description=description or (view.__doc__ or ""),
        )  # fmt: skip
        return view

    return decorate


def operation(
    summary: str,
    responses: dict[int, type[BaseModel] | Body],
    *,
    errors: Iterable[int] = (),
    request: Body | None = None,
    query: type[BaseModel] | None = None,
    public: bool = False,
    tags: Iterable[str] = ("receipts",),
    description: str = "",
) -> Operation:
    bodies = {
        code: body if isinstance(body, Body) else Body(body) for code, body in responses.items()
    }
    return Operation(
        summary=summary,
        responses=bodies,
        description=" ".join(description.split()),
        errors=tuple(errors),
        request=request,
        query=query,
        public=public,
        tags=tuple(tags),
    )


# One event of the stream as an SSE client reads it (the fields of OpenAPI 3.2's
# `itemSchema` for text/event-stream; tools for 3.1, schemathesis among them, read
# `schema` so), not the stream's raw text.
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": REF.format(model="JobStatus")},
        },
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
    "required": ["data"],
}

# Views whose modules are not decorated (owned elsewhere), by endpoint name.
EXTERNAL: dict[str, Operation] = {
    "health.liveness": operation(
        "Liveness: the process answers", {200: models.Liveness}, public=True, tags=["health"]
    ),
    "health.readiness": operation(
        "Readiness: broker, database, workers, Tesseract",
        {
            200: models.Readiness,
            503: Body(models.Readiness, description="Something is down (see `down`)."),
        },
        tags=["health"],
    ),
    "events.stream": operation(
        "A job's progress as Server-Sent Events",
        {
            200: Body(
                media_type="text/event-stream",
                schema=SSE_EVENT,
                description="`data:` lines, each a JobStatus-shaped JSON object; the stream"
                " ends after a terminal status (which carries result or error).",
            )
        },
        errors=[404],
        description="The first event is the current status; then one per change.",
    ),
    "metrics.scrape": operation(
        "Prometheus metrics",
        {200: Body(media_type="text/plain", schema={"type": "string"})},
        public=True,
        tags=["operations"],
        description="Keep it on the private network: no API key is asked.",
    ),
}

# Not part of the API: the web page, static files and these docs themselves.
UNDOCUMENTED_ENDPOINTS = frozenset({"static", "web.static", "web.index"})


def operation_for(app: Flask, endpoint: str) -> Operation | None:
    view = app.view_functions.get(endpoint)
    while view is not None:
        found = getattr(view, "__openapi__", None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)  # under a rate-limit or other wrapper
    return EXTERNAL.get(endpoint)


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(models.Problem, "serialization")]
    for op in operations:
        if op.request is not None and op.request.model is not None:
            wanted.append((op.request.model, "validation"))
        if op.query is not None:
            wanted.append((op.query, "validation"))
        wanted += [(b.model, "serialization") for b in op.responses.values() if b.model]
    return list(dict.fromkeys(wanted))


def spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every documented route of `app`."""
    found: list[tuple[str, str, str, Operation]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in UNDOCUMENTED_ENDPOINTS or rule.endpoint.startswith("openapi."):
            continue
        op = operation_for(app, rule.endpoint)
        if op is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((_path(rule.rule), method.lower(), rule.endpoint, op))

    refs, defs = models_json_schema(
        _models(op for *_, op in found), ref_template=REF, title="receiptq"
    )
    schemas = defs.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for path, method, endpoint, op in found:
        paths.setdefault(path, {})[method] = _operation(path, method, endpoint, op, refs, schemas)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "receiptq",
            "version": _version(),
            "description": "Self-hosted receipt processing. Every error is"
            " `application/problem+json` (RFC 9457). Guide: docs/api.md, docs/clients.md.",
        },
        "tags": [
            {"name": "receipts", "description": "Submit, follow, list, export, reprocess."},
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "operations", "description": "For operators."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `receiptq keys create NAME`.",
                }
            },
        },
    }


def _operation(
    path: str, method: str, endpoint: str, op: Operation, refs: dict, schemas: dict
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": list(op.tags),
    }
    if op.description:
        out["description"] = op.description
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", path)
    ]
    for param in params:
        if param["name"] == "job_id":
            param["schema"]["format"] = "uuid"
    if op.query is not None:
        query = schemas[refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[-1]]
        required = set(query.get("required", ()))
        for name, schema in query.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "description" in schema:
                param["description"] = schema["description"]
            if "array" in _types(schema):
                param.update(style="form", explode=True)
            params.append(param)
    if params:
        out["parameters"] = params
    if op.request is not None:
        out["requestBody"] = {
            "required": op.request.required,
            "content": {op.request.media_type: {"schema": _schema(op.request, refs, "validation")}},
        }
    responses: dict[str, Any] = {}
    for code, body in sorted(op.responses.items()):
        entry: dict[str, Any] = {"description": body.description or _reason(code)}
        if body.model is not None or body.schema is not None:
            entry["content"] = {body.media_type: {"schema": _schema(body, refs, "serialization")}}
        if body.headers:
            entry["headers"] = {h: {"schema": {"type": "string"}} for h in body.headers}
        responses[str(code)] = entry
    # Any request: 400 for an untrusted Host. With a key: 401, 429 once an address has
    # failed too many key checks, 503.
    errors = set(op.errors) | {400} | ({401, 429, 503} if not op.public else set())
    for code in sorted(errors):
        problem = {PROBLEM_JSON: {"schema": refs[(models.Problem, "serialization")]}}
        if str(code) in responses:  # has a body of its own (readiness' 503); or a problem
            responses[str(code)].setdefault("content", {}).update(problem)
            continue
        responses[str(code)] = {
            "description": ERROR_DESCRIPTIONS.get(code, _reason(code)),
            "content": problem,
        }
        if code == 429:
            responses[str(code)]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    out["responses"] = responses
    out["security"] = [] if op.public else [{"bearer": []}]
    return out


def _types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", ()):
        found |= _types(option)
    return found


def _schema(body: Body, refs: dict, mode: str) -> dict[str, Any]:
    if body.model is not None:
        return refs[(body.model, mode)]
    return body.schema or {}


def _reason(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return str(code)


def _version() -> str:
    try:
        return metadata.version("receiptq")
    except metadata.PackageNotFoundError:
        return "0"


# --- serving: /openapi.json and /docs ---

bp = Blueprint("openapi", __name__)
SWAGGER_FILES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"}
)
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI sets inline styles
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def _swagger_dir() -> Path:
    import swagger_ui  # swagger-ui-py: Swagger UI's release files, bundled

    return Path(swagger_ui.__file__).resolve().parent / "static"


@bp.get("/openapi.json")
def openapi_json() -> Response:
    document = current_app.extensions.get("receiptq.openapi")
    if document is None:
        document = current_app.extensions["receiptq.openapi"] = spec(current_app)
    response = jsonify(document)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, no credentials
    return response


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>receiptq API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

DOCS_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
"""


def _page(body: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def docs() -> Response:
    """Swagger UI: every operation, with 'Authorize' for the API key and 'Try it out'."""
    return _page(DOCS_PAGE, "text/html")


@bp.get("/docs/init.js")
def docs_init() -> Response:
    return _page(DOCS_INIT, "text/javascript")


@bp.get("/docs/assets/<name>")
def docs_asset(name: str) -> Response:
    if name not in SWAGGER_FILES:
        raise NotFound()
    return send_from_directory(_swagger_dir(), name, max_age=24 * 3600)
