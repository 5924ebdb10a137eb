"""Soak: N jobs through one worker process; does its memory stay flat?

    .venv/bin/python benchmarks/soak.py [--jobs 500] [--warmup 50] [--distinct 20]

Starts its own worker (`celery -A receiptq.worker worker -c 1`) against a Redis database
number and a PostgreSQL database of its own (dropped afterwards), submits generated receipts
through receiptq.jobs.submit (the API's code path, without HTTP), waits for each, and
samples the RSS of the worker's pool process from /proc. Prints RSS after warm-up and at the
end, the growth, throughput, and the command line. Needs Redis and PostgreSQL running
(scripts/bootstrap.sh) and Tesseract.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from receiptq.config import Settings
from receiptq.context import Context
from receiptq.jobs import SubmitOptions, submit
from receiptq.samples import generate_receipt
from receiptq.store.keys import create_key
from receiptq.store.migrate import upgrade

TERMINAL = {"completed", "failed", "cancelled"}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def free_redis_db(base: str) -> int:
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0:
            return number
    raise SystemExit("no empty Redis database")


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

    redis_base = os.environ.get("SOAK_REDIS", "redis://127.0.0.1:6379")
    pg_base = os.environ.get("SOAK_DATABASE", "postgresql://postgres@127.0.0.1:5432")
    db_name = f"receiptq_soak_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        redis_url=f"{redis_base}/{free_redis_db(redis_base)}",
        database_url=f"{pg_base}/{db_name}",
        rate_limit="100000/minute",
    )
    upgrade(settings.database_url)
    ctx = Context(settings)
    user_id = create_key(ctx.pool, "soak")[0].id
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {**os.environ, "RECEIPTQ_REDIS_URL": settings.redis_url,
           "RECEIPTQ_DATABASE_URL": settings.database_url, "OMP_THREAD_LIMIT": "1",
           "TMPDIR": str(tmp)}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "receiptq.worker", "worker", "-c", "1",
         "-Q", "receipts", "-n", f"soak-{uuid.uuid4().hex[:6]}@%h", "-l", "WARNING",
         "--without-gossip", "--without-mingle"],
        env=env, stdout=(tmp / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
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
                print(f"{index + 1:5d} jobs  pool RSS {rss / 1024:7.1f} MB  {statuses}", flush=True)
        elapsed = time.perf_counter() - started
        end_rss = samples[-1][1]
        peak = max(r for _, r in samples[args.warmup - 1 :])
        growth = (end_rss - warm_rss) / warm_rss * 100 if warm_rss else float("nan")
        main_rss = rss_kb(worker.pid)
        print()
        print(f"jobs {args.jobs} ({args.distinct} distinct receipts), statuses {statuses}")
        print(f"throughput {args.jobs / elapsed:.2f} jobs/s sequential, one pool process")
        print(f"pool process RSS after {args.warmup} jobs: {warm_rss / 1024:.1f} MB; "
              f"at the end: {end_rss / 1024:.1f} MB; peak after warm-up {peak / 1024:.1f} MB; "
              f"growth {growth:+.1f} %")  # fmt: skip
        print(f"worker main process RSS: {main_rss / 1024:.1f} MB")
        print("command: .venv/bin/python benchmarks/soak.py " + " ".join(sys.argv[1:]))
        return 0 if growth < 10 else 1
    finally:
        worker.terminate()
        worker.wait(30)
        ctx.close()
        redis.Redis.from_url(settings.redis_url).flushdb()
        with psycopg.connect(f"{pg_base}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(db_name)))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
