"""How many concurrent event streams (GET /api/v3/receipts/events/{id}) one API holds.

Starts the API under gunicorn with the serving model asked for, opens N event streams on
jobs that stay queued (no worker runs), then, while they are all open, measures:

- how many streams got their first event within --first-event-timeout (served), and how
  many are stuck waiting for a free server thread;
- the latency of other requests meanwhile (GET /health, GET /status/{id}): does the API
  still answer, or are its workers used up by streams?
- the fan-out: one message published on every job's channel, time until each served
  stream has it;
- the server's memory (RSS of the gunicorn processes) and Redis' connected clients.

Needs Redis and PostgreSQL (as the tests do). Uses a free Redis database number and a
PostgreSQL database of its own, both removed at the end.

    .venv/bin/python benchmarks/sse_streams.py --streams 300                       # gthread 2x8
    .venv/bin/python benchmarks/sse_streams.py --streams 300 --threads 200
    .venv/bin/python benchmarks/sse_streams.py --streams 1000 --worker-class gevent

"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import redis
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq import testing  # noqa: E402
from receiptq.context import Context  # noqa: E402
from receiptq.store.jobstate import events_channel  # noqa: E402
from receiptq.store.keys import create_key  # noqa: E402

BASE_REDIS = os.environ.get("RECEIPTQ_TEST_REDIS", "redis://127.0.0.1:6379")
BASE_DATABASE = os.environ.get("RECEIPTQ_TEST_DATABASE", "postgresql://postgres@127.0.0.1:5432")


def tiny_png(seed: int) -> bytes:
    image = Image.new("L", (64, 64), 255)
    image.putpixel((seed % 64, (seed // 64) % 64), seed % 200)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def rss_kib(root_pid: int) -> tuple[int, int]:
    """RSS (KiB) and thread count of a process and its children."""
    pids = [root_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == root_pid:
                pids.append(int(entry.name))
    rss = threads = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in status:
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("Threads:"):
                threads += int(line.split()[1])
    return rss, threads


class Stream:
    def __init__(self, port: int, key: str, job_id: str) -> None:
        self.job_id = job_id
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        request = (
            f"GET /api/v3/receipts/events/{job_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        self.events = 0
        self.first_event_at: float | None = None
        self.last_event_at: float | None = None

    def read(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return
        if not chunk:
            raise ConnectionError("closed")
        self.buffer += chunk
        count = self.buffer.count(b"\ndata:") + self.buffer.startswith(b"data:")
        if count > self.events:
            now = time.perf_counter()
            self.events = count
            self.last_event_at = now
            if self.first_event_at is None:
                self.first_event_at = now


def pump(streams: list[Stream], until, timeout: float) -> None:
    selector = selectors.DefaultSelector()
    for stream in streams:
        selector.register(stream.sock, selectors.EVENT_READ, stream)
    deadline = time.perf_counter() + timeout
    try:
        while time.perf_counter() < deadline and not until():
            for key, _ in selector.select(timeout=0.05):
                try:
                    key.data.read()
                except ConnectionError:
                    selector.unregister(key.fileobj)
    finally:
        selector.close()


def timed_get(url: str, headers: dict[str, str], timeout: float) -> float | None:
    started = time.perf_counter()
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    return time.perf_counter() - started


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    ms = [statistics.median(values) * 1000, p95 * 1000, values[-1] * 1000]
    return "p50 {:.0f} ms, p95 {:.0f} ms, max {:.0f} ms".format(*ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-connections", type=int, default=1000)
    parser.add_argument("--first-event-timeout", type=float, default=10.0)
    parser.add_argument("--extra-path", default="", help="prepended to the server's PYTHONPATH")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()

    stack = contextlib.ExitStack()
    settings = stack.enter_context(
        testing.isolated_settings(
            redis_base=BASE_REDIS, database_base=BASE_DATABASE, rate_limit="100000/minute"
        )
    )
    ctx = Context(settings)
    server = None
    streams: list[Stream] = []
    try:
        key = create_key(ctx.pool, "bench")[1]
        headers = {"Authorization": f"Bearer {key}"}
        port = testing.free_port()
        env = testing.service_env(settings, RECEIPTQ_DB_POOL_MAX="10")
        if args.extra_path:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (args.extra_path, env.get("PYTHONPATH", "")) if p
            )
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "receiptq.api:create_app()",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--threads", str(args.threads), "--worker-class", args.worker_class,
             "--worker-connections", str(args.worker_connections), "--timeout", "60",
             "--backlog", "2048", "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            if timed_get(f"{base}/health", {}, 1) is not None:
                break
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()[-3000:])
            time.sleep(0.1)
        rss_idle, threads_idle = rss_kib(server.pid)

        # Jobs that stay queued: no worker consumes the queue.
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            job_ids = []
            for index in range(args.streams):
                response = client.post(
                    "/api/v3/receipts/process", files={"file": (f"r{index}.png", tiny_png(index))}
                )
                response.raise_for_status()
                job_ids.append(response.json()["job_id"])

        opened = time.perf_counter()
        streams = [Stream(port, key, job_id) for job_id in job_ids]
        pump(
            streams,
            lambda: all(s.first_event_at for s in streams),
            args.first_event_timeout,
        )
        served = [s for s in streams if s.first_event_at]
        first_latency = [s.first_event_at - opened for s in served]

        # Other requests while every stream is open.
        health = [timed_get(f"{base}/health", {}, 5) for _ in range(5)]
        status = [
            timed_get(f"{base}/api/v3/receipts/status/{job_ids[0]}", headers, 5) for _ in range(5)
        ]

        # Fan-out: one message on every channel.
        publisher = redis.Redis.from_url(settings.redis_url)
        before = {id(s): s.events for s in served}
        sent = time.perf_counter()
        with publisher.pipeline(transaction=False) as pipe:
            for stream in served:
                message = {"job_id": stream.job_id, "status": "processing", "progress": 10,
                           "stage": "preprocess", "message": "Preparing the image"}  # fmt: skip
                pipe.publish(events_channel(stream.job_id), json.dumps(message))
            pipe.execute()
        pump(served, lambda: all(s.events > before[id(s)] for s in served), 20)
        delivered = [s.last_event_at - sent for s in served if s.events > before[id(s)]]
        rss_busy, threads_busy = rss_kib(server.pid)
        redis_clients = publisher.info("clients")["connected_clients"]
        publisher.close()

        result = {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
            "streams_opened": len(streams),
            "streams_served": len(served),
            "first_event": fmt_ms(first_latency),
            "health_ok": sum(v is not None for v in health),
            "health": fmt_ms([v for v in health if v is not None]),
            "status_ok": sum(v is not None for v in status),
            "status": fmt_ms([v for v in status if v is not None]),
            "fanout_delivered": len(delivered),
            "fanout": fmt_ms(delivered),
            "rss_mib_idle": round(rss_idle / 1024),
            "rss_mib_with_streams": round(rss_busy / 1024),
            "threads_idle": threads_idle,
            "threads_with_streams": threads_busy,
            "redis_clients": redis_clients,
        }
        if args.json:
            print(json.dumps(result))
        else:
            width = max(map(len, result))
            for name, value in result.items():
                print(f"{name:<{width}}  {value}")
    finally:
        for stream in streams:
            stream.sock.close()
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        ctx.close()
        stack.close()  # flushes the Redis database, drops the database


if __name__ == "__main__":
    main()
