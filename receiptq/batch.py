"""`receiptq submit`: upload files and folders of receipts to the API, for batch scripts.

Plain parts, each testable on its own:

- `discover`: the files given and those found recursively in folders, keeping only the
  types the API takes (sniffed from the bytes, as the API does).
- `parse_retry_after`, `RetryPolicy`, `classify`: what to do with 429, 503, 409 and
  timeouts. Every upload carries an `Idempotency-Key` made from the run, the file's place
  in it and its SHA-256, so an upload retried after a timeout never makes a second job.
- `jsonl_row`, `csv_row`, `RowWriter`, `Summary`: the output.
- `Batch`: N upload threads, the main thread collecting results and polling job status
  (`--wait`); Ctrl-C sets a flag that stops new uploads and, with `cancel_on_interrupt`,
  cancels the jobs this run started that have not finished.
- `run`: all of it wired together for the CLI; returns the exit status.

Resuming is the API's duplicate detection: a file whose bytes this user already submitted
(and whose job did not fail, was not cancelled or deleted) is answered 200 with
`duplicate_of`, counted as skipped, and (with `--wait`) reported with that job's result.
A new run uses new Idempotency-Keys on purpose: with keys stable across runs, a job
cancelled by an interrupted run would be replayed instead of submitted again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, TextIO

import httpx

from receiptq.client import TERMINAL, ApiError, Client, Submitted
from receiptq.pipeline.media import sniff_media_type

CSV_FIELDS = ("file", "job_id", "status", "merchant", "date", "total", "error")
EXIT_OK, EXIT_FAILED, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 2, 130
SNIFF_BYTES = 1024
MAX_POLLS_PER_SECOND = 20.0
PENDING, NOT_SUBMITTED = "pending", "not submitted"
UNFINISHED_OK = {"queued", "processing"}  # fine to leave when not waiting


# --- finding the files -------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    files: list[Path]  # in the order given; a folder's files sorted by path
    ignored: list[Path]  # not JPEG, PNG, TIFF, WebP or PDF by their bytes


def discover(paths: Iterable[Path]) -> Discovery:
    """Files given, and files found recursively in folders given, that look like receipts.

    A file named twice (or found through two of the paths) is taken once. A file that
    cannot be read is kept, so that it gets a failed row instead of vanishing."""
    files: list[Path] = []
    ignored: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            identity = candidate.resolve()
            if identity in seen:
                continue
            seen.add(identity)
            try:
                with candidate.open("rb") as fh:
                    head = fh.read(SNIFF_BYTES)
            except OSError:
                files.append(candidate)
                continue
            (files if sniff_media_type(head) is not None else ignored).append(candidate)
    return Discovery(files, ignored)


# --- retrying ----------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3), else None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


RATE_LIMITED, UNAVAILABLE, CONFLICT = "rate limited", "unavailable", "conflict"


def classify(exc: Exception) -> str | None:
    """Which kind of retryable failure this is, or None when retrying cannot help."""
    if isinstance(exc, ApiError):
        if exc.status == 429:
            return RATE_LIMITED
        if exc.status in (502, 503, 504):
            return UNAVAILABLE
        if exc.status == 409:  # our Idempotency-Key is still being accepted
            return CONFLICT
        return None
    if isinstance(exc, httpx.TransportError):  # refused, reset, timed out (maybe accepted)
        return UNAVAILABLE
    return None


@dataclass(frozen=True)
class RetryPolicy:
    rate_limited: int = 30  # 429s per file; the default 10/minute needs a few at most
    unavailable: int = 5  # 502/503/504, timeouts, connection errors per file
    conflict: int = 10
    backoff: float = 1.0  # first wait when the API gave no Retry-After; doubles
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    jitter: float = 0.1  # up to this fraction added, so threads do not retry in step

    def delay(
        self, kind: str, attempt: int, retry_after: float | None, rand: float = 0.0
    ) -> float | None:
        """Seconds to wait after the `attempt`-th failure of this kind, or None: give up."""
        limit = {RATE_LIMITED: self.rate_limited, UNAVAILABLE: self.unavailable}.get(
            kind, self.conflict
        )
        if attempt > limit:
            return None
        if retry_after is not None:
            base = min(retry_after, self.max_retry_after)
        elif kind == UNAVAILABLE:
            base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        else:
            base = self.backoff
        return base * (1 + self.jitter * rand)


class Gate:
    """Shared by the upload threads: after a 429 or 503 nobody uploads until it passes
    (the rate limit is per key, not per thread). `wait` returns False once `stop` is set."""

    def __init__(self, stop: threading.Event, clock: Callable[[], float] = time.monotonic):
        self.stop = stop
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + seconds)

    def wait(self) -> bool:
        while not self.stop.is_set():
            with self._lock:
                remaining = self._until - self.clock()
            if remaining <= 0:
                return True
            self.stop.wait(remaining)
        return False


def idempotency_key(run_key: str, index: int, sha256_hex: str) -> str:
    """Same run, same file, same bytes -> same key, however often the upload is retried."""
    return f"rq-submit-{run_key}-{index}-{sha256_hex}"


def describe(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.detail} (HTTP {exc.status})"
    if isinstance(exc, httpx.TimeoutException):
        return "the API did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the API: {exc}"
    return f"{type(exc).__name__}: {exc}"


# --- one file's state and its output rows --------------------------------------------------


@dataclass
class Entry:
    path: Path
    index: int
    status: str = PENDING
    job: dict[str, Any] = field(default_factory=dict)  # the latest body the API sent
    error: str | None = None
    duplicate_of: str | None = None
    created: bool = False  # this run made the job (not a duplicate of an older one)
    written: bool = False

    @property
    def job_id(self) -> str | None:
        return self.job.get("job_id")

    @property
    def skipped(self) -> bool:
        return self.duplicate_of is not None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def fail(self, error: str) -> None:
        self.status, self.error = "failed", error

    def accepted(self, submitted: Submitted) -> None:
        self.job = dict(submitted.job)
        self.status = submitted.job["status"]
        self.duplicate_of = submitted.duplicate_of
        self.created = submitted.duplicate_of is None

    def update(self, job: dict[str, Any]) -> None:
        self.job = {**self.job, **job}
        self.status = job["status"]
        if job.get("error"):
            self.error = job["error"]


def jsonl_row(entry: Entry) -> dict[str, Any]:
    """What the API said about the file's job, with the file name first."""
    row: dict[str, Any] = {"file": str(entry.path), "job_id": None}
    row.update({k: v for k, v in entry.job.items() if k != "duplicate_of"})
    row["status"] = entry.status
    row["error"] = entry.error
    row["skipped"] = entry.skipped
    if entry.duplicate_of:
        row["duplicate_of"] = entry.duplicate_of
    return row


