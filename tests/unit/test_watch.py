"""`receiptq watch`'s loop without services: against a fake API (httpx.MockTransport),
stepped by hand (scan, poll) instead of waiting on a clock."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from receiptq.client.http import Client
from receiptq.client.watch import Watcher, WatchOptions, _free_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class FakeApi:
    """Accepts uploads (or answers `refuse` with that status), finishes every job on its
    second status poll as `outcome`."""

    def __init__(self, outcome: str = "completed", refuse: int | None = None) -> None:
        self.outcome, self.refuse = outcome, refuse
        self.uploads: list[str] = []  # Idempotency-Keys, one per upload request
        self.polls: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.uploads.append(request.headers["Idempotency-Key"])
            if self.refuse:
                headers = {"Retry-After": "30"} if self.refuse == 429 else {}
                return httpx.Response(self.refuse, json={"detail": "no"}, headers=headers)
            job_id = str(uuid.uuid4())
            return httpx.Response(202, json={"job_id": job_id, "status": "queued", "progress": 0})
        job_id = request.url.path.rsplit("/", 1)[-1]
        self.polls[job_id] = self.polls.get(job_id, 0) + 1
        status = self.outcome if self.polls[job_id] >= 2 else "processing"
        body = {"job_id": job_id, "status": status, "progress": 50}
        if status == "completed":
            body["result"] = {"total": "3.60", "merchant": {"name": "SHOP"}}
        if status == "failed":
            body["error"] = "The image is too blurry."
        return httpx.Response(200, json=body)


def watcher(folder: Path, api: FakeApi) -> Watcher:
    client = Client("http://api.test", "rq_x", transport=httpx.MockTransport(api))
    return Watcher(client, folder, WatchOptions(interval=0.01), say=lambda message: None)


def step(w: Watcher, times: int = 1) -> None:
    for _ in range(times):
        w.scan()
        w.poll()


def test_a_file_is_taken_once_it_stopped_changing_then_moved_with_its_result(tmp_path):
    api = FakeApi()
    w = watcher(tmp_path, api)
    (tmp_path / "r.png").write_bytes(PNG)
    step(w)
    assert api.uploads == []  # seen once: it may still be being written
    step(w, 3)
    assert len(api.uploads) == 1
    assert (tmp_path / "done" / "r.png").read_bytes() == PNG
    assert json.loads((tmp_path / "done" / "r.png.json").read_text())["status"] == "completed"
    assert w.idle()


def test_the_same_bytes_are_never_uploaded_again_even_by_a_new_watcher(tmp_path):
    api = FakeApi()
    first = watcher(tmp_path, api)
    (tmp_path / "a.png").write_bytes(PNG)
    step(first, 4)
    first.state.close()
    second = watcher(tmp_path, api)  # a restart: the state file remembers
    (tmp_path / "b.png").write_bytes(PNG)
    step(second, 4)
    assert len(api.uploads) == 1
    done = json.loads((tmp_path / "done" / "b.png.json").read_text())
    assert done["job_id"] == json.loads((tmp_path / "done" / "a.png.json").read_text())["job_id"]


def test_a_failed_job_sets_the_file_aside_and_dropping_it_again_retries_with_a_new_key(tmp_path):
    api = FakeApi(outcome="failed")
    w = watcher(tmp_path, api)
    (tmp_path / "r.png").write_bytes(PNG)
    step(w, 4)
    assert (tmp_path / "failed" / "r.png").exists()
    reason = (tmp_path / "failed" / "r.png.reason.txt").read_text()
    assert reason.startswith("The image is too blurry.")
    (tmp_path / "failed" / "r.png").replace(tmp_path / "r.png")  # the user tries again
    step(w, 4)
    assert len(api.uploads) == 2 and api.uploads[0] != api.uploads[1]
    assert api.uploads[1].endswith("-2")
    assert (tmp_path / "failed" / "r-2.png.reason.txt").exists()  # the first one kept


@pytest.mark.parametrize(("status", "uploads"), [(415, 1), (429, 1), (503, 1)])
def test_a_refusal_sets_aside_while_a_busy_api_holds_uploads(tmp_path, status, uploads):
    api = FakeApi(refuse=status)
    w = watcher(tmp_path, api)
    (tmp_path / "r.png").write_bytes(PNG)
    step(w, 4)
    assert len(api.uploads) == uploads  # 429/503: no second try within the hold
    set_aside = (tmp_path / "failed" / "r.png.reason.txt").exists()
    assert set_aside == (status == 415)
    assert (tmp_path / "r.png").exists() == (status != 415)


def test_partial_and_hidden_files_are_left_alone(tmp_path):
    api = FakeApi()
    w = watcher(tmp_path, api)
    for name in ("scan.png.part", ".hidden.png", "copying.png.crdownload"):
        (tmp_path / name).write_bytes(PNG)
    step(w, 4)
    assert api.uploads == [] and w.idle()


def test_free_names_never_overwrite(tmp_path):
    (tmp_path / "r.png").write_bytes(b"")
    (tmp_path / "r-2.png.json").write_text("{}")
    assert _free_name(tmp_path, "r.png").name == "r-3.png"
    assert _free_name(tmp_path, "noext").name == "noext"


def test_the_command_refuses_a_folder_it_cannot_use_in_one_line(tmp_path):
    from click.testing import CliRunner

    from receiptq.cli import main

    result = CliRunner().invoke(main, ["watch", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == f"error: {tmp_path / 'missing'} is not a folder this user can write to"
    )


def test_with_its_state_lost_a_file_is_uploaded_with_the_same_key(tmp_path):
    """A watcher that died before writing down the job: the upload after the restart
    carries the same Idempotency-Key, so the API answers with the job it made."""
    api = FakeApi()
    first = watcher(tmp_path, api)
    (tmp_path / "r.png").write_bytes(PNG)
    step(first, 2)  # submitted, not finished
    first.state.close()
    (tmp_path / ".receiptq-watch.sqlite").unlink()
    step(watcher(tmp_path, api), 2)
    assert len(api.uploads) == 2 and api.uploads[0] == api.uploads[1]
