"""Load generator for a receiptq API: submit latency, or status-polling rate and latency.

Point it at your own deployment (set a high RECEIPTQ_RATE_LIMIT there first, or the
submits get 429s):

    .venv/bin/python benchmarks/loadgen.py --url https://receipts.example --key rq_... \\
        submit --concurrency 50 --requests 1000 --size-kb 300
    .venv/bin/python benchmarks/loadgen.py --url https://receipts.example --key rq_... \\
        poll --concurrency 64 --duration 20 [--jobs 200 | --job-ids a,b,c]

or let it start a private stack (`receiptq api`, gunicorn with gevent, its own Redis
database number and PostgreSQL database, removed at the end; NO worker runs, so the queue
just grows and every poll reads a queued job's state):

    .venv/bin/python benchmarks/loadgen.py --local submit
    .venv/bin/python benchmarks/loadgen.py --local poll

submit: each uploader POSTs generated receipt JPEGs of about --size-kb, each made unique
(a random JPEG comment segment), so none is answered as a duplicate (200): every answer
must be a 202. poll: --jobs receipts are submitted first, then --concurrency pollers GET
/status/{id} round robin for --duration seconds. Both print requests/s, p50/p95/p99/max
of the answers, non-2xx counts, the client's own CPU (it shares the machine with the
server when both run on one host), the machine's load, and with --local (or --api-pid)
the API's RSS before and after.

The client is httpx.AsyncClient; --processes N splits the connections over N client
processes when one Python process cannot generate enough load. For polls, `--client raw`
(a minimal HTTP/1.1 reader on keep-alive connections, ~0.05 ms of client CPU a poll)
offers an open loop of 1,000+ polls a second from one process, the load of many clients
each polling now and then:

    .venv/bin/python benchmarks/loadgen.py --local --rate 1000 poll --client raw

Open-loop latencies of the raw client count from each request's slot in the schedule,
so a client or server that falls behind shows in them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import ssl
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def unique_jpeg(base: bytes, rng: random.Random) -> bytes:
    """The same image with a random COM segment after SOI: different bytes, valid JPEG."""
    payload = rng.randbytes(32)
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return base[:2] + segment + base[2:]


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)

    def q(p: float) -> float:
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000

    return {"p50": q(50), "p95": q(95), "p99": q(99), "max": values[-1] * 1000,
            "mean": statistics.fmean(values) * 1000}  # fmt: skip


async def _pace(schedule) -> float | None:
    """Open loop: wait for this request's slot (schedule yields start times, or None);
    the slot's time, None in a closed loop."""
    if schedule is None:
        return None
    slot = next(schedule)
    delay = slot - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    return slot


def _slots(rate: float, start: float):
    """Start times of an open-loop load: `rate` requests/s, evenly spaced, shared by all."""
    n = 0
    while True:
        yield start + n / rate
        n += 1


async def _submit_worker(client, bases, rng, count, latencies, codes, force, schedule) -> None:
    params = {"force": "true"} if force else None
    for _ in range(count):
        data = unique_jpeg(rng.choice(bases), rng)
        await _pace(schedule)
        started = time.perf_counter()
        try:
            response = await client.post(
                "/api/v3/receipts/process", params=params,
                files={"file": ("receipt.jpg", data, "image/jpeg")},
            )  # fmt: skip
            code = response.status_code
        except httpx.HTTPError as exc:
            code = type(exc).__name__
        latencies.append(time.perf_counter() - started)
        codes[code] = codes.get(code, 0) + 1


async def _poll_worker(client, job_ids, offset, deadline, latencies, codes, schedule) -> None:
    index = offset
    while time.perf_counter() < deadline:
        job_id = job_ids[index % len(job_ids)]
        index += 1
        await _pace(schedule)
        started = time.perf_counter()
        try:
            response = await client.get(f"/api/v3/receipts/status/{job_id}")
            code = response.status_code
        except httpx.HTTPError as exc:
            code = type(exc).__name__
        latencies.append(time.perf_counter() - started)
        codes[code] = codes.get(code, 0) + 1


