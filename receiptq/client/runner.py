"""`receiptq submit`: the batch. N upload threads; the main thread collects their results
and, with `--wait`, polls job status (`retry.PollPolicy`), always blocking with a timeout
between rounds. Ctrl-C sets a flag that stops new uploads and, with `cancel_on_interrupt`,
cancels the jobs this run started that have not finished. `run` wires it all for the CLI
and returns the exit status.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import httpx

from receiptq.client.discovery import discover
from receiptq.client.entries import NOT_SUBMITTED, PENDING, Entry
from receiptq.client.http import ApiError, Client, unreachable
from receiptq.client.outputs import EXIT_ABORTED, EXIT_OK, RowWriter, Summary, jsonl_row
from receiptq.client.progress import Progress
from receiptq.client.retry import (
    CONFLICT,
    Gate,
    PollPolicy,
    RetryPolicy,
    classify,
    describe,
    idempotency_key,
    parse_retry_after,
)

UPLOAD_CHECK_SECONDS = 0.5  # longest wait for an upload before looking at Ctrl-C and polls


class Aborted(Exception):
    """Nothing more can succeed (the key was refused): stop the whole batch."""


@dataclass(frozen=True)
class BatchOptions:
    wait: bool = False
    concurrency: int = 4
    force: bool = False
    cancel_on_interrupt: bool = False
    poll: PollPolicy = field(default_factory=PollPolicy)


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

    def _poll(self, polling: dict[int, Entry]) -> tuple[float | None, bool]:
        """One round: a status request per job still running. Returns the longest
        Retry-After the answers carried (None: none did) and whether any job moved."""
        hints: list[float | None] = []
        moved = False
        for index, entry in list(polling.items()):
            if self.stop.is_set():
                break
            if entry.job_id is None:  # only jobs the API created are polled
                continue
            try:
                answer = self.client.poll(entry.job_id)
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise Aborted(f"the API refused the key: {exc.detail}") from exc
                if exc.status != 404:  # 503 and friends: next round
                    hints.append(parse_retry_after(exc.retry_after))
                    continue
                entry.fail("the job no longer exists")
            except httpx.TransportError:
                continue
            else:
                before = (entry.status, entry.job.get("progress"))
                entry.update(answer.job)
                hints.append(parse_retry_after(answer.retry_after))
                moved |= before != (entry.status, entry.job.get("progress"))
                if not entry.finished:
                    continue
            moved = True
            del polling[index]
            self._finish(entry)
        return max((h for h in hints if h is not None), default=None), moved

    def run(self, files: list[Path]) -> list[Entry]:
        self.entries = entries = [Entry(path, i) for i, path in enumerate(files)]
        pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="receiptq-upload")
        futures = {pool.submit(self._upload, entry): entry for entry in entries}
        uploading = set(futures)
        polling: dict[int, Entry] = {}
        pace = self.options.poll
        next_poll: float | None = None  # when the next round of status polls is due
        idle_rounds = 0  # rounds in a row in which no job moved
        try:
            while (uploading or polling) and not self.stop.is_set():
                # Every wait below has a timeout and none is zero unless a round is due
                # (which then moves next_poll forward): the loop never spins.
                now = time.monotonic()
                if polling and next_poll is None:
                    next_poll = now + pace.interval
                due = UPLOAD_CHECK_SECONDS  # nothing to poll yet: only the uploads to watch
                if polling and next_poll is not None:
                    due = max(0.0, next_poll - now)
                if uploading:
                    done, uploading = wait_futures(
                        uploading, timeout=min(due, UPLOAD_CHECK_SECONDS),
                        return_when=FIRST_COMPLETED,
                    )  # fmt: skip
                    for future in done:
                        self._uploaded(futures[future], future, polling)
                else:
                    self.stop.wait(due)  # Ctrl-C sets stop, which ends the wait at once
                if polling and next_poll is not None and time.monotonic() >= next_poll:
                    hint, moved = self._poll(polling)
                    idle_rounds = 0 if moved else idle_rounds + 1
                    next_poll = time.monotonic() + pace.delay(hint, len(polling), idle_rounds)
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
            if entry.job_id is None:
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
    policy: RetryPolicy | None = None,
) -> int:
    """Everything `receiptq submit` does; returns the exit status. JSON lines go to
    sys.stdout (unless quiet), messages and the summary to `err` (sys.stderr); ``policy``:
    how uploads are retried (by default `RetryPolicy()`)."""
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
        say(f"error: {unreachable(client.base_url, exc)}")
        return EXIT_ABORTED
    try:
        writer = RowWriter(jsonl, csv_path)
    except OSError as exc:
        say(f"error: cannot write {exc.filename}: {exc.strerror or exc}")
        return EXIT_ABORTED

    def sink(entry: Entry) -> None:
        writer.write(entry)
        if not quiet:
            print(json.dumps(jsonl_row(entry), ensure_ascii=False), file=sys.stdout, flush=True)

    if progress is None:
        progress = not quiet and err.isatty()
    bar = Progress(len(found.files), enabled=progress)
    batch = Batch(client, options, sink, bar, policy=policy)
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
