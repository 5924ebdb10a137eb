"""`receiptq submit` as batch scripts run it: the real API under gunicorn, a real worker."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import ROOT, settings_env
from factories import long_receipt_jpeg, receipt_jpeg
from PIL import Image

from receiptq import testing

pytestmark = pytest.mark.integration

RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]
SAMPLE = sorted((ROOT / "samples").glob("*.png"))[0]


@contextmanager
def serve_api(settings, log: Path, **env: str) -> Iterator[str]:
    """`receiptq api` under gunicorn (one process), its access log in `log`."""
    port = testing.free_port()
    proc = subprocess.Popen(
        [*RECEIPTQ, "api", "--port", str(port), "--workers", "1"],
        env=settings_env(settings, **env), stdout=log.open("wb"), stderr=subprocess.STDOUT,
        cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the API did not start: {log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def api_url(settings, worker, tmp_path_factory) -> Iterator[str]:
    with serve_api(settings, tmp_path_factory.mktemp("api") / "api.log") as url:
        yield url


def new_user(ctx) -> tuple[str, str]:
    from receiptq.store.keys import create_key

    user, key = create_key(ctx.pool, f"batch-{uuid.uuid4().hex[:8]}")
    return str(user.id), key


def submit(settings, url: str, key: str, *args: str, timeout: float = 120):
    env = settings_env(settings, RECEIPTQ_API_URL=url, RECEIPTQ_API_KEY=key)
    return subprocess.run(
        [*RECEIPTQ, "submit", *args], env=env, capture_output=True, text=True,
        timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (600, 900), 255).save(out, format="PNG")
    return out.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_wait_writes_csv_and_jsonl_and_a_second_run_skips_everything(
    settings, api_url, ctx, tmp_path: Path
):
    _, key = new_user(ctx)
    inbox = tmp_path / "inbox"
    (inbox / "nested").mkdir(parents=True)
    (inbox / "a.jpg").write_bytes(receipt_jpeg())
    (inbox / "nested" / "b.jpg").write_bytes(receipt_jpeg())
    shutil.copy(SAMPLE, inbox / SAMPLE.name)
    (inbox / "notes.txt").write_text("not a receipt")
    truth = json.loads(SAMPLE.with_suffix(".json").read_text())
    out_csv, out_jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"

    first = submit(settings, api_url, key, str(inbox), "--wait", "--csv", str(out_csv),
                   "--jsonl", str(out_jsonl))  # fmt: skip

    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 submitted, 0 skipped (already processed), 3 completed, 0 failed" in first.stderr
    assert "ignoring 1 file(s)" in first.stderr
    rows = {Path(row["file"]).name: row for row in read_csv(out_csv)}
    assert set(rows) == {"a.jpg", "b.jpg", SAMPLE.name}
    for name in ("a.jpg", "b.jpg"):
        assert rows[name]["status"] == "completed"
        assert rows[name]["merchant"] == "CORNER GROCER LTD"
        assert (rows[name]["date"], rows[name]["total"]) == ("2024-03-14", "3.60")
        assert rows[name]["error"] == "" and rows[name]["job_id"]
    assert rows[SAMPLE.name]["total"] == truth["total"]
    assert rows[SAMPLE.name]["date"] == truth["date"]
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert lines == [json.loads(line) for line in first.stdout.splitlines()]
    assert {line["job_id"] for line in lines} == {row["job_id"] for row in rows.values()}
    assert all(line["result"]["total"] and line["skipped"] is False for line in lines)

    again = submit(settings, api_url, key, str(inbox), "--wait", "--csv", str(out_csv))

    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 submitted, 3 skipped (already processed), 0 completed, 0 failed" in again.stderr
    rerun = {Path(row["file"]).name: row for row in read_csv(out_csv)}
    assert rerun == rows  # the existing jobs' results, fetched for the rows
    skipped = [json.loads(line) for line in again.stdout.splitlines()]
    assert all(line["skipped"] and line["duplicate_of"] == line["job_id"] for line in skipped)


def test_a_failing_receipt_makes_the_exit_status_1_with_the_error_in_the_csv(
    settings, api_url, ctx, tmp_path: Path
):
    _, key = new_user(ctx)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "blank.png").write_bytes(blank_png())
    (inbox / "good.jpg").write_bytes(receipt_jpeg())
    out_csv = tmp_path / "out.csv"

    result = submit(settings, api_url, key, str(inbox), "--wait", "--csv", str(out_csv), "-q")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""  # --quiet
    assert "2 submitted, 0 skipped (already processed), 1 completed, 1 failed" in result.stderr
    rows = {Path(row["file"]).name: row for row in read_csv(out_csv)}
    assert rows["good.jpg"]["status"] == "completed"
    assert rows["blank.png"]["status"] == "failed"
    assert "No receipt text could be read" in rows["blank.png"]["error"]
    assert rows["blank.png"]["job_id"] and rows["blank.png"]["total"] == ""


def test_rate_limited_uploads_wait_and_retry_until_all_complete(
    settings, worker, ctx, tmp_path: Path
):
    _, key = new_user(ctx)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for index in range(5):
        (inbox / f"r{index}.jpg").write_bytes(receipt_jpeg())
    log = tmp_path / "api.log"
    out_csv = tmp_path / "out.csv"

    with serve_api(settings, log, RECEIPTQ_RATE_LIMIT="2/second") as url:
        result = submit(settings, url, key, str(inbox), "--wait", "--csv", str(out_csv))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 submitted, 0 skipped (already processed), 5 completed, 0 failed" in result.stderr
    assert [row["status"] for row in read_csv(out_csv)] == ["completed"] * 5
    access = log.read_text(errors="replace")
    # The limit was hit (the request log line is JSON or gunicorn's access format).
    assert re.search(r'POST /api/v3/receipts/process(?: HTTP/1\.1")? 429', access), access


def test_ctrl_c_stops_submitting_and_cancels_the_unfinished_jobs(
    settings, api_url, ctx, tmp_path: Path
):
    user_id, key = new_user(ctx)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for index in range(6):
        (inbox / f"long{index}.jpg").write_bytes(long_receipt_jpeg())
    out_jsonl = tmp_path / "out.jsonl"
    env = settings_env(settings, RECEIPTQ_API_URL=api_url, RECEIPTQ_API_KEY=key)
    proc = subprocess.Popen(
        [*RECEIPTQ, "submit", str(inbox), "--wait", "--cancel-on-interrupt",
         "--concurrency", "1", "--jsonl", str(out_jsonl)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip

    def job_ids() -> list[str]:
        with psycopg.connect(settings.database_url) as conn:
            rows = conn.execute(
                "SELECT id::text FROM jobs WHERE user_id = %s ORDER BY created_at", (user_id,)
            ).fetchall()
        return [row[0] for row in rows]

    deadline = time.monotonic() + 30
    while len(job_ids()) < 2:  # one job is being processed, the next one queued
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stdout + stderr
    started = job_ids()
    summary = stderr.strip().splitlines()
    assert any(
        line.startswith(f"interrupted: {len(started)} submitted, 0 skipped") for line in summary
    ), stderr
    headers = {"Authorization": f"Bearer {key}"}
    final: dict[str, str] = {}
    deadline = time.monotonic() + 30
    for job_id in started:
        while True:
            status = httpx.get(f"{api_url}/api/v3/receipts/status/{job_id}", headers=headers)
            final[job_id] = status.json()["status"]
            if final[job_id] in {"completed", "failed", "cancelled"}:
                break
            assert time.monotonic() < deadline, final
            time.sleep(0.1)
    # The one that may have finished before Ctrl-C completed; everything else was cancelled.
    assert sum(s == "completed" for s in final.values()) <= 1, final
    assert "cancelled" in final.values() and "failed" not in final.values(), final
    cancelled = sum(s == "cancelled" for s in final.values())
    assert f"{cancelled} cancelled" in stderr or cancelled == 0, stderr
    assert f"{6 - len(started)} not submitted" in stderr or len(started) == 6, stderr
    # Rows for every job it started, flushed.
    rows = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert sorted(row["job_id"] for row in rows) == sorted(started)
