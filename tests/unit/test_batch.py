"""`receiptq submit`'s parts without services: discovery, retry policy, output rows, and the
batch loop against a fake API (httpx.MockTransport)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from factories import make_files

from receiptq.client import runner
from receiptq.client.discovery import discover
from receiptq.client.entries import Entry
from receiptq.client.http import ApiError, Client, Submitted
from receiptq.client.outputs import CSV_FIELDS, RowWriter, Summary, csv_row, jsonl_row
from receiptq.client.progress import Progress
from receiptq.client.retry import (
    CONFLICT,
    RATE_LIMITED,
    UNAVAILABLE,
    PollPolicy,
    RetryPolicy,
    classify,
    idempotency_key,
    parse_retry_after,
)
from receiptq.client.runner import Batch, BatchOptions

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"\x00" * 32
FAST_POLLS = PollPolicy(interval=0.01)  # the fake API sends no Retry-After


# --- discovery -----------------------------------------------------------------------------


def test_discover_walks_folders_sorted_keeps_receipt_types_by_bytes(tmp_path: Path):
    (tmp_path / "in" / "b").mkdir(parents=True)
    (tmp_path / "in" / "z.jpg").write_bytes(JPEG)
    (tmp_path / "in" / "b" / "a.dat").write_bytes(PNG)  # the name does not matter
    (tmp_path / "in" / "scan.pdf").write_bytes(PDF)
    (tmp_path / "in" / "notes.txt").write_text("not a receipt")
    (tmp_path / "in" / "fake.jpg").write_text("not a jpeg either")
    (tmp_path / "in" / "empty.png").write_bytes(b"")
    single = tmp_path / "single.png"
    single.write_bytes(PNG)

    found = discover([single, tmp_path / "in"])

    assert found.files == [
        single,
        tmp_path / "in" / "b" / "a.dat",
        tmp_path / "in" / "scan.pdf",
        tmp_path / "in" / "z.jpg",
    ]
    assert sorted(p.name for p in found.ignored) == ["empty.png", "fake.jpg", "notes.txt"]


def test_discover_takes_a_file_once_however_it_is_named(tmp_path: Path):
    (tmp_path / "r.jpg").write_bytes(JPEG)
    found = discover([tmp_path / "r.jpg", tmp_path, tmp_path / "." / "r.jpg"])
    assert found.files == [tmp_path / "r.jpg"]


# --- retrying ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2026 07:27:00 GMT", 0.0),  # in the past: now
        ("-3", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value, seconds):
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


def test_classify_retryable_failures():
    assert classify(ApiError(429, "slow down")) == RATE_LIMITED
    assert classify(ApiError(503, "down")) == UNAVAILABLE
    assert classify(ApiError(409, "in flight")) == CONFLICT
    assert classify(httpx.ReadTimeout("slow")) == UNAVAILABLE
    assert classify(httpx.ConnectError("refused")) == UNAVAILABLE
    for status in (400, 401, 413, 415, 422, 500):
        assert classify(ApiError(status, "no")) is None


def test_retry_policy_waits_retry_after_backs_off_and_gives_up():
    policy = RetryPolicy(rate_limited=3, unavailable=4, backoff=1, max_backoff=5, jitter=0.5)
    assert policy.delay(RATE_LIMITED, 1, 42.0) == 42.0
    assert policy.delay(RATE_LIMITED, 3, 42.0) == 42.0
    assert policy.delay(RATE_LIMITED, 4, 42.0) is None
    assert policy.delay(RATE_LIMITED, 1, 10_000.0) == policy.max_retry_after
    assert [policy.delay(UNAVAILABLE, n, None) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 5, None]
    assert policy.delay(UNAVAILABLE, 1, 3.0) == 3.0  # the server knows better
    assert policy.delay(RATE_LIMITED, 1, 10.0, rand=1.0) == 15.0  # jitter


def test_poll_policy_keeps_to_retry_after_and_backs_off_without_it():
    policy = PollPolicy(interval=1, growth=2, max_interval=5, max_retry_after=60, max_rate=10)
    assert policy.delay(3.0, jobs=1) == 3.0  # the API's Retry-After, even after idle rounds
    assert policy.delay(3.0, jobs=1, idle_rounds=4) == 3.0
    assert policy.delay(10_000.0, jobs=1) == 60
    assert [policy.delay(None, 1, n) for n in range(5)] == [1, 2, 4, 5, 5]
    assert policy.delay(0.0, jobs=50) == 5.0  # never more than max_rate requests a second
    assert policy.delay(None, jobs=0) == 1


def test_idempotency_key_is_stable_within_a_run_and_printable():
    digest = hashlib.sha256(b"x").hexdigest()
    key = idempotency_key("run1", 3, digest)
    assert key == idempotency_key("run1", 3, digest)
    assert key != idempotency_key("run2", 3, digest)
    assert key.isprintable() and len(key) <= 255 and digest in key


# --- rows ----------------------------------------------------------------------------------


def completed_entry(path: str = "in/a.jpg") -> Entry:
    entry = Entry(Path(path), 0)
    entry.accepted(Submitted({"job_id": "j1", "status": "queued", "progress": 0}, 202))
    entry.update(
        {
            "job_id": "j1",
            "status": "completed",
            "progress": 100,
            "result": {
                "merchant": {"name": 'Corner, "Grocer" Ltd', "address": None},
                "date": "2024-03-14",
                "total": "3.60",
            },
            "error": None,
        }
    )
    return entry


def test_rows_for_a_completed_job():
    entry = completed_entry()
    assert csv_row(entry) == {
        "file": "in/a.jpg",
        "job_id": "j1",
        "status": "completed",
        "merchant": 'Corner, "Grocer" Ltd',
        "date": "2024-03-14",
        "total": "3.60",
        "error": "",
    }
    row = jsonl_row(entry)
    assert list(row)[:2] == ["file", "job_id"]
    assert row["result"]["total"] == "3.60" and row["skipped"] is False
    assert "duplicate_of" not in row


def test_rows_for_a_refused_upload_a_failed_job_and_a_duplicate():
    refused = Entry(Path("x.jpg"), 0)
    refused.fail("The image does not decode (HTTP 422)")
    assert csv_row(refused)["job_id"] == "" and csv_row(refused)["status"] == "failed"
    assert jsonl_row(refused) == {
        "file": "x.jpg", "job_id": None, "status": "failed",
        "error": "The image does not decode (HTTP 422)", "skipped": False,
    }  # fmt: skip

    failed = Entry(Path("blank.png"), 1)
    failed.accepted(Submitted({"job_id": "j2", "status": "queued"}, 202))
    failed.update({"job_id": "j2", "status": "failed", "result": None, "error": "Too blurry"})
    assert csv_row(failed)["error"] == "Too blurry" and csv_row(failed)["merchant"] == ""

    dup = Entry(Path("again.jpg"), 2)
    dup.accepted(
        Submitted({"job_id": "j1", "status": "completed", "duplicate_of": "j1"}, 200, "j1")
    )
    assert dup.skipped and not dup.created
    assert jsonl_row(dup)["duplicate_of"] == "j1" and jsonl_row(dup)["skipped"] is True


def test_csv_rows_cannot_run_as_spreadsheet_formulas(tmp_path: Path):
    entry = Entry(Path("-cmd.jpg"), 0)
    entry.accepted(Submitted({"job_id": "j1", "status": "queued"}, 202))
    entry.update(
        {
            "job_id": "j1",
            "status": "failed",
            "result": {"merchant": {"name": '=HYPERLINK("http://x","y")'}, "total": "-1.00"},
            "error": "@SUM(A1:A9)",
        }
    )
    writer = RowWriter(csv_path=tmp_path / "out.csv")
    writer.write(entry)
    writer.close()
    row = next(csv.DictReader((tmp_path / "out.csv").open(newline="", encoding="utf-8")))
    assert row["merchant"] == '\'=HYPERLINK("http://x","y")'
    assert row["error"] == "'@SUM(A1:A9)" and row["file"] == "'-cmd.jpg"
    assert row["total"] == "-1.00"  # an amount the API formatted stays a number


def test_row_writer_flushes_each_row(tmp_path: Path):
    writer = RowWriter(tmp_path / "out.jsonl", tmp_path / "out.csv")
    writer.write(completed_entry("a.jpg"))
    # Readable before close: an interrupted or killed run keeps what it wrote.
    assert json.loads((tmp_path / "out.jsonl").read_text())["job_id"] == "j1"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert rows[0]["merchant"] == 'Corner, "Grocer" Ltd' and rows[0]["total"] == "3.60"
    writer.close()
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == ",".join(CSV_FIELDS)


def test_summary_line_and_exit_codes():
    done = completed_entry()
    dup = Entry(Path("d.jpg"), 1, status="completed", duplicate_of="j0")
    bad = Entry(Path("b.jpg"), 2)
    bad.fail("no")
    summary = Summary.of([done, dup, bad], seconds=42.06, waited=True)
    assert summary.line() == (
        "1 submitted, 1 skipped (already processed), 1 completed, 1 failed in 42.1 s"
    )
    assert summary.exit_code() == 1
    assert Summary.of([done, dup], waited=True).exit_code() == 0
    left = Entry(Path("l.jpg"), 3)
    interrupted = Summary.of([done, left], interrupted=True)
    assert interrupted.line().startswith("interrupted: 1 submitted")
    assert "1 not submitted" in interrupted.line() and interrupted.exit_code() == 130


# --- the batch loop against a fake API ------------------------------------------------------


class FakeApi:
    """Just enough of /api/v3/receipts: dedupe by bytes, Idempotency-Key replay, a rate
    limit that answers the first `limited` uploads with 429, status and cancel."""

    def __init__(
        self,
        limited: int = 0,
        known: dict[str, str] | None = None,
        polls: int = 1,
        retry_after: str | None = None,
    ):
        self.limited = limited
        self.by_sha: dict[str, str] = dict(known or {})  # sha256 -> job id
        self.by_key: dict[str, str] = {}
        self.jobs: dict[str, dict] = {j: {"status": "completed"} for j in self.by_sha.values()}
        self.polls = polls  # status answers before a job completes
        self.retry_after = retry_after  # sent with the status of an unfinished job
        self.polled_at: list[float] = []
        self.posts: list[dict] = []
        self.cancelled: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            body = request.read()
            self.posts.append({"key": request.headers.get("Idempotency-Key"), "body": body})
            if self.limited:
                self.limited -= 1
                return httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow"})
            data = body.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
            if data.startswith(b"BAD"):
                return httpx.Response(422, json={"detail": "The image does not decode."})
            sha = hashlib.sha256(data).hexdigest()
            key = request.headers["Idempotency-Key"]
            if key in self.by_key:
                job_id = self.by_key[key]
                return httpx.Response(202, json=self.public(job_id))
            if sha in self.by_sha and request.url.params.get("force") != "true":
                job_id = self.by_sha[sha]
                return httpx.Response(200, json={**self.public(job_id), "duplicate_of": job_id})
            job_id = str(uuid.uuid4())
            self.jobs[job_id] = {"status": "queued", "left": self.polls, "data": data}
            self.by_sha[sha] = self.by_key[key] = job_id
            return httpx.Response(202, json=self.public(job_id))
        job_id = path.rsplit("/", 1)[1]
        if job_id not in self.jobs:
            return httpx.Response(404, json={"detail": "No such job."})
        job = self.jobs[job_id]
        if request.method == "DELETE":
            if job["status"] not in ("queued", "processing"):
                return httpx.Response(409, json={"detail": "finished"})
            job["status"] = "cancelled"
            self.cancelled.append(job_id)
            return httpx.Response(200, json=self.public(job_id))
        self.polled_at.append(time.monotonic())
        if job["status"] in ("queued", "processing") and job.get("left") is not None:
            job["left"] -= 1
            if job["left"] < 0:
                failed = job["data"].startswith(b"BLANK")
                job["status"] = "failed" if failed else "completed"
        headers = {}
        if self.retry_after and job["status"] in ("queued", "processing"):
            headers["Retry-After"] = self.retry_after
        return httpx.Response(200, headers=headers, json=self.public(job_id, full=True))

    def public(self, job_id: str, full: bool = False) -> dict:
        job = self.jobs[job_id]
        body = {"job_id": job_id, "status": job["status"], "progress": 0}
        if full:
            done = job["status"] == "completed"
            body["result"] = {"merchant": {"name": "SHOP"}, "total": "1.00"} if done else None
            body["error"] = "Too blurry." if job["status"] == "failed" else None
        return body


def run_batch(api: FakeApi, files: list[Path], **options) -> tuple[Batch, list[Entry]]:
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    rows: list[Entry] = []
    policy = RetryPolicy(backoff=0.01)
    options.setdefault("poll", FAST_POLLS)
    runner = Batch(client, BatchOptions(**options), rows.append, policy=policy)
    runner.run(files)
    return runner, rows


def test_batch_waits_retries_429_and_skips_what_was_already_submitted(tmp_path: Path):
    old = JPEG + b"old"
    files = make_files(tmp_path, JPEG + b"1", old, JPEG + b"2", b"BAD", JPEG + b"BLANK")
    files[4].write_bytes(b"BLANK")
    api = FakeApi(limited=3, known={hashlib.sha256(old).hexdigest(): "old-job"})

    runner, rows = run_batch(api, files, wait=True, concurrency=2)

    by_file = {row.path.name: row for row in rows}
    assert len(rows) == 5 and not runner.interrupted
    assert by_file["r0.jpg"].status == "completed"
    assert by_file["r0.jpg"].job["result"]["total"] == "1.00"
    assert by_file["r1.jpg"].skipped and by_file["r1.jpg"].status == "completed"
    assert by_file["r1.jpg"].job["result"] is not None  # fetched for the output
    assert by_file["r3.jpg"].status == "failed" and "decode" in by_file["r3.jpg"].error
    assert by_file["r4.jpg"].status == "failed" and by_file["r4.jpg"].error == "Too blurry."
    summary = Summary.of(rows, waited=True)
    assert (summary.submitted, summary.skipped, summary.completed, summary.failed) == (3, 1, 2, 2)
    # Every upload of a file, first try or retry, carried the same key.
    keys_by_body: dict[bytes, set] = {}
    for post in api.posts:
        keys_by_body.setdefault(post["body"].split(b"\r\n\r\n", 1)[1], set()).add(post["key"])
    assert all(len(keys) == 1 for keys in keys_by_body.values())
    assert len(api.posts) == 5 + 3


class CountingProgress(Progress):
    """No bar; counts the main loop's turns (it updates the progress once a turn)."""

    def __init__(self) -> None:
        super().__init__(0, enabled=False)
        self.turns = 0

    def update(self, entries: list[Entry], description: str | None = None) -> None:
        self.turns += 1


