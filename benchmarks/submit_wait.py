"""`receiptq submit --wait` on a real stack: the client's CPU while it waits, and wall time.

    .venv/bin/python benchmarks/submit_wait.py [--receipts 30] [--concurrency 2]
        [--client-code DIR] [--dataset DIR]

A real `receiptq api` and a real `receiptq worker --concurrency N` on a Redis database
number and a PostgreSQL database of their own (throughput.py's Stack, removed at the end).
Two generated receipts go through first so the pool processes have loaded Tesseract.
Then `receiptq submit --wait --force --quiet --jsonl OUT` runs as a subprocess on the first
N SROIE receipts (../shared/datasets/sroie-dev/img or --dataset, read in place), as a batch
script would run it. Meanwhile the jobs table and the client's /proc/PID/stat are sampled
every 0.25 s, so the client's CPU is split at the moment the last upload was accepted:
uploading (with start-up) and waiting.

Prints the client's wall time (start to exit: the full stack's time for N receipts, as a
user sees it), its CPU seconds in all and while waiting, the worker tree's CPU, the final
statuses, and the load average. `--client-code DIR` runs the client from another source
tree (before/after: `git archive COMMIT receiptq | tar -x -C DIR`); the API and worker
stay this tree's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import (  # noqa: E402
    DATASET,
    RECEIPTQ,
    Stack,
    cpu_seconds,
    generated_jpeg,
    loadavg,
    machine,
    tree_cpu,
    upload_all,
)

SAMPLE_SECONDS = 0.25


def count_jobs(stack: Stack) -> int:
    with stack.ctx.pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"]


def run_client(stack: Stack, paths: list[Path], code: str | None) -> dict:
    """One `receiptq submit --wait` over `paths`; its wall time and CPU, split at the moment
    the last upload was accepted."""
    jobs_before = count_jobs(stack)
    out = Path(tempfile.mkdtemp(prefix="bench-submit-")) / "rows.jsonl"
    env = stack.env(RECEIPTQ_API_URL=stack.url, RECEIPTQ_API_KEY=stack.key)
    if code:
        env["PYTHONPATH"] = code
    worker_cpu_before = sum(tree_cpu(w.proc.pid) for w in stack.workers)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*RECEIPTQ, "submit", "--wait", "--force", "--quiet", "--jsonl", str(out),
         *map(str, paths)],
        env=env, cwd=code or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    uploaded_at, cpu_at_upload = None, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # the kernel's own CPU count
        if pid:
            break
        cpu = cpu_seconds(proc.pid)
        if uploaded_at is None and count_jobs(stack) - jobs_before >= len(paths):
            uploaded_at, cpu_at_upload = time.perf_counter() - started, cpu
        time.sleep(SAMPLE_SECONDS)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped above
    total_cpu = usage.ru_utime + usage.ru_stime
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    shutil.rmtree(out.parent, ignore_errors=True)
    return {
        "code": code or "this tree",
        "exit": proc.returncode,
        "stderr": proc.stderr.read().decode(errors="replace").strip(),
        "elapsed": elapsed,
        "uploaded_at": uploaded_at,
        "cpu": total_cpu,
        "cpu_waiting": None if cpu_at_upload is None else total_cpu - cpu_at_upload,
        "worker_cpu": sum(tree_cpu(w.proc.pid) for w in stack.workers) - worker_cpu_before,
        "statuses": dict(Counter(row["status"] for row in rows)),
        "load": loadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--client-code", default=None, help="run the client from this tree")
    parser.add_argument(
        "--dataset", type=Path, default=DATASET, help="a folder of receipt images (*.jpg)"
    )
    args = parser.parse_args()

    paths = sorted(args.dataset.glob("*.jpg"))[: args.receipts]
    if len(paths) < args.receipts:
        raise SystemExit(f"need {args.receipts} receipts in {args.dataset}, found {len(paths)}")
    print(f"machine: {machine()}", flush=True)
    stack = Stack()
    try:
        stack.start_api(2)
        stack.start_worker("w", args.concurrency)
        warm = [(f"warm{i}.jpg", generated_jpeg(1000 + i)) for i in range(args.warmup)]
        stack.wait_done(asyncio.run(upload_all(stack.url, stack.key, warm, args.warmup)))
        res = run_client(stack, paths, args.client_code)
    finally:
        stack.close()
    print(f"client: {res['code']}; exit status {res['exit']}; statuses {res['statuses']}")
    if res["exit"] != 0:
        print(f"client stderr: {res['stderr'][-2000:]}")
    waiting = res["elapsed"] - (res["uploaded_at"] or res["elapsed"])
    print(
        f"{args.receipts} receipts, `receiptq submit --wait`, worker --concurrency "
        f"{args.concurrency}: {res['elapsed']:.1f} s wall (uploads accepted after "
        f"{res['uploaded_at'] or float('nan'):.1f} s, then {waiting:.1f} s waiting)"
    )
    print(
        f"client CPU: {res['cpu']:.2f} s in all, {res['cpu_waiting'] or float('nan'):.2f} s "
        f"while waiting; worker tree CPU {res['worker_cpu']:.1f} s; load {res['load']}"
    )
    print("command: .venv/bin/python benchmarks/submit_wait.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