def csv_row(entry: Entry) -> dict[str, str]:
    result = entry.job.get("result") or {}
    merchant = result.get("merchant") or {}
    values = {
        "file": str(entry.path),
        "job_id": entry.job_id,
        "status": entry.status,
        "merchant": merchant.get("name") if isinstance(merchant, dict) else merchant,
        "date": result.get("date"),
        "total": result.get("total"),
        "error": entry.error,
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


class RowWriter:
    """The --jsonl and --csv files, one row per file, flushed as each row is written."""

    def __init__(self, jsonl: Path | None = None, csv_path: Path | None = None) -> None:
        self._files: list[IO[str]] = []
        self._jsonl = self._open(jsonl) if jsonl else None
        self._csv = None
        if csv_path:
            self._csv = csv.DictWriter(self._open(csv_path, newline=""), fieldnames=CSV_FIELDS)
            self._csv.writeheader()
            self._files[-1].flush()

    def _open(self, path: Path, newline: str | None = None) -> IO[str]:
        fh = path.open("w", encoding="utf-8", newline=newline)
        self._files.append(fh)
        return fh

    def write(self, entry: Entry) -> None:
        if self._jsonl:
            self._jsonl.write(json.dumps(jsonl_row(entry), ensure_ascii=False) + "\n")
        if self._csv:
            self._csv.writerow(csv_row(entry))
        for fh in self._files:
            fh.flush()

    def close(self) -> None:
        for fh in self._files:
            fh.close()


@dataclass
class Summary:
    submitted: int = 0  # new jobs this run created
    skipped: int = 0  # already submitted before: the API answered with the existing job
    completed: int = 0  # of the submitted
    failed: int = 0  # refused uploads and failed jobs
    cancelled: int = 0  # cancelled or cancelling
    unfinished: int = 0  # still queued or processing at the end
    not_submitted: int = 0  # left when interrupted
    ignored: int = 0  # not a receipt type
    seconds: float = 0.0
    waited: bool = False
    interrupted: bool = False

    @classmethod
    def of(cls, entries: Iterable[Entry], **kwargs: Any) -> Summary:
        summary = cls(**kwargs)
        for entry in entries:
            summary.submitted += entry.created
            summary.skipped += entry.skipped
            summary.completed += entry.status == "completed" and not entry.skipped
            summary.failed += entry.status == "failed"
            summary.cancelled += entry.status in ("cancelled", "cancelling")
            summary.not_submitted += entry.status in (PENDING, NOT_SUBMITTED)
            summary.unfinished += entry.status in UNFINISHED_OK and summary.waited
        return summary

    def line(self) -> str:
        parts = [f"{self.submitted} submitted", f"{self.skipped} skipped (already processed)"]
        if self.waited:
            parts.append(f"{self.completed} completed")
        parts.append(f"{self.failed} failed")
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled")
        if self.unfinished:
            parts.append(f"{self.unfinished} unfinished")
        if self.not_submitted:
            parts.append(f"{self.not_submitted} not submitted")
        text = ", ".join(parts) + f" in {self.seconds:.1f} s"
        return f"interrupted: {text}" if self.interrupted else text

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.failed or self.cancelled or self.unfinished:
            return EXIT_FAILED
        return EXIT_OK


# --- progress ------------------------------------------------------------------------------


class Progress:
    """The rich progress bar on stderr; does nothing when `enabled` is False."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed * 60:.1f}/min" if speed else "-/min", style="cyan")

        self._progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[submitted]} submitted {task.fields[skipped]} skipped"
                " [green]{task.fields[done]} completed[/] [red]{task.fields[failed]} failed[/]"
            ),
            RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
            console=Console(stderr=True),
            # Lines printed to stdout go above the bar only when stdout is the terminal
            # too; redirected to a file they must stay on stdout.
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(
            "receipts", total=total, submitted=0, skipped=0, done=0, failed=0
        )

    def __enter__(self) -> Progress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()

    def update(self, entries: list[Entry], description: str | None = None) -> None:
        if not self._progress:
            return
        s = Summary.of(entries)
        self._progress.update(
            self._task,
            completed=sum(e.written for e in entries),
            submitted=s.submitted,
            skipped=s.skipped,
            done=s.completed,
            failed=s.failed,
            **({"description": description} if description else {}),
        )


# --- the batch -----------------------------------------------------------------------------


class Aborted(Exception):
    """Nothing more can succeed (the key was refused): stop the whole batch."""


@dataclass(frozen=True)
class BatchOptions:
    wait: bool = False
    concurrency: int = 4
    force: bool = False
    cancel_on_interrupt: bool = False
    poll_interval: float = 1.0  # the API's Retry-After on a running job


class Batch:
    def __init__(
        self,
        client: Client,
        options: BatchOptions,
        sink: Callable[[Entry], None],
        progress: Progress | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.sink = sink
        self.progress = progress or Progress(0, enabled=False)
        self.policy = policy or RetryPolicy()
        self.stop = threading.Event()  # set by Ctrl-C (see interrupts) or an abort
        self.gate = Gate(self.stop)
        self.run_key = uuid.uuid4().hex[:12]
        self.entries: list[Entry] = []
        self.interrupted = False
        self.cancel_errors: list[str] = []

    # upload threads

    def _upload(self, entry: Entry) -> None:
        try:
            data = entry.path.read_bytes()
        except OSError as exc:
            entry.fail(f"cannot read the file: {exc.strerror or exc}")
            return
        key = idempotency_key(self.run_key, entry.index, hashlib.sha256(data).hexdigest())
        attempts: Counter[str] = Counter()
        while True:
            if not self.gate.wait():
                entry.status = NOT_SUBMITTED
                return
            try:
                submitted = self.client.submit_bytes(
                    data, entry.path.name, idempotency_key=key, force=self.options.force
                )
            except (ApiError, httpx.TransportError) as exc:
                if isinstance(exc, ApiError) and exc.status in (401, 403):
                    raise Aborted(f"the API refused the key: {exc.detail}") from exc
                kind = classify(exc)
                if kind is None:
                    entry.fail(describe(exc))
                    return
                attempts[kind] += 1
                retry_after = parse_retry_after(getattr(exc, "retry_after", None))
                delay = self.policy.delay(kind, attempts[kind], retry_after, random.random())
                if delay is None:
                    entry.fail(f"gave up after {attempts[kind]} tries: {describe(exc)}")
                    return
                if kind == CONFLICT:
                    self.stop.wait(delay)
                else:
                    self.gate.hold(delay)
                continue
            entry.accepted(submitted)
            return

    # main thread

    def _finish(self, entry: Entry) -> None:
        if not entry.written:
            entry.written = True
            self.sink(entry)

    def _uploaded(self, entry: Entry, future: Future[None], polling: dict[int, Entry]) -> None:
        if future.cancelled():
            entry.status = NOT_SUBMITTED
            return
        exc = future.exception()
        if isinstance(exc, Aborted):
            raise exc
        if exc is not None:
            entry.fail(describe(exc))
        if entry.status in (PENDING, NOT_SUBMITTED):
            return
        if self.options.wait and entry.job_id and entry.status != "failed":
            polling[entry.index] = entry  # a duplicate's answer has no result: fetch it too
            return
        self._finish(entry)

    def _poll(self, polling: dict[int, Entry]) -> None:
        for index, entry in list(polling.items()):
            if self.stop.is_set():
                return
            try:
                job = self.client.status(entry.job_id)
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise Aborted(f"the API refused the key: {exc.detail}") from exc
                if exc.status != 404:
                    continue  # 503 and friends: next round
                entry.fail("the job no longer exists")
            except httpx.TransportError:
                continue
            else:
                entry.update(job)
                if not entry.finished:
                    continue
            del polling[index]
            self._finish(entry)

    def run(self, files: list[Path]) -> list[Entry]:
        self.entries = entries = [Entry(path, i) for i, path in enumerate(files)]
        pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="receiptq-upload")
        futures = {pool.submit(self._upload, entry): entry for entry in entries}
        uploading = set(futures)
        polling: dict[int, Entry] = {}
        next_poll = 0.0
        try:
            while (uploading or polling) and not self.stop.is_set():
                done, uploading = wait_futures(uploading, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    self._uploaded(futures[future], future, polling)
                if polling and time.monotonic() >= next_poll:
                    self._poll(polling)
                    pace = max(self.options.poll_interval, len(polling) / MAX_POLLS_PER_SECOND)
                    next_poll = time.monotonic() + pace
                self.progress.update(entries)
        finally:
            # Interrupted or aborted: nothing new starts; uploads under way finish (each
            # within the HTTP timeout), so that every job this run made is known.
            self.interrupted = self.stop.is_set()
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        for future in uploading:
            self._uploaded(futures[future], future, polling)
        if self.interrupted and self.options.cancel_on_interrupt:
            self._cancel_unfinished()
        for entry in polling.values():  # rows for the jobs still running
            self._finish(entry)
        self.progress.update(entries, "interrupted" if self.interrupted else "done")
        return entries

    def _cancel_unfinished(self) -> None:
        for entry in self.entries:
            if not entry.created or entry.finished or entry.status == "failed":
                continue
            try:
                entry.update(self.client.cancel(entry.job_id))
            except ApiError as exc:
                if exc.status == 409:  # finished meanwhile
                    with suppress(ApiError, httpx.TransportError):
                        entry.update(self.client.status(entry.job_id))
                else:
                    self.cancel_errors.append(f"{entry.path}: {describe(exc)}")
            except httpx.TransportError as exc:
                self.cancel_errors.append(f"{entry.path}: {describe(exc)}")


@contextmanager
def interrupts(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C sets `stop` (finish cleanly); a second one raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    paths: list[Path],
    options: BatchOptions,
    client: Client,
    *,
    jsonl: Path | None = None,
    csv_path: Path | None = None,
    quiet: bool = False,
    err: TextIO | None = None,
    progress: bool | None = None,
) -> int:
    """Everything `receiptq submit` does; returns the exit status. JSON lines go to
    sys.stdout (unless quiet), messages and the summary to `err` (sys.stderr)."""
    err = err or sys.stderr
    started = time.monotonic()

    def say(message: str) -> None:
        print(message, file=err, flush=True)

    found = discover(paths)
    if found.ignored:
        say(f"ignoring {len(found.ignored)} file(s) that are not JPEG, PNG, TIFF, WebP or PDF")
    if not found.files:
        say("no receipt files found")
        return EXIT_OK
    try:
        client.check_key()
    except ApiError as exc:
        say(f"error: the API refused the request: {exc.detail} (HTTP {exc.status})")
        return EXIT_ABORTED
    except httpx.TransportError as exc:
        say(f"error: cannot reach the API at {client.base_url}: {exc}")
        return EXIT_ABORTED

    writer = RowWriter(jsonl, csv_path)

    def sink(entry: Entry) -> None:
        writer.write(entry)
        if not quiet:
            print(json.dumps(jsonl_row(entry), ensure_ascii=False), file=sys.stdout, flush=True)

    if progress is None:
        progress = not quiet and err.isatty()
    bar = Progress(len(found.files), enabled=progress)
    batch = Batch(client, options, sink, bar)
    aborted: str | None = None
    try:
        with interrupts(batch.stop), bar:
            try:
                batch.run(found.files)
            except Aborted as exc:
                aborted = str(exc)
    except KeyboardInterrupt:  # the second Ctrl-C: leave at once, cancel nothing
        batch.interrupted = True
    finally:
        writer.close()
    for problem in batch.cancel_errors:
        say(f"could not cancel {problem}")
    summary = Summary.of(
        batch.entries,
        ignored=len(found.ignored),
        seconds=time.monotonic() - started,
        waited=options.wait,
        interrupted=batch.interrupted and aborted is None,
    )
    if aborted:
        say(f"error: {aborted}")
    say(summary.line())
    if summary.skipped and not options.force:
        say(f"{summary.skipped} file(s) were already submitted: --force processes them again")
    return EXIT_ABORTED if aborted else summary.exit_code()