def test_waiting_blocks_between_polls_as_long_as_retry_after_says(tmp_path: Path):
    api = FakeApi(polls=4, retry_after="0.1")
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    progress, rows = CountingProgress(), []
    options = BatchOptions(wait=True, poll=FAST_POLLS)
    Batch(client, options, rows.append, progress=progress).run(make_files(tmp_path, JPEG))

    assert [row.status for row in rows] == ["completed"] and len(api.polled_at) == 5
    gaps = [b - a for a, b in zip(api.polled_at, api.polled_at[1:], strict=False)]
    assert min(gaps) >= 0.1  # never sooner than the API asked
    # The loop sleeps until the next poll is due: a turn per upload and per poll round
    # (and one to finish), not thousands of turns spinning over nothing to wait for.
    assert progress.turns <= 10, progress.turns


def test_batch_gives_up_after_bounded_429s(tmp_path: Path):
    api = FakeApi(limited=1000)
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    rows: list[Entry] = []
    policy = RetryPolicy(rate_limited=2, backoff=0.01)
    Batch(client, BatchOptions(), rows.append, policy=policy).run(make_files(tmp_path, JPEG))
    assert rows[0].status == "failed" and "gave up after 3 tries" in rows[0].error
    assert len(api.posts) == 3


def test_a_timed_out_upload_retried_with_its_key_makes_one_job(tmp_path: Path):
    api = FakeApi()
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        response = api(request)  # the API accepts the upload ...
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("... but the answer is lost", request=request)
        return response

    client = Client("http://api", "key", transport=httpx.MockTransport(flaky))
    rows: list[Entry] = []
    Batch(client, BatchOptions(), rows.append, policy=RetryPolicy(backoff=0.01)).run(
        make_files(tmp_path, JPEG)
    )
    assert rows[0].status == "queued" and rows[0].created
    assert len(api.jobs) == 1 and len(api.posts) == 2


