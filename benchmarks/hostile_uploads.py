"""Worker-side peak memory of small uploads that decode to huge images, against a normal
receipt: each file goes through the pipeline the worker runs (`receiptq.pipeline.run.extract`,
default settings) in a fresh Python process, whose peak RSS (`getrusage` ru_maxrss, which
includes loading the models) is reported with the outcome (completed, or the 422 message).
Also shows what the API answers at submit (`media.inspect`, the check it runs).

    .venv/bin/python benchmarks/hostile_uploads.py [--code DIR] [--repeat N]

`--code DIR` runs another commit's pipeline (`git archive COMMIT receiptq | tar -x -C DIR`)
on the same files, for a before/after on one machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from receiptq.config import Settings
from receiptq.errors import ReceiptqError
from receiptq.pipeline import media

data = open(sys.argv[1], "rb").read()
s = Settings()
limits = {"max_pixels": s.max_pixels, "max_pdf_pages": s.max_pdf_pages}
if hasattr(s, "max_job_pixels"):
    limits["max_job_pixels"] = s.max_job_pixels
try:
    from receiptq.pipeline.run import Pipeline
    run = Pipeline.from_settings(s).extract
except ImportError:  # an older commit (--code): the function before the orchestrator
    from receiptq.pipeline.run import ExtractOptions, extract
    run = lambda d: extract(d, ExtractOptions(langs=s.ocr_langs, **limits))
started = time.perf_counter()
try:
    media.inspect(data, **limits)
    api = "accepted"
except ReceiptqError as exc:
    api = f"{exc.status}: {exc.message}"
try:
    run(data)
    worker = "completed"
except ReceiptqError as exc:
    worker = f"{exc.status}: {exc.message}"
print(json.dumps({
    "api": api, "worker": worker, "seconds": round(time.perf_counter() - started, 2),
    "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
"""


def blank_pdf(pages: int, side_pt: float) -> bytes:
    """A PDF of empty pages of side_pt x side_pt points (14400 is PDF's largest page)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(side_pt, side_pt)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def blank_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _run(path: Path, env: dict[str, str], cwd: str) -> dict:
    """One fresh process (not run from the repository: `-c` would import it from there)."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], env=env, cwd=cwd,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the receiptq to run")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per file")
    args = parser.parse_args()
    files = {
        "normal receipt (samples/pl_fiscal_2024_002.jpg)": (
            ROOT / "samples" / "pl_fiscal_2024_002.jpg"
        ).read_bytes(),
        "PDF, 5 pages of 14400 x 14400 pt": blank_pdf(5, 14400),
        "PDF, 5 pages of 1000 x 1000 pt (38.6 MP in all)": blank_pdf(5, 1000),
        "PNG, blank 6300 x 6300 (39.7 MP)": blank_png(6300, 6300),
    }
    print(
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve()), "OMP_THREAD_LIMIT": "1"}
    print(f"code: {args.code}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            path = Path(tmp) / "upload"
            path.write_bytes(data)
            runs = [_run(path, env, cwd=tmp) for _ in range(args.repeat)]
            peaks = ", ".join(str(run["peak_mib"]) for run in runs)
            last = runs[-1]
            print(
                f"{name}: {len(data) / 1024:.1f} KiB, peak RSS {peaks} MiB, "
                f"{last['seconds']} s; API: {last['api']}; worker: {last['worker']}"
            )
    print("command: .venv/bin/python benchmarks/hostile_uploads.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
