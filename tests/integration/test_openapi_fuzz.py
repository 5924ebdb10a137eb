"""A bounded schemathesis run against /openapi.json, in-process (WSGI), for CI.

Every documented operation gets generated requests (valid and invalid) sent with a real
API key; each response must not be a 5xx, and its status code, content type and body must
be the ones the spec documents for that operation. Bounded and derandomized: the same
cases every run, well under a minute here (docs/reliability.md).

No Celery worker: a submit that gets through stays queued, which is fine for the checks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import schemathesis
from conftest import isolated_settings
from factories import receipt_jpeg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from receiptq.config import Settings

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Explicit, so no schemathesis.toml found on the way changes the run. The one allowance:
# readiness answers its documented 503 (a Readiness body naming what is down) because this
# run has no Celery worker, by design; any other 5xx there still fails, and the 503 must
# still match the spec. Every other operation gets the default (2xx, 3xx, 4xx).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-name": "GET /api/v3/receipts/health",
                "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", 503]}},
            }
        ]
    }
)


@pytest.fixture(scope="module")
def fuzz_settings(run_id: str, tmp_path_factory) -> Iterator[Settings]:
    """A Redis DB and a database of their own, and a rate limit the run cannot reach:
    hundreds of submits a minute would otherwise be answered 429 after the first few."""
    with isolated_settings(
        f"{run_id}_fuzz",
        temp_dir=str(tmp_path_factory.mktemp("fuzz-tmp")),
        rate_limit="100000/minute",
    ) as s:
        yield s


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings):
    from receiptq.api import create_app

    return create_app(fuzz_settings)


@pytest.fixture(scope="module")
def fuzz_auth(fuzz_app) -> dict[str, str]:
    from receiptq.store.keys import create_key

    key = create_key(fuzz_app.extensions["receiptq"].pool, "fuzz")[1]
    return {"Authorization": f"Bearer {key}"}


# The jobs the current operation's cases may name (set by `live_jobs`, read while cases
# are generated, which is after the fixtures ran).
LIVE: dict[str, str] = {}
EVENTS = "GET /api/v3/receipts/events/{job_id}"


@pytest.fixture
def live_jobs(fuzz_app, fuzz_auth) -> Iterator[dict[str, str]]:
    """A fresh queued job and a fresh cancelled one for each operation, so that besides
    random ids (404) the cases also reach real jobs: status, cancel (200, then 409),
    delete, reprocess (409 while queued), the events stream of a finished job."""
    client = fuzz_app.test_client()
    for name in ("queued", "finished"):
        response = client.post(
            "/api/v3/receipts/process",
            headers=fuzz_auth,
            data={"file": (io.BytesIO(receipt_jpeg()), "receipt.jpg")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        LIVE[name] = response.get_json()["job_id"]
    response = client.delete(f"/api/v3/receipts/cancel/{LIVE['finished']}", headers=fuzz_auth)
    assert response.get_json()["status"] == "cancelled", response.get_data(as_text=True)
    yield dict(LIVE)
    LIVE.clear()


def _load_schema():
    """The document as the app serves it, read in-process at collection time.

    The spec comes from the app's routes and models, not from its settings, and the app
    factory connects to nothing until a request needs it, so an app pointed at no
    services serves the same /openapi.json as the one each case is sent to (`fuzz_app`,
    checked in the test). A schema from `schemathesis.pytest.from_fixture` would need
    no such app, but it fails under pytest 9 (it sets `Function._nodeid`, gone in 9.x).
    """
    from receiptq.api import create_app

    spec_app = create_app(
        redis_url="redis://127.0.0.1:1/0", database_url="postgresql://nobody@127.0.0.1:1/none"
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", spec_app, config=CONFIG)


schema = _load_schema()


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the cases that name a job name one of the live jobs. Not the queued one on the
    events stream: with no worker that stream would stay open (up to 30 minutes), and a
    WSGI client reads the whole body. A finished job's stream ends after its status."""
    if "job_id" not in (path_parameters or {}) or not LIVE:
        return st.just(path_parameters)
    live = [LIVE["finished"]] if context.operation.label == EVENTS else list(LIVE.values())
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from([{**path_parameters, "job_id": job} for job in live]),
    )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # `live_jobs` is function-scoped on purpose: fresh jobs for each operation, shared by
    # that operation's examples (not new ones per example).
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_openapi_document(case, fuzz_app, fuzz_auth, live_jobs):
    case.call_and_validate(app=fuzz_app, headers=fuzz_auth, checks=CHECKS)


def test_the_fuzzed_app_serves_the_document_the_cases_come_from(fuzz_app):
    assert fuzz_app.test_client().get("/openapi.json").get_json() == schema.raw_schema