def test_a_refused_key_aborts_the_batch(tmp_path: Path):
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "The API key is not valid or was revoked."})

    client = Client("http://api", "key", transport=httpx.MockTransport(refuse))
    with pytest.raises(runner.Aborted, match="not valid"):
        Batch(client, BatchOptions(), lambda e: None).run(make_files(tmp_path, JPEG, PNG))


def test_interrupt_stops_submitting_and_cancels_the_unfinished_jobs(tmp_path: Path):
    api = FakeApi(polls=10_000)  # nothing ever finishes
    files = make_files(tmp_path, *(JPEG + bytes([i]) for i in range(6)))
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    rows: list[Entry] = []
    options = BatchOptions(wait=True, concurrency=1, cancel_on_interrupt=True, poll=FAST_POLLS)
    runner = Batch(client, options, rows.append)

    def interrupt_after_two(request: httpx.Request) -> httpx.Response:
        response = api(request)
        if len(api.jobs) == 2:
            runner.stop.set()  # what the SIGINT handler does
        return response

    runner.client = Client("http://api", "key", transport=httpx.MockTransport(interrupt_after_two))
    entries = runner.run(files)

    assert runner.interrupted
    assert len(api.jobs) == 2 and sorted(api.cancelled) == sorted(api.jobs)
    assert {row.status for row in rows} == {"cancelled"} and len(rows) == 2
    summary = Summary.of(entries, interrupted=True, waited=True)
    assert (summary.submitted, summary.cancelled, summary.not_submitted) == (2, 2, 4)
    assert summary.exit_code() == 130


