"""Soak: N jobs through one worker process; does its memory stay flat?

    .venv/bin/python benchmarks/soak.py [--jobs 500] [--warmup 50] [--distinct 20]

Starts its own worker (`celery -A receiptq.worker worker -c 1`) against a Redis database
number and a PostgreSQL database of its own (receiptq.testing.Stack, removed afterwards),
submits generated receipts through receiptq.jobs.submit (the API's code path, without
HTTP), waits for each, and samples the RSS of the worker's pool process from /proc
between jobs. Prints RSS after warm-up and at the end, the growth, the highest RSS the pool
process reached (VmHWM: the peak inside a job), throughput, and the command line. Needs
Redis and PostgreSQL running (scripts/bootstrap.sh) and Tesseract.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from receiptq import testing
from receiptq.jobs import SubmitOptions, submit
from receiptq.samples import generate_receipt
from receiptq.store.keys import create_key

TERMINAL = {"completed", "failed", "cancelled"}


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A process' resident memory now (VmRSS), or its highest since it started (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def receipts(distinct: int) -> list[bytes]:
    images = []
    for index in range(distinct):
        image, _truth = generate_receipt(random.Random(index), "pl" if index % 2 else "en")
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="JPEG", quality=85)
        images.append(buf.getvalue())
    return images


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--distinct", type=int, default=20)
    args = parser.parse_args()

    redis_base = os.environ.get("SOAK_REDIS", testing.REDIS)
    pg_base = os.environ.get("SOAK_DATABASE", testing.DATABASE)
    stack = testing.Stack(redis_base=redis_base, database_base=pg_base, rate_limit="100000/minute")
    ctx = stack.ctx
    user_id = create_key(ctx.pool, "soak")[0].id
    try:
        worker = stack.start_worker("soak", 1, queues="receipts", loglevel="WARNING").proc
        while not pool_children(worker.pid):
            time.sleep(0.2)
        images = receipts(args.distinct)
        options = SubmitOptions(force=True)
        samples: list[tuple[int, int]] = []
        statuses: dict[str, int] = {}
        started = time.perf_counter()
        warm_rss = 0
        for index in range(args.jobs):
            sub = submit(ctx, user_id, images[index % len(images)], "soak.jpg", options)
            job_id = sub.job["job_id"]
            while True:
                with ctx.pool.connection() as conn:
                    status = conn.execute(
                        "SELECT status FROM jobs WHERE id = %s", (job_id,)
                    ).fetchone()["status"]
                if status in TERMINAL:
                    break
                time.sleep(0.02)
            statuses[status] = statuses.get(status, 0) + 1
            children = pool_children(worker.pid)
            rss = sum(rss_kb(pid) for pid in children)
            samples.append((index + 1, rss))
            if index + 1 == args.warmup:
                warm_rss = rss
            if (index + 1) % 50 == 0:
                hwm = max(rss_kb(pid, "VmHWM") for pid in children)
                print(f"{index + 1:5d} jobs  pool RSS {rss / 1024:7.1f} MB  "
                      f"highest in a job {hwm / 1024:7.1f} MB  {statuses}", flush=True)  # fmt: skip
        elapsed = time.perf_counter() - started
        end_rss = samples[-1][1]
        peak = max(r for _, r in samples[args.warmup - 1 :])
        growth = (end_rss - warm_rss) / warm_rss * 100 if warm_rss else float("nan")
        main_rss = rss_kb(worker.pid)
        in_job = max(rss_kb(pid, "VmHWM") for pid in pool_children(worker.pid))
        print()
        print(f"jobs {args.jobs} ({args.distinct} distinct receipts), statuses {statuses}")
        print(f"throughput {args.jobs / elapsed:.2f} jobs/s sequential, one pool process")
        print(f"pool process RSS after {args.warmup} jobs: {warm_rss / 1024:.1f} MB; "
              f"at the end: {end_rss / 1024:.1f} MB; peak after warm-up {peak / 1024:.1f} MB; "
              f"growth {growth:+.1f} %")  # fmt: skip
        print(f"pool process RSS at its highest, during a job (VmHWM): {in_job / 1024:.1f} MB")
        print(f"worker main process RSS: {main_rss / 1024:.1f} MB")
        print("command: .venv/bin/python benchmarks/soak.py " + " ".join(sys.argv[1:]))
        return 0 if growth < 10 else 1
    finally:
        stack.close()  # the worker, the Redis database, the database


if __name__ == "__main__":
    sys.exit(main())