async def _raw_poll_worker(job, offset, deadline, latencies, codes, schedule) -> None:
    """One keep-alive connection polling with pre-encoded requests and a minimal reader
    (status line, Content-Length, body): a few tens of microseconds of client CPU a poll
    where httpx spends ~2.6 ms, so one Python process can offer 1,000+ polls a second
    without taking the cores the API needs. In an open loop, latency counts from the
    request's slot in the schedule, so a client (or server) that falls behind shows it
    instead of hiding it (no coordinated omission)."""
    url = urlsplit(job["url"])
    host = url.hostname or "127.0.0.1"
    port = url.port or (443 if url.scheme == "https" else 80)
    tls = ssl.create_default_context() if url.scheme == "https" else None
    head = f"Host: {url.netloc}\r\nAuthorization: Bearer {job['key']}\r\n\r\n"
    requests = [
        f"GET {url.path}/api/v3/receipts/status/{job_id} HTTP/1.1\r\n{head}".encode()
        for job_id in job["job_ids"]
    ]
    index, conn = offset, None
    while time.perf_counter() < deadline:
        request = requests[index % len(requests)]
        index += 1
        slot = await _pace(schedule)
        started = slot if slot is not None else time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port, ssl=tls)
            reader, writer = conn
            writer.write(request)
            answer = await reader.readuntil(b"\r\n\r\n")
            code = int(answer[9:12])
            length = _content_length(answer)
            if length is None:
                raise ValueError("an answer without Content-Length")
            await reader.readexactly(length)
            if b"connection: close" in answer.lower():
                writer.close()
                conn = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            code = type(exc).__name__
            if conn is not None:
                conn[1].close()
            conn = None
        latencies.append(time.perf_counter() - started)
        codes[code] = codes.get(code, 0) + 1
    if conn is not None:
        conn[1].close()


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return None


def _client(url: str, key: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )  # fmt: skip


async def _run(job: dict) -> dict:
    latencies: list[float] = []
    codes: dict = {}
    n = job["connections"]
    started = time.perf_counter()
    schedule = _slots(job["rate"], started) if job.get("rate") else None
    deadline = started + job.get("duration", 0)
    if job.get("client") == "raw":
        await asyncio.gather(*(
            _raw_poll_worker(job, i * 7 + job["seed"], deadline, latencies, codes, schedule)
            for i in range(n)
        ))  # fmt: skip
        elapsed = time.perf_counter() - started
    else:
        async with _client(job["url"], job["key"], n) as client:
            if job["mode"] == "submit":
                bases = [bytes.fromhex(b) for b in job["bases"]]
                per = [job["requests"] // n + (i < job["requests"] % n) for i in range(n)]
                await asyncio.gather(*(
                    _submit_worker(client, bases, random.Random(job["seed"] * 1000 + i),
                                   per[i], latencies, codes, job["force"], schedule)
                    for i in range(n)
                ))  # fmt: skip
            else:
                await asyncio.gather(*(
                    _poll_worker(client, job["job_ids"], i * 7 + job["seed"], deadline,
                                 latencies, codes, schedule)
                    for i in range(n)
                ))  # fmt: skip
            elapsed = time.perf_counter() - started
    return {"latencies": latencies, "codes": {str(k): v for k, v in codes.items()},
            "elapsed": elapsed}  # fmt: skip


def _process_main(job: dict) -> dict:
    cpu = time.process_time()
    out = asyncio.run(_run(job))
    out["cpu"] = time.process_time() - cpu
    return out


def run_load(job: dict, processes: int) -> dict:
    """Run one load (submit or poll) over `processes` client processes; merged figures."""
    if processes <= 1:
        parts = [_process_main(job)]
    else:
        jobs = []
        for i in range(processes):
            part = dict(job, seed=job["seed"] + i)
            part["connections"] = job["connections"] // processes + (
                i < job["connections"] % processes
            )
            if job.get("rate"):
                part["rate"] = job["rate"] / processes
            if job["mode"] == "submit":
                part["requests"] = job["requests"] // processes + (i < job["requests"] % processes)
            jobs.append(part)
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(_process_main, jobs)
    latencies = [v for p in parts for v in p["latencies"]]
    codes: dict[str, int] = {}
    for p in parts:
        for k, v in p["codes"].items():
            codes[k] = codes.get(k, 0) + v
    elapsed = max(p["elapsed"] for p in parts)
    cpu = sum(p["cpu"] for p in parts)
    return {"requests": len(latencies), "elapsed": elapsed, "rate": len(latencies) / elapsed,
            "codes": codes, "latency_ms": percentiles(latencies), "client_cpu_s": cpu,
            "client_cores": cpu / elapsed}  # fmt: skip


