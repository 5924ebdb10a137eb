"""Throughput of the full stack against the physical limit (plain Tesseract, same receipts).

    .venv/bin/python benchmarks/throughput.py [--receipts 30] [--concurrency 2]

1. Baseline ("physical limit"): `tesseract IMAGE - -l eng` once per receipt, --concurrency
   at a time, on the first N receipts (sorted) of ../shared/datasets/sroie-dev/img/*.jpg
   (read in place, never copied). Receipts/s and CPU seconds per receipt (getrusage of
   the children).
2. Full stack on the same receipts: a real `receiptq api` (gunicorn, gevent) and a real
   `receiptq worker --concurrency N` (OMP_THREAD_LIMIT=1, as the CLI sets it), a Redis
   database number and a PostgreSQL database of their own (removed at the end). Every
   receipt is uploaded over HTTP (`?force=true`), queued, run through every stage and saved;
   the clock runs from the first upload to the last job reaching a terminal status. Two
   generated receipts go through first so each pool process has loaded its Tesseract
   engine (not counted).
3. Prints receipts/s of both, the ratio (goal >= 1.0), CPU seconds per receipt of the
   worker's process tree, the API's and the baseline's, and the mean duration of each stage
   (receiptq_stage_duration_seconds from the worker's own /metrics).

The Stack class below (receiptq.testing's, with the benchmarks' defaults) is also used by
loadgen.py (--local), scale_out.py and submit_wait.py. Needs Redis and
PostgreSQL running (scripts/bootstrap.sh) and Tesseract.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq import testing  # noqa: E402
from receiptq.config import Settings  # noqa: E402

BASE_REDIS = os.environ.get("RECEIPTQ_TEST_REDIS", "redis://127.0.0.1:6379")
BASE_DATABASE = os.environ.get("RECEIPTQ_TEST_DATABASE", "postgresql://postgres@127.0.0.1:5432")
DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev" / "img"
RECEIPTQ = [sys.executable, "-m", "receiptq.cli"]
TERMINAL = ("completed", "failed", "cancelled")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- measuring processes ------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """root and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (its reaped children not included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu(root: int) -> float:
    return sum(cpu_seconds(pid) for pid in process_tree(root))


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss(root: int) -> dict[int, float]:
    return {pid: rss_mib(pid) for pid in process_tree(root)}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({model}), load average {loadavg()}"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def dataset(count: int) -> list[Path]:
    files = sorted(DATASET.glob("*.jpg"))[:count]
    if len(files) < count:
        raise SystemExit(f"need {count} receipts in {DATASET}, found {len(files)}")
    return files


def generated_jpeg(seed: int, target_kb: int = 0) -> bytes:
    """A generated receipt as JPEG; with target_kb, upscaled until it is about that size."""
    from PIL import Image

    from receiptq.samples import generate_receipt

    image, _truth = generate_receipt(random.Random(seed), "pl" if seed % 2 else "en")
    image = image.convert("RGB")
    scale = 1.0
    while True:
        buf = io.BytesIO()
        sized = (
            image
            if scale == 1.0
            else image.resize((int(image.width * scale), int(image.height * scale)), Image.BICUBIC)
        )
        sized.save(buf, format="JPEG", quality=92)
        if not target_kb or buf.tell() >= target_kb * 1024 * 0.9 or scale > 4:
            return buf.getvalue()
        scale *= 1.25


# --- a private stack ----------------------------------------------------------------------


class Stack(testing.Stack):
    """receiptq.testing's throwaway stack with the benchmarks' defaults: a rate limit out of
    the way, quiet logs, workers started as `receiptq worker` with their metrics exporter
    (for the stage times)."""

    def __init__(self, rate_limit: str = "1000000/minute") -> None:
        super().__init__(redis_base=BASE_REDIS, database_base=BASE_DATABASE, rate_limit=rate_limit)

    def start_api(
        self, workers: int = 2, extra_env: dict[str, str] | None = None, code: str | None = None
    ) -> testing.Api:
        """`receiptq api`; with `code`, from that source tree instead (before/after runs:
        `git archive HEAD receiptq | tar -x -C DIR`)."""
        quiet = {"RECEIPTQ_LOG_LEVEL": "WARNING", **(extra_env or {})}
        return super().start_api(workers, extra_env=quiet, code=code, cwd=ROOT)

    def start_worker(
        self, name: str, concurrency: int = 1, extra_env: dict[str, str] | None = None,
        code: str | None = None,
    ) -> testing.Worker:  # fmt: skip
        quiet = {"RECEIPTQ_LOG_LEVEL": "WARNING", **(extra_env or {})}
        return super().start_worker(
            name, concurrency, cli=True, loglevel="WARNING", metrics_port=testing.free_port(),
            extra_env=quiet, code=code,
        )  # fmt: skip

    def env(self, **extra: str) -> dict[str, str]:
        return testing.service_env(self.settings, **extra)

    def count_terminal(self, job_ids: list[str]) -> dict[str, int]:
        with self.ctx.pool.connection() as conn:
            rows = conn.execute(
                "SELECT status, count(*) AS n FROM jobs WHERE id = ANY(%s::uuid[]) GROUP BY status",
                (job_ids,),
            ).fetchall()
        return {row["status"]: row["n"] for row in rows}

    def wait_done(self, job_ids: list[str], timeout: float = 1800) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.count_terminal(job_ids)
            if sum(counts.get(s, 0) for s in TERMINAL) >= len(job_ids):
                return counts
            time.sleep(0.1)
        raise SystemExit(f"jobs not finished in {timeout} s: {self.count_terminal(job_ids)}")


async def upload_all(url: str, key: str, files: list[tuple[str, bytes]], parallel: int = 4
                     ) -> list[str]:  # fmt: skip
    """POST every file to /process (force=true); returns the job ids in order."""
    sem = asyncio.Semaphore(parallel)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def one(name: str, data: bytes) -> str:
            async with sem:
                response = await client.post(
                    "/api/v3/receipts/process", params={"force": "true"},
                    files={"file": (name, data, "image/jpeg")},
                )  # fmt: skip
                if response.status_code != 202:
                    raise SystemExit(f"upload {name}: {response.status_code} {response.text}")
                return response.json()["job_id"]

        return list(await asyncio.gather(*(one(n, d) for n, d in files)))


def run_receipts(stack: Stack, files: list[tuple[str, bytes]], warmup: int) -> dict:
    """Warm up, then upload `files` and wait for all; wall time, CPU, stage means."""
    if warmup:
        warm = [(f"warm{i}.jpg", generated_jpeg(1000 + i)) for i in range(warmup)]
        stack.wait_done(asyncio.run(upload_all(stack.url, stack.key, warm, parallel=warmup)))
    roots = [w.proc.pid for w in stack.workers]
    stages_before = [w.stage_seconds() for w in stack.workers]
    cpu_before = sum(tree_cpu(pid) for pid in roots)
    api_cpu_before = tree_cpu(stack.api.proc.pid)
    started = time.perf_counter()
    job_ids = asyncio.run(upload_all(stack.url, stack.key, files))
    counts = stack.wait_done(job_ids)
    elapsed = time.perf_counter() - started
    cpu = sum(tree_cpu(pid) for pid in roots) - cpu_before
    api_cpu = tree_cpu(stack.api.proc.pid) - api_cpu_before
    stages: dict[str, list[float]] = {}
    for worker, before in zip(stack.workers, stages_before, strict=True):
        for stage, (total, count) in worker.stage_seconds().items():
            b_total, b_count = before.get(stage, (0.0, 0))
            entry = stages.setdefault(stage, [0.0, 0])
            entry[0] += total - b_total
            entry[1] += count - b_count
    rss = {}
    for worker in stack.workers:
        rss.update(tree_rss(worker.proc.pid))
    return {
        "n": len(files),
        "elapsed": elapsed,
        "rate": len(files) / elapsed,
        "counts": counts,
        "cpu_per_receipt": cpu / len(files),
        "api_cpu_per_receipt": api_cpu / len(files),
        "stages": {k: v[0] / v[1] for k, v in stages.items() if v[1]},
        "worker_rss_mib": rss,
        "load": loadavg(),
    }


def worker_settings(args: argparse.Namespace) -> Settings:
    """What the worker is to run: the profile asked for, with the settings given here."""
    overrides: dict[str, object] = {"ocr_langs": args.ocr_langs} if args.ocr_langs else {}
    if args.no_line_recognizer:
        overrides["line_recognizer"] = False
    return Settings(profile=args.profile or Settings.model_fields["profile"].default, **overrides)


def worker_env(settings: Settings) -> dict[str, str]:
    """The variables that give the worker ``settings``' profile and every field it sets,
    the overrides among them (the stack's environment holds the default profile's values,
    which RECEIPTQ_PROFILE alone would not override)."""
    return testing.settings_env(settings, {"profile"})


def baseline(paths: list[Path], concurrency: int, lang: str = "eng") -> dict:
    """One plain `tesseract IMAGE - -l eng` per receipt, `concurrency` at a time."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "-", "-l", lang], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, paths))
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"elapsed": elapsed, "rate": len(paths) / elapsed, "cpu_per_receipt": cpu / len(paths),
            "load": loadavg()}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--ocr-langs",
        default=None,
        help="RECEIPTQ_OCR_LANGS for the worker (default: the setting's, eng+pol)",
    )
    parser.add_argument(
        "--profile",
        choices=["default", "best", "fast"],
        default=None,
        help="RECEIPTQ_PROFILE for the worker (default: the setting's)",
    )
    parser.add_argument(
        "--no-line-recognizer",
        action="store_true",
        help="RECEIPTQ_LINE_RECOGNIZER=false for the worker: Tesseract alone",
    )
    parser.add_argument(
        "--worker-code",
        default=None,
        help="run the worker from this source tree, e.g. an older commit: "
        "git archive COMMIT receiptq | tar -x -C DIR",
    )
    args = parser.parse_args()

    paths = dataset(args.receipts)
    print(f"machine: {machine()}", flush=True)
    base = None
    if not args.skip_baseline:
        base = baseline(paths, args.concurrency)
        print(f"baseline: tesseract -l eng, {args.concurrency} at a time: {base['rate']:.3f} "
              f"receipts/s ({base['elapsed']:.1f} s for {len(paths)}), "
              f"{base['cpu_per_receipt']:.2f} CPU s/receipt, load {base['load']}",
              flush=True)  # fmt: skip
    worker = worker_settings(args)
    stack = Stack()
    try:
        stack.start_api(args.api_workers)
        stack.start_worker("w", args.concurrency, worker_env(worker), args.worker_code)
        files = [(p.name, p.read_bytes()) for p in paths]
        res = run_receipts(stack, files, args.warmup)
        worker_log_errors = [
            line for w in stack.workers for line in w.log().splitlines() if "ERROR" in line
        ]
    finally:
        stack.close()
    line_model = worker.line_model if worker.line_recognizer else "off"
    print(f"full stack: receiptq api + worker --concurrency {args.concurrency} (OCR "
          f"{worker.ocr_langs}, profile {worker.profile}, line model {line_model}, second "
          f"reading {'on' if worker.second_reading else 'off'}): "
          f"{res['rate']:.3f} receipts/s ({res['elapsed']:.1f} s for {res['n']}), "
          f"statuses {res['counts']}, load {res['load']}")  # fmt: skip
    print(f"CPU s/receipt: worker tree {res['cpu_per_receipt']:.2f}, "
          f"API {res['api_cpu_per_receipt']:.3f}")  # fmt: skip
    total = sum(res["stages"].values())
    print(
        "mean wall seconds per receipt by stage (worker metrics; save includes the cleanup"
        " stage's commit):"
    )
    for stage, seconds in res["stages"].items():
        print(f"  {stage:<11} {seconds:6.3f} s  {seconds / total * 100:5.1f} %")
    print(f"  {'total':<11} {total:6.3f} s")
    print("worker RSS (MiB): " + ", ".join(f"{v:.0f}" for v in res["worker_rss_mib"].values()))
    if worker_log_errors:
        print(f"worker log ERROR lines: {len(worker_log_errors)}; first: {worker_log_errors[0]}")
    if base:
        print(
            f"ratio full stack / plain tesseract: {res['rate'] / base['rate']:.2f} (goal >= 1.0);"
            f" CPU per receipt, tesseract / worker: "
            f"{base['cpu_per_receipt'] / res['cpu_per_receipt']:.2f}"
        )
    print("command: .venv/bin/python benchmarks/throughput.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
