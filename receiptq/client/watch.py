"""`receiptq watch DIR`: a folder that feeds itself (Paperless-ngx's consume directory).

Every `interval` seconds the folder is listed (its own files, not subfolders). A file is
taken once it is the same size and age on two listings in a row (so one still being
copied in is left alone), read, and submitted with `Idempotency-Key: rq-watch-<sha256>-<n>`.
When its job ends the file moves to `done/` with the job's JSON beside it
(`done/NAME.json`), or to `failed/` with the reason (`failed/NAME.reason.txt`).

Nothing is submitted twice: the state file (`watchstate`) maps each content's SHA-256 to
its job, so the same bytes dropped again (under any name) are answered with the job
already made, and a restarted watcher goes back to waiting for the jobs it left. If it
died between the upload and writing its state, the same Idempotency-Key (or the API's
duplicate detection, after the key's 24 h) gives the same job back instead of a new one.
A file whose job failed and that is dropped again is tried again (the key's `n` counts
the attempts).

Why a listing every few seconds rather than inotify (watchdog): the folder is often a
network share or a Docker bind mount from another OS, where change events do not arrive;
a listing works everywhere, costs a few system calls per file, and a file must stay
unchanged between two listings anyway before it can be taken.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from receiptq.client.http import ApiError, Client, unreachable
from receiptq.client.retry import RetryPolicy, classify, describe, parse_retry_after
from receiptq.client.watchstate import DONE, FAILED, WatchState
from receiptq.lifecycle import TERMINAL
from receiptq.pipeline.media import sniff_media_type

DONE_DIR, FAILED_DIR = "done", "failed"
PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")  # still being written
SNIFF_BYTES = 1024
EXIT_OK, EXIT_FAILED, EXIT_ABORTED = 0, 1, 2


class Aborted(Exception):
    """The API refused the key: nothing can succeed until it is fixed."""


@dataclass(frozen=True)
class WatchOptions:
    interval: float = 2.0  # seconds between listings (and between status polls)
    once: bool = False  # take what is in the folder, wait for it, then return


@dataclass
class Sighting:
    """A file in the folder as last listed."""

    signature: tuple[int, int]  # size, mtime_ns
    taken: bool = False  # submitted or set aside: nothing more to do until it moves


@dataclass
class Watcher:
    client: Client
    folder: Path
    options: WatchOptions = field(default_factory=WatchOptions)
    say: Callable[[str], None] = print
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.state = WatchState(self.folder)
        self.seen: dict[Path, Sighting] = {}
        # job id -> files in the folder waiting for it; the state's unfinished jobs too,
        # with no file (already moved, or the same bytes dropped again will join them)
        self.waiting: dict[str, list[Path]] = {k.job_id: [] for k in self.state.pending()}
        self.failed = 0  # files set aside by this run
        self.hold_until = 0.0  # no uploads before this (429, API down)
        self.trouble = 0  # retryable failures in a row

    # the folder

    def _candidates(self) -> Iterator[Path]:
        for path in sorted(self.folder.iterdir()):
            name = path.name
            if name.startswith(".") or name.endswith(PARTIAL_SUFFIXES) or not path.is_file():
                continue
            yield path

    def scan(self) -> None:
        """List the folder; take every file that did not change since the last listing."""
        present = set()
        for path in self._candidates():
            present.add(path)
            try:
                stat = path.stat()
            except OSError:
                continue  # moved away meanwhile
            signature = (stat.st_size, stat.st_mtime_ns)
            sighting = self.seen.get(path)
            if sighting is None or sighting.signature != signature:
                self.seen[path] = Sighting(signature)  # new or still growing: next time
                continue
            if not sighting.taken and time.monotonic() >= self.hold_until:
                sighting.taken = self._take(path)
        for gone in set(self.seen) - present:
            del self.seen[gone]

    def _take(self, path: Path) -> bool:
        """Submit the file (or join the job its bytes already have). False: try again at
        the next listing."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.say(f"cannot read {path.name} yet: {exc.strerror or exc}")
            return False
        if sniff_media_type(data[:SNIFF_BYTES]) is None:
            self._set_aside(path, "not a JPEG, PNG, TIFF, WebP or PDF (judged by its bytes)")
            return True
        sha256 = hashlib.sha256(data).hexdigest()
        known = self.state.get(sha256)
        if known is not None and known.status != FAILED:
            self.waiting.setdefault(known.job_id, []).append(path)
            if known.name == path.name and known.status != DONE:
                self.say(f"resuming {path.name}: job {known.job_id}")
            else:
                self.say(f"{path.name}: the same bytes as {known.name}, job {known.job_id}")
            return True
        attempt = known.attempts + 1 if known else 1
        try:
            submitted = self.client.submit_bytes(
                data, path.name, idempotency_key=f"rq-watch-{sha256}-{attempt}"
            )
        except (ApiError, httpx.TransportError) as exc:
            if isinstance(exc, ApiError) and exc.status in (401, 403):
                raise Aborted(f"the API refused the key: {exc.detail}") from exc
            if classify(exc) is None:
                self._set_aside(path, describe(exc))
                return True
            self._hold(exc)
            return False
        self._recovered()
        job_id = submitted.job_id
        self.state.submitted(sha256, job_id, path.name, attempt)
        self.waiting.setdefault(job_id, []).append(path)
        again = f" (these bytes were already job {job_id})" if submitted.duplicate_of else ""
        self.say(f"submitted {path.name}: job {job_id}{again}")
        return True

    # the API's answers

    def poll(self) -> None:
        for job_id in list(self.waiting):
            if self.stop.is_set():
                return
            try:
                job = self.client.poll(job_id).job
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise Aborted(f"the API refused the key: {exc.detail}") from exc
                if exc.status != 404:
                    continue  # 503 and friends: next round
                job = {"job_id": job_id, "status": "failed", "error": "the job no longer exists"}
            except httpx.TransportError:
                continue
            if job["status"] in TERMINAL:
                self._finish(job_id, job)

    def _finish(self, job_id: str, job: dict[str, Any]) -> None:
        completed = job["status"] == "completed"
        for path in self.waiting.pop(job_id):
            self.seen.pop(path, None)
            if not path.exists():
                continue
            if completed:
                dest = _free_name(self.folder / DONE_DIR, path.name)
                _write(dest.with_name(dest.name + ".json"), json.dumps(job, indent=2) + "\n")
                path.replace(dest)
                self.say(f"done {path.name} -> {DONE_DIR}/{dest.name}{_summary(job)}")
            else:
                reason = job.get("error") or f"the job ended {job['status']}"
                self._set_aside(path, f"{reason}\njob: {job_id}")
        self.state.finished(job_id, DONE if completed else FAILED)

    def _set_aside(self, path: Path, reason: str) -> None:
        dest = _free_name(self.folder / FAILED_DIR, path.name)
        _write(dest.with_name(dest.name + ".reason.txt"), reason + "\n")
        path.replace(dest)
        self.failed += 1
        self.say(f"failed {path.name} -> {FAILED_DIR}/{dest.name}: {reason.splitlines()[0]}")

    # pacing

    def _hold(self, exc: Exception) -> None:
        """A retryable failure (429, 503, API down): no uploads for a while."""
        self.trouble += 1
        kind = classify(exc) or ""
        retry_after = parse_retry_after(getattr(exc, "retry_after", None))
        delay = self.policy.delay(kind, self.trouble, retry_after)
        if delay is None:
            if self.options.once:
                raise Aborted(f"gave up after {self.trouble} tries: {describe(exc)}")
            delay = self.policy.max_backoff  # a service keeps trying, at the slowest pace
        self.hold_until = time.monotonic() + delay
        if self.trouble == 1:
            if isinstance(exc, httpx.TransportError):
                message = unreachable(self.client.base_url, exc)
            else:
                message = describe(exc)
            self.say(f"{message}: trying again in {delay:.0f} s")

    def _recovered(self) -> None:
        if self.trouble:
            self.say("the API answers again")
        self.trouble = 0

    # the loop

    def idle(self) -> bool:
        """Nothing in the folder left to take and no job to wait for."""
        return not self.waiting and all(
            self.seen.get(p, Sighting((-1, -1))).taken for p in self._candidates()
        )

    def run(self) -> int:
        """Until stopped (or, with `once`, until idle). Exit status: 0, 1 (`once` only:
        a file was set aside), 2 the key was refused, the folder cannot be written or,
        with `once`, the API never answered."""
        try:
            while True:
                self.scan()
                self.poll()
                if self.options.once and self.idle():
                    return EXIT_FAILED if self.failed else EXIT_OK
                if self.stop.wait(self.options.interval):
                    return EXIT_OK
        except Aborted as exc:
            self.say(f"error: {exc}")
            return EXIT_ABORTED
        except OSError as exc:  # the folder went away or became read-only
            self.say(f"error: cannot use {self.folder}: {exc.strerror or exc}")
            return EXIT_ABORTED
        finally:
            self.state.close()


def _free_name(directory: Path, name: str) -> Path:
    """`directory/name`, or `stem-2.ext`, `stem-3.ext`... when a file of that name (or its
    JSON or reason beside it) is already there."""
    directory.mkdir(exist_ok=True)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, n = name, 1
    while any(
        (directory / f"{candidate}{extra}").exists() for extra in ("", ".json", ".reason.txt")
    ):
        n += 1
        candidate = f"{stem}-{n}.{suffix}" if dot else f"{stem}-{n}"
    return directory / candidate


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a reader never sees half a file."""
    partial = path.with_name("." + path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _summary(job: dict[str, Any]) -> str:
    result = job.get("result") or {}
    merchant = (result.get("merchant") or {}).get("name")
    parts = [p for p in (merchant, result.get("date"), result.get("total")) if p]
    return f" ({', '.join(parts)})" if parts else ""


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT (Ctrl-C) and SIGTERM (`docker stop`) end the loop after the current step."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in handlers:
        signal.signal(sig, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
