"""Scale out: one worker "host" against two, each `receiptq worker --concurrency 1`.

    .venv/bin/python benchmarks/scale_out.py [--receipts 30] [--ocr-langs eng+pol]

Each worker is started as its own "host" would run it: its own temp dir
(RECEIPTQ_TEMP_DIR, TMPDIR), metrics dir and port, node name and environment; they share
only Redis and PostgreSQL (a database number and a database of their own, removed at the
end), as docs/operations.md describes. One real `receiptq api` takes the uploads. The same
N receipts (../shared/datasets/sroie-dev/img, first N sorted, read in place) go through
first with one worker, then with two (`?force=true`); after a warm-up job per pool process
(not counted), the clock runs from the first upload to the last job finished.

Prints receipts/s for one and for two hosts, the factor (ideal 2.0 on a machine with a
core per worker; this is a 2-core machine that also runs the API, Redis and PostgreSQL),
how the jobs split between the hosts, and the machine's load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import Stack, dataset, loadavg, machine, run_receipts


def jobs_per_host(stack: Stack) -> dict[str, int]:
    """How many finished jobs each worker ran (from its stage metrics: cleanup count)."""
    return {w.name.split("@")[0]: w.stage_seconds().get("cleanup", (0, 0))[1]
            for w in stack.workers}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=30)
    parser.add_argument("--ocr-langs", default=None, help="RECEIPTQ_OCR_LANGS for the workers")
    args = parser.parse_args()
    extra = {"RECEIPTQ_OCR_LANGS": args.ocr_langs} if args.ocr_langs else {}

    files = [(p.name, p.read_bytes()) for p in dataset(args.receipts)]
    print(f"machine: {machine()}", flush=True)
    stack = Stack()
    results = {}
    try:
        stack.start_api(2)
        for hosts in (1, 2):
            for index in range(hosts):
                stack.start_worker(f"host-{'ab'[index]}", 1, extra)
            res = run_receipts(stack, files, warmup=hosts)
            split = jobs_per_host(stack)
            results[hosts] = res
            print(f"{hosts} host(s) x --concurrency 1: {res['rate']:.3f} receipts/s "
                  f"({res['elapsed']:.1f} s for {res['n']}), {res['counts']}, "
                  f"jobs run per host incl. warm-up {split}, "
                  f"worker CPU {res['cpu_per_receipt']:.2f} s/receipt, load {res['load']}",
                  flush=True)  # fmt: skip
            stack.stop_workers()
    finally:
        stack.close()
    factor = results[2]["rate"] / results[1]["rate"]
    print(f"scale-out factor, 2 hosts / 1 host: {factor:.2f} (load at the end {loadavg()})")
    print("command: .venv/bin/python benchmarks/scale_out.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
