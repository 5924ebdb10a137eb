"""`receiptq watch DIR` as a process against the API under gunicorn and a real worker:
files dropped are processed once, across a kill -9 and a restart of the watcher."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cli_process import RECEIPTQ
from conftest import ROOT, settings_env
from factories import long_receipt_jpeg
from PIL import Image

pytestmark = pytest.mark.integration


SAMPLE = sorted((ROOT / "samples").glob("*.png"))[0]


def wait_for_path(path: Path, watcher: subprocess.Popen, log: Path, timeout: float = 180) -> Path:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert watcher.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {path}: {log.read_text()}"
        time.sleep(0.1)
    return path


def drop(inbox: Path, name: str, data: bytes) -> None:
    """As a scanner or a careful copy does: written under a hidden name, then renamed."""
    hidden = inbox / f".{name}.tmp"
    hidden.write_bytes(data)
    hidden.replace(inbox / name)


class WatcherProcess:
    def __init__(self, inbox: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [*RECEIPTQ, "watch", str(inbox), "--interval", "0.3"], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=log.open("ab"),
        )  # fmt: skip

    def wait(self, path: Path) -> Path:
        return wait_for_path(path, self.proc, self.log)


def state_rows(inbox: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(inbox / ".receiptq-watch.sqlite")
    try:
        return db.execute("SELECT name, status FROM files").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


@pytest.fixture
def user(settings, live_api, ctx):
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, f"wanda-{uuid.uuid4().hex[:8]}")[1]
    env = settings_env(settings, RECEIPTQ_API_URL=live_api, RECEIPTQ_API_KEY=key)
    api = httpx.Client(base_url=live_api, headers={"Authorization": f"Bearer {key}"})
    return env, api


def test_a_dropped_file_is_processed_once_even_across_restarts(user, tmp_path):
    env, api = user
    inbox, log = tmp_path / "inbox", tmp_path / "watch.log"
    inbox.mkdir()
    watcher = WatcherProcess(inbox, env, log)
    try:
        drop(inbox, "first.png", SAMPLE.read_bytes())
        first = json.loads(watcher.wait(inbox / "done" / "first.png.json").read_text())
        truth = json.loads(SAMPLE.with_suffix(".json").read_text())
        assert first["status"] == "completed" and first["result"]["total"] == truth["total"]
        assert (inbox / "done" / "first.png").read_bytes() == SAMPLE.read_bytes()
        assert not (inbox / "first.png").exists()

        # kill -9 while a job is under way, then start again
        drop(inbox, "long.jpg", long_receipt_jpeg())
        deadline = time.monotonic() + 60
        while ("long.jpg", "pending") not in state_rows(inbox):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        watcher.proc.kill()
        watcher.proc.wait()
        watcher = WatcherProcess(inbox, env, log)
        long = json.loads(watcher.wait(inbox / "done" / "long.jpg.json").read_text())
        assert long["status"] == "completed", long
        assert log.read_text().count("submitted long.jpg") == 1, log.read_text()
        assert "resuming long.jpg" in log.read_text()

        # the same bytes again, under another name: the first job's result, no new job
        drop(inbox, "again.png", SAMPLE.read_bytes())
        again = json.loads(watcher.wait(inbox / "done" / "again.png.json").read_text())
        assert again["job_id"] == first["job_id"]

        # failures are set aside with the reason: the API's, or the watcher's own
        blank = tmp_path / "blank.png"
        Image.new("L", (300, 400), 255).save(blank)
        drop(inbox, "blank.png", blank.read_bytes())
        drop(inbox, "notes.txt", b"not a receipt")
        reason = watcher.wait(inbox / "failed" / "blank.png.reason.txt").read_text()
        assert reason.startswith("No receipt text could be read")
        assert (inbox / "failed" / "blank.png").exists()
        notes = watcher.wait(inbox / "failed" / "notes.txt.reason.txt").read_text()
        assert "not a JPEG, PNG, TIFF, WebP or PDF" in notes

        watcher.proc.send_signal(signal.SIGTERM)  # docker stop
        assert watcher.proc.wait(30) == 0
    finally:
        if watcher.proc.poll() is None:
            watcher.proc.kill()
            watcher.proc.wait()

    jobs = api.get("/api/v3/receipts").json()["items"]
    assert len(jobs) == 3, jobs  # first, long, blank: each processed once
    assert sorted(job["status"] for job in jobs) == ["completed", "completed", "failed"]
    assert sorted(p.name for p in inbox.iterdir()) == [".receiptq-watch.sqlite", "done", "failed"]
    assert "Traceback" not in log.read_text()


def test_once_takes_what_is_there_and_exits_with_its_outcome(user, tmp_path):
    env, api = user
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "receipt.png", SAMPLE.read_bytes())
    done = subprocess.run(
        [*RECEIPTQ, "watch", str(inbox), "--once", "--interval", "0.3"], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((inbox / "done" / "receipt.png.json").read_text())["status"] == "completed"

    drop(inbox, "notes.txt", b"not a receipt")
    failed = subprocess.run(
        [*RECEIPTQ, "watch", str(inbox), "--once", "--interval", "0.3"], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    assert "failed notes.txt -> failed/notes.txt" in failed.stderr
    assert len(api.get("/api/v3/receipts").json()["items"]) == 1


def test_a_refused_key_stops_the_watcher_with_one_line(settings, live_api, tmp_path):
    env = settings_env(settings, RECEIPTQ_API_URL=live_api, RECEIPTQ_API_KEY="rq_not-a-key")
    result = subprocess.run(
        [*RECEIPTQ, "watch", str(tmp_path)], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: the API refused the key")
    assert len(result.stderr.strip().splitlines()) == 1
