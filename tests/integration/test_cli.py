"""The `receiptq` command as users run it: real processes, real services."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from cli_process import RECEIPTQ, run
from conftest import BASE_DATABASE, ROOT, settings_env
from PIL import Image
from psycopg import sql

from receiptq import testing

pytestmark = pytest.mark.integration


def wait_until_up(proc: subprocess.Popen, url: str, timeout: float = 60) -> None:
    """Until `url` answers 200; fails if the process exits first (with its stderr, when
    piped) or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else proc.args
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.3)


@pytest.fixture
def fresh_database():
    name = f"receiptq_cli_{uuid.uuid4().hex[:8]}"
    yield f"{BASE_DATABASE}/{name}"
    with psycopg.connect(f"{BASE_DATABASE}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_db_upgrade_creates_the_database_and_is_safe_to_run_twice_at_once(settings, fresh_database):
    env = settings_env(settings, RECEIPTQ_DATABASE_URL=fresh_database)
    procs = [
        subprocess.Popen([*RECEIPTQ, "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    stdout = sorted(out for out, _ in outputs)
    assert stdout[0].startswith("applied: 0001_init.sql")
    assert stdout[1].strip() == "database is up to date"
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
    again = run(["db", "upgrade"], env)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_keys_create_prints_a_working_key_last_and_revoke_disables_it(settings, client):
    env = settings_env(settings)
    created = run(["keys", "create", "erin"], env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("rq_") and len(key) > 40
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v3/receipts/status/{uuid.uuid4()}", headers=headers).status_code == 404
    with psycopg.connect(settings.database_url) as conn:  # only a hash is stored
        stored = conn.execute("SELECT key_hash, prefix FROM api_keys").fetchall()
        assert all(key.encode() not in bytes(h) for h, _ in stored)
    revoked = run(["keys", "revoke", key[:10]], env)
    assert revoked.returncode == 0 and "revoked 1" in revoked.stdout
    assert client.get(f"/api/v3/receipts/status/{uuid.uuid4()}", headers=headers).status_code == 401


def test_extract_jsonl_needs_no_services(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "RECEIPTQ_REDIS_URL": "redis://127.0.0.1:1/0",
           "RECEIPTQ_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "OMP_THREAD_LIMIT": "1"}  # fmt: skip
    samples = sorted((ROOT / "samples").glob("*.png"))  # the clean (noise 0) samples
    result = run(["extract", "--jsonl", *map(str, samples)], env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == [str(p) for p in samples]
    for row, path in zip(rows, samples, strict=True):
        truth = json.loads(path.with_suffix(".json").read_text())
        assert row["result"]["total"] == truth["total"], path.name


def test_status_and_submit_with_the_api_down_say_so_in_one_line(tmp_path):
    url = f"http://127.0.0.1:{testing.free_port()}"  # nothing listens there
    env = {"PATH": "/usr/bin:/bin", "RECEIPTQ_API_URL": url, "RECEIPTQ_API_KEY": "rq_x"}
    shutil.copy(sorted((ROOT / "samples").glob("*.png"))[0], tmp_path)
    for args in (["status", str(uuid.uuid4())], ["submit", "--quiet", str(tmp_path)]):
        result = run(args, env)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert "Traceback" not in result.stderr, result.stderr
        assert lines[0].startswith(f"error: cannot reach the API at {url}: "), result.stderr
        assert len(lines) == 1, result.stderr


def test_submit_folder_waits_and_writes_jsonl(settings, live_api, ctx, tmp_path: Path):
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "frank")[1]
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    picked = sorted((ROOT / "samples").glob("*.png"))[:2]
    (folder / picked[0].name).write_bytes(picked[0].read_bytes())
    (folder / "nested" / picked[1].name).write_bytes(picked[1].read_bytes())
    (folder / "notes.txt").write_text("not a receipt")
    out = tmp_path / "results.jsonl"
    env = settings_env(settings, RECEIPTQ_API_URL=live_api, RECEIPTQ_API_KEY=key)
    result = run(["submit", str(folder), "--wait", "--jsonl", str(out)], env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2  # the text file was skipped
    for row in rows:
        assert row["status"] == "completed", row
        truth = json.loads(
            (ROOT / "samples" / Path(row["file"]).name).with_suffix(".json").read_text()
        )
        assert row["result"]["total"] == truth["total"]
        assert row["result"]["date"] == truth["date"]

    status = run(["status", rows[0]["job_id"]], env)
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "completed"


def test_pdf_receipt_through_real_http(live_api, ctx):
    import io

    from factories import receipt_jpeg
    from PIL import Image

    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "gina")[1]
    buf = io.BytesIO()
    Image.open(io.BytesIO(receipt_jpeg())).convert("RGB").save(buf, format="PDF", resolution=150)
    headers = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    files = {"file": ("scan.pdf", buf.getvalue(), "application/pdf")}
    response = httpx.post(f"{live_api}/api/v3/receipts/process", headers=headers, files=files)
    assert response.status_code == 202, response.text
    assert time.perf_counter() - started < 2.0
    status_url = response.headers["Location"]
    for _ in range(300):
        job = httpx.get(status_url, headers=headers).json()
        if job["status"] in {"completed", "failed", "cancelled"}:
            break
        time.sleep(0.1)
    assert job["status"] == "completed", job
    assert job["result"]["total"] == "3.60"
    assert job["result"]["pages"] == [{"page": 0, "source": "ocr"}]  # an image, no text


def test_a_pdf_with_a_text_layer_through_real_http_is_read_from_its_text(live_api, ctx):
    """An e-receipt PDF carries its text: the job reads it from there (issue 21)."""
    from factories import text_pdf

    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "hela")[1]
    headers = {"Authorization": f"Bearer {key}"}
    pdf = text_pdf("SKLEP Sp. z o.o.\nNIP 123-456-32-18\n2024-03-05 12:01\n"
                   "PARAGON FISKALNY\nMLEKO 2 x3,19 6,38D\nSUMA PLN 6,38")  # fmt: skip
    files = {"file": ("e-paragon.pdf", pdf, "application/pdf")}
    response = httpx.post(f"{live_api}/api/v3/receipts/process", headers=headers, files=files)
    assert response.status_code == 202, response.text
    for _ in range(300):
        job = httpx.get(response.headers["Location"], headers=headers).json()
        if job["status"] in {"completed", "failed", "cancelled"}:
            break
        time.sleep(0.1)
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["pages"] == [{"page": 0, "source": "text_layer"}]
    assert (result["total"], result["date"], result["merchant"]["tax_id"]) == (
        "6.38", "2024-03-05", "1234563218")  # fmt: skip


def test_api_leaves_no_gunicorn_control_socket_in_home(settings, tmp_path):
    """gunicorn's control socket would default to ~/.gunicorn/gunicorn.ctl, shared by every
    gunicorn of the user: `receiptq api` runs without one."""
    home = tmp_path / "home"
    home.mkdir()
    env = settings_env(settings, HOME=str(home))
    env.pop("XDG_RUNTIME_DIR", None)
    port = testing.free_port()
    proc = subprocess.Popen(
        [*RECEIPTQ, "api", "--port", str(port), "--workers", "1"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_up(proc, f"http://127.0.0.1:{port}/health")
        time.sleep(1)  # the arbiter starts its control server after the workers
        assert list(home.rglob("*")) == []
        assert list(tmp_path.glob("*.ctl")) == []
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"url": "/api/v3/receipts/status/" + "x" * 9000}, 414),  # over gunicorn's 8 KiB line
        ({"url": "/health", "headers": {f"X-Pad-{i}": "1" for i in range(120)}}, 431),
        ({"url": "/health", "headers": {"X-Big": "a" * 20_000}}, 431),  # the app's own guard
    ],
    ids=["long-url", "many-headers", "one-huge-header"],
)
def test_gunicorn_refusals_are_problem_json(live_api, request_kwargs, status):
    """What gunicorn refuses before the app runs is problem+json too, never an HTML page."""
    url = live_api + request_kwargs.pop("url")
    response = httpx.get(url, timeout=10, **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"] and body["type"].startswith("https://")


def test_flower_serves_our_workers_behind_basic_auth(settings, worker):
    """`receiptq flower` against our broker: the password never appears in its argv."""
    port = testing.free_port()
    env = settings_env(settings, RECEIPTQ_FLOWER_BASIC_AUTH="ops:s3cret-pw")
    proc = subprocess.Popen(
        [*RECEIPTQ, "flower", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, f"{url}/healthcheck")
        assert "s3cret-pw" not in Path(f"/proc/{proc.pid}/cmdline").read_text()
        assert httpx.get(f"{url}/api/workers", timeout=10).status_code == 401
        assert httpx.get(f"{url}/api/workers", auth=("ops", "wrong"), timeout=10).status_code == 401
        deadline = time.monotonic() + 30
        while True:  # Flower learns of the worker from its events / an inspect call
            workers = httpx.get(
                f"{url}/api/workers?refresh=1", auth=("ops", "s3cret-pw"), timeout=20
            )
            assert workers.status_code == 200
            if workers.json():
                break
            assert time.monotonic() < deadline, workers.text
            time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(20)


def test_extract_reports_a_failed_file_on_its_row_and_reads_the_next(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "OMP_THREAD_LIMIT": "1"}
    sample = sorted((ROOT / "samples").glob("*.png"))[0]
    folder = tmp_path / "not-a-file"  # reading it raises IsADirectoryError: no pipeline error
    folder.mkdir()
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 400), 255).save(blank)
    result = run(["extract", "--jsonl", str(folder), str(blank), str(sample)], env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == [str(folder), str(blank), str(sample)]
    assert rows[0]["result"] is None and rows[0]["exception"] == "IsADirectoryError"
    assert rows[0]["error"].startswith("IsADirectoryError: ")
    assert rows[1]["result"] is None and "exception" not in rows[1]  # the pipeline's own
    assert rows[1]["error"].startswith("No receipt text could be read")
    truth = json.loads(sample.with_suffix(".json").read_text())
    assert rows[2]["result"]["total"] == truth["total"]
