"""benchmarks/loadgen.py's raw poller against the API as gunicorn serves it.

The load generator is how users measure their own deployment, so its lean HTTP client
must read every answer whole (200s and problem+json 404s alike) and keep to an offered
rate. Only counts are asserted here, never how fast anything was.
"""

from __future__ import annotations

import importlib.util
import uuid

import httpx
import pytest
from conftest import ROOT
from factories import receipt_jpeg

pytestmark = pytest.mark.integration


def _loadgen():
    spec = importlib.util.spec_from_file_location("loadgen", ROOT / "benchmarks" / "loadgen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def poll_job(live_api, ctx):
    """A poll load of one job of the key's owner and one id nobody owns."""
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, f"load-{uuid.uuid4().hex[:6]}")[1]
    response = httpx.post(
        f"{live_api}/api/v3/receipts/process",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": ("r.jpg", receipt_jpeg(), "image/jpeg")},
    )
    assert response.status_code == 202, response.text
    ids = [response.json()["job_id"], str(uuid.uuid4())]
    return {"url": live_api, "key": key, "mode": "poll", "connections": 4, "seed": 0,
            "rate": 0, "duration": 0.5, "job_ids": ids, "client": "raw"}  # fmt: skip


def test_raw_poller_reads_every_answer_on_keep_alive_connections(poll_job):
    result = _loadgen().run_load(poll_job, 1)
    codes = result["codes"]
    # round robin over both ids: the owner's job answers 200, the unknown one 404, and
    # nothing else (a misread body would surface as an error name or a wrong status)
    assert set(codes) == {"200", "404"}, codes
    assert abs(codes["200"] - codes["404"]) <= poll_job["connections"]
    assert result["requests"] == codes["200"] + codes["404"] > 20


def test_raw_poller_keeps_to_an_open_loop_rate(poll_job):
    job = dict(poll_job, rate=40, duration=1.0)
    result = _loadgen().run_load(job, 1)
    # one slot every 1/40 s until the deadline; a connection that took a slot just before
    # it still sends, so at most rate x duration + connections, where a closed loop
    # would send hundreds
    assert 0 < result["requests"] <= 40 * 1.0 + job["connections"] + 1
    assert set(result["codes"]) <= {"200", "404"}, result["codes"]
