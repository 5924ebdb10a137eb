"""`receiptq list`, `export`, `cancel`, `delete`, `reprocess` and `status` as users run
them: real processes against the API under gunicorn and the session's worker."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import uuid

import httpx
import pytest
from cli_process import RECEIPTQ, run
from conftest import ROOT, settings_env
from factories import long_receipt_jpeg, receipt_jpeg

from receiptq import testing

pytestmark = pytest.mark.integration

TERMINAL = {"completed", "failed", "cancelled", "deleted"}


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    """The command failed with `code` and said why in one line on stderr, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


class Api:
    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})

    def submit(self, data: bytes) -> str:
        response = self.http.post("/api/v3/receipts/process", files={"file": ("r.jpg", data)})
        assert response.status_code == 202, response.text
        return response.json()["job_id"]

    def wait(self, job_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.http.get(f"/api/v3/receipts/status/{job_id}").json()
            if job["status"] in TERMINAL:
                return job
            time.sleep(0.1)
        raise AssertionError(job)


@pytest.fixture
def user(settings, live_api, ctx):
    """A user of this test alone, the env its commands run with, and an API client."""
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, f"dora-{uuid.uuid4().hex[:8]}")[1]
    env = settings_env(settings, RECEIPTQ_API_URL=live_api, RECEIPTQ_API_KEY=key)
    return env, Api(live_api, key)


def test_list_shows_the_jobs_newest_first_a_page_at_a_time(user):
    env, api = user
    older, newer = api.submit(receipt_jpeg()), api.submit(receipt_jpeg())
    for job_id in (older, newer):
        assert api.wait(job_id)["status"] == "completed"

    table = run(["list"], env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["job_id", "created", "status", "merchant", "date", "total"]
    assert [line.split()[0] for line in lines[1:]] == [newer, older]
    assert "completed" in lines[1] and "3.60" in lines[1] and "2024-03-14" in lines[1]

    first = run(["list", "--limit", "1", "--json"], env)
    assert first.returncode == 0, first.stderr
    assert [json.loads(line)["job_id"] for line in first.stdout.splitlines()] == [newer]
    hint = first.stderr.strip()
    assert hint.startswith("more: receiptq list --cursor ")
    second = run(["list", "--limit", "1", "--json", "--cursor", hint.rsplit(" ", 1)[-1]], env)
    assert [json.loads(line)["job_id"] for line in second.stdout.splitlines()] == [older]

    every = run(["list", "--limit", "1", "--all", "--json", "--status", "completed"], env)
    assert every.returncode == 0 and every.stderr == ""
    assert [json.loads(line)["job_id"] for line in every.stdout.splitlines()] == [newer, older]
    none = run(["list", "--status", "failed,cancelled", "--json"], env)
    assert none.returncode == 0 and none.stdout == ""
    bad = run(["list", "--status", "finished"], env)
    assert "Unknown status finished" in one_line_error(bad, 1)


def test_export_writes_items_csv_and_json(user, tmp_path):
    env, api = user
    job_id = api.submit(receipt_jpeg())
    result = api.wait(job_id)["result"]

    out = tmp_path / "items.csv"
    done = run(["export", "--items", "-o", str(out)], env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["description"] for row in rows] == [i["description"] for i in result["items"]]
    assert {row["job_id"] for row in rows} == {job_id}
    assert not list(tmp_path.glob("*.part"))

    per_receipt = run(["export"], env)
    receipts = list(csv.DictReader(io.StringIO(per_receipt.stdout)))
    assert [(r["job_id"], r["total"], r["items"]) for r in receipts] == [
        (job_id, result["total"], str(len(result["items"])))
    ]

    whole = run(["export", "--format", "json"], env)
    assert whole.returncode == 0, whole.stderr
    assert json.loads(whole.stdout)["receipts"] == [
        {"job_id": job_id, "created_at": json.loads(whole.stdout)["receipts"][0]["created_at"],
         "result": result}
    ]  # fmt: skip
    assert run(["export", "--format", "json", "--items"], env).returncode == 2  # usage


def test_reprocess_cancel_delete_and_their_refusals(user):
    env, api = user
    job_id = api.submit(receipt_jpeg())
    assert api.wait(job_id)["status"] == "completed"

    again = run(["reprocess", job_id], env)
    assert again.returncode == 0, again.stderr
    redo = json.loads(again.stdout)
    assert redo["reprocessed_from"] == job_id and redo["job_id"] != job_id
    assert api.wait(redo["job_id"])["status"] == "completed"

    finished = run(["cancel", job_id], env)
    assert "(HTTP 409)" in one_line_error(finished, 1)

    slow = api.submit(long_receipt_jpeg())
    cancelled = run(["cancel", slow], env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] in {"cancelled", "cancelling"}
    assert api.wait(slow)["status"] == "cancelled"

    refused = subprocess.run(
        [*RECEIPTQ, "delete", job_id], env=env, input="n\n", capture_output=True, text=True,
        cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and api.wait(job_id)["status"] == "completed"
    deleted = run(["delete", "--yes", job_id], env)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout)["status"] == "deleted"
    assert api.wait(job_id)["status"] == "deleted"

    gone = run(["reprocess", job_id], env)
    assert "(HTTP 4" in one_line_error(gone, 1)
    missing = run(["status", str(uuid.uuid4())], env)
    assert one_line_error(missing, 1) == "error: No such job. (HTTP 404)"


@pytest.mark.parametrize(
    "args",
    [["list"], ["export"], ["export", "--format", "json"], ["cancel", str(uuid.UUID(int=1))],
     ["delete", "--yes", str(uuid.UUID(int=1))], ["reprocess", str(uuid.UUID(int=1))],
     ["status", str(uuid.UUID(int=1))]],
    ids=lambda args: "-".join(a for a in args if not a[0].isdigit() and "-0000-" not in a),
)  # fmt: skip
def test_every_job_command_says_the_api_is_down_in_one_line(args, tmp_path):
    url = f"http://127.0.0.1:{testing.free_port()}"  # nothing listens there
    env = {"PATH": "/usr/bin:/bin", "RECEIPTQ_API_URL": url, "RECEIPTQ_API_KEY": "rq_x"}
    line = one_line_error(run(args, env), 2)
    assert line.startswith(f"error: cannot reach the API at {url}: "), line


def test_a_refused_key_is_one_line_and_exit_2(settings, live_api):
    env = settings_env(settings, RECEIPTQ_API_URL=live_api, RECEIPTQ_API_KEY="rq_not-a-key")
    for args in (["list"], ["export", "--items"]):
        assert "(HTTP 401)" in one_line_error(run(args, env), 2)