def test_run_prints_rows_and_summary_and_returns_the_exit_code(tmp_path, capsys):
    api = FakeApi()
    files = make_files(tmp_path, JPEG + b"a", JPEG + b"BLANK")
    files[1].write_bytes(b"BLANK")
    (tmp_path / "notes.txt").write_text("hi")
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    out = tmp_path / "out.csv"
    options = BatchOptions(wait=True, poll=FAST_POLLS)
    code = runner.run(
        [tmp_path], options, client, csv_path=out, progress=False, policy=RetryPolicy(backoff=0.01)
    )
    stdout, stderr = capsys.readouterr()
    assert code == 0  # BLANK is not a JPEG: ignored, not failed
    assert "ignoring 2 file(s)" in stderr
    assert [json.loads(line)["status"] for line in stdout.splitlines()] == ["completed"]
    assert "1 submitted, 0 skipped (already processed), 1 completed, 0 failed" in stderr
    assert len(list(csv.DictReader(out.open()))) == 1


def test_the_progress_bar_renders(tmp_path, capsys):
    api = FakeApi()
    client = Client("http://api", "key", transport=httpx.MockTransport(api))
    files = make_files(tmp_path, JPEG + b"a", JPEG + b"b")
    options = BatchOptions(wait=True, poll=FAST_POLLS)
    assert runner.run(files, options, client, quiet=True, progress=True) == 0
    stderr = capsys.readouterr().err
    assert "2/2" in stderr and "2 submitted 0 skipped 2 completed 0 failed" in stderr