WRK_SCRIPT = """
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v3/receipts/status/" .. ids[(i %% #ids) + 1],
                    {["Authorization"] = "Bearer %s"})
end
done = function(summary, latency, requests)
  local codes = 0
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"max": %%d, "mean": %%f, "errors": %%d, "non2xx": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


def run_wrk(job: dict, threads: int) -> dict:
    """The poll load with wrk (C, far cheaper per request than httpx): same figures."""
    import resource
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    ids = ", ".join(f'"{i}"' for i in job["job_ids"])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (ids, job["key"]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(job["connections"]),
        "-d",
        f"{job['duration']:g}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
    ]
    if job.get("rate"):
        raise SystemExit("--rate is not supported with --client wrk (use wrk2)")
    out = subprocess.run([*argv, job["url"]], capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(script.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.split(" ", 1)[1])
    elapsed = data["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    codes = {"2xx": data["requests"] - data["non2xx"] - data["errors"]}
    if data["non2xx"]:
        codes["non-2xx"] = data["non2xx"]
    if data["errors"]:
        codes["socket errors"] = data["errors"]
    return {"requests": data["requests"], "elapsed": elapsed,
            "rate": data["requests"] / elapsed, "codes": codes,
            "latency_ms": {k: data[k] / 1000 for k in ("p50", "p95", "p99", "max", "mean")},
            "client_cpu_s": cpu, "client_cores": cpu / elapsed}  # fmt: skip


def run_ab(job: dict) -> dict:
    """The poll load with ApacheBench (C, keep-alive): one job's status, over and over.

    Its percentiles are of the answers it saw. wrk's are not: wrk adds, for every answer
    slower than the mean round, the answers a fixed-rate client would have waited for
    (its coordinated-omission correction), which for a closed loop of back-to-back
    pollers reports a mean and tail well above the real ones (Little's law: mean =
    connections / rate, and wrk's mean is often twice that)."""
    import csv
    import resource
    import shutil
    import subprocess
    import tempfile

    if not shutil.which("ab"):
        raise SystemExit("ab is not installed (Debian/Ubuntu: apt-get install apache2-utils)")
    url = f"{job['url']}/api/v3/receipts/status/{job['job_ids'][0]}"
    if job.get("rate"):
        raise SystemExit("--rate is not supported with --client ab (it is a closed loop)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.tsv"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        argv = ["ab", "-q", "-k", "-c", str(job["connections"]), "-t", f"{job['duration']:g}",
                "-n", "10000000", "-s", "10", "-H", f"Authorization: Bearer {job['key']}",
                "-g", str(raw), url]  # fmt: skip
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # -g: one row per request, "ttime" (ms, whole) in the 5th column
        with raw.open() as fh:
            rows = list(csv.reader(fh, delimiter="\t"))[1:]
    latencies = [float(r[4]) / 1000 for r in rows if len(r) > 4]

    def field(name: str) -> float:
        line = next(x for x in out.splitlines() if x.startswith(name))
        return float(line.split(":", 1)[1].split()[0])

    done, failed = int(field("Complete requests")), int(field("Failed requests"))
    non2xx = next((int(x.split(":")[1]) for x in out.splitlines() if x.startswith("Non-2xx")), 0)
    elapsed = field("Time taken for tests")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    codes = {"2xx": done - failed - non2xx}
    if non2xx:
        codes["non-2xx"] = non2xx
    if failed:
        codes["failed"] = failed
    return {"requests": done, "elapsed": elapsed, "rate": done / elapsed, "codes": codes,
            "latency_ms": percentiles(latencies), "client_cpu_s": cpu,
            "client_cores": cpu / elapsed}  # fmt: skip


def make_bases(size_kb: int, distinct: int = 4) -> list[bytes]:
    from throughput import generated_jpeg

    return [generated_jpeg(seed, size_kb) for seed in range(distinct)]


def create_jobs(url: str, key: str, count: int) -> list[str]:
    """Submit `count` small unique receipts (force=true); their job ids."""
    from throughput import generated_jpeg

    base = generated_jpeg(7)
    rng = random.Random(7)
    ids = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
        for _ in range(count):
            data = unique_jpeg(base, rng)
            response = c.post("/api/v3/receipts/process", params={"force": "true"},
                              files={"file": ("r.jpg", data, "image/jpeg")})  # fmt: skip
            response.raise_for_status()
            ids.append(response.json()["job_id"])
    return ids


def api_cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    from throughput import tree_cpu

    return tree_cpu(pid)


def api_rss(pid: int | None) -> str:
    if not pid:
        return "n/a"
    from throughput import tree_rss

    values = tree_rss(pid)
    return (
        f"{sum(values.values()):.0f} MiB total ("
        + ", ".join(f"{v:.0f}" for v in values.values())
        + ")"
    )


def report(mode: str, args, result: dict, load_before: str, load_after: str) -> None:
    lat = result["latency_ms"]
    offered = f"open loop at {args.rate:g}/s" if args.rate else "closed loop"
    print(
        f"{mode}: {result['requests']} requests in {result['elapsed']:.1f} s = "
        f"{result['rate']:.0f} requests/s, {args.concurrency} concurrent, {offered}"
    )
    print(
        f"  latency ms: p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  p99 {lat['p99']:.1f}  "
        f"max {lat['max']:.1f}  mean {lat['mean']:.1f}"
    )
    print(f"  answers: {result['codes']}")
    print(
        f"  client CPU: {result['client_cpu_s']:.1f} s = {result['client_cores']:.2f} cores "
        f"({args.processes} process(es)); load before {load_before}, after {load_after}"
    )
    if args.json:
        print(json.dumps({"mode": mode, **result}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    parser.add_argument("--url", help="the API's base URL")
    parser.add_argument(
        "--key",
        default=os.environ.get("RECEIPTQ_API_KEY"),
        help="an API key (default: $RECEIPTQ_API_KEY)",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="start a private API (no worker) instead of --url/--key",
    )
    parser.add_argument("--api-workers", type=int, default=2, help="with --local")
    parser.add_argument(
        "--code",
        help="with --local: run the API from this source tree "
        "(before/after: git archive HEAD receiptq | tar -x -C DIR)",
    )
    parser.add_argument("--api-pid", type=int, help="sample this process tree's RSS")
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--json", action="store_true", help="also print a JSON line")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="open loop: start this many requests/s in total (at most "
        "--concurrency in flight); default: closed loop, each connection "
        "sends its next request as soon as the last one is answered",
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("submit", help="POST /process latency")
    s.add_argument("--concurrency", type=int, default=50)
    s.add_argument("--requests", type=int, default=1000)
    s.add_argument("--size-kb", type=int, default=300)
    s.add_argument("--force", action="store_true", help="?force=true (skip the duplicate check)")
    p = sub.add_parser("poll", help="GET /status/{id} rate and latency")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--jobs", type=int, default=200, help="jobs to create and poll")
    p.add_argument("--job-ids", help="comma-separated existing job ids to poll instead")
    p.add_argument(
        "--client",
        choices=("httpx", "raw", "wrk", "ab"),
        default="httpx",
        help="raw (a minimal keep-alive HTTP/1.1 reader, open or closed loop), wrk "
        "(apt-get install wrk) or ab (apache2-utils): far less client CPU than httpx; "
        "ab polls one job and reports the latencies it saw, wrk's are corrected for "
        "coordinated omission (see run_ab)",
    )
    p.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()

    from throughput import Stack, loadavg, machine

    stack = None
    try:
        if args.local:
            stack = Stack()
            url, key = stack.start_api(args.api_workers, code=args.code).url, stack.key
            api_pid = stack.api.proc.pid
            print(
                f"local stack: receiptq api --workers {args.api_workers} (gevent) at {url}, "
                "no worker running (the queue grows)"
                + (f", code from {args.code}" if args.code else "")
            )
        else:
            if not args.url or not args.key:
                parser.error("give --url and --key, or --local")
            url, key, api_pid = args.url.rstrip("/"), args.key, args.api_pid
        print(f"machine: {machine()}", flush=True)
        job = {"url": url, "key": key, "mode": args.mode, "connections": args.concurrency,
               "seed": random.SystemRandom().randrange(1 << 30), "rate": args.rate}  # fmt: skip
        if args.mode == "submit":
            bases = make_bases(args.size_kb)
            sizes = ", ".join(f"{len(b) / 1024:.0f}" for b in bases)
            print(f"uploads: {len(bases)} generated receipts of {sizes} kB, each made unique")
            job.update(bases=[b.hex() for b in bases], requests=args.requests, force=args.force)
        else:
            ids = args.job_ids.split(",") if args.job_ids else create_jobs(url, key, args.jobs)
            job.update(job_ids=ids, duration=args.duration, client=args.client)
            print(f"polling {len(ids)} jobs")
        # a short warm-up (connections, imports, caches), not counted
        warm = dict(job, requests=min(50, args.concurrency), duration=1.0, seed=99, rate=0)
        run_load(warm, 1)
        rss_before, load_before = api_rss(api_pid), loadavg()
        cpu_before = api_cpu(api_pid)
        if args.mode == "poll" and args.client == "wrk":
            result = run_wrk(job, args.wrk_threads)
            args.processes = f"wrk -t {args.wrk_threads}"
        elif args.mode == "poll" and args.client == "ab":
            result = run_ab(job)
            args.processes = "ab"
        else:
            result = run_load(job, args.processes)
        cpu_used = api_cpu(api_pid) - cpu_before
        rss_after, load_after = api_rss(api_pid), loadavg()
        report(args.mode, args, result, load_before, load_after)
        if api_pid:
            print(
                f"  API CPU: {cpu_used:.1f} s = {cpu_used / result['elapsed']:.2f} cores, "
                f"{cpu_used / max(1, result['requests']) * 1000:.2f} ms per request"
            )
        print(f"  API RSS: before {rss_before}; after {rss_after}")
        if stack is not None:
            with stack.ctx.pool.connection() as conn:
                queued = conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"]
            print(f"  jobs in the database: {queued}")
        print(
            "command: .venv/bin/python benchmarks/loadgen.py "
            + " ".join("..." if a == key else a for a in sys.argv[1:])
        )
    finally:
        if stack is not None:
            stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
