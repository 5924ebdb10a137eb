"""Extraction accuracy and CPU cost on a folder of receipt scans.

Runs preprocess -> OCR -> analyze (and the second reading of weak results, see
receiptq/pipeline/reread.py) in this process for every image, writes predictions in
the scorer's JSONL format, scores them with the shared scorer (loaded by path: it is not
part of the project) and prints per-field accuracy and CPU seconds per receipt.

    python benchmarks/extraction.py ../shared/datasets/sroie-dev --jsonl /tmp/pred.jsonl

DATASET_DIR is either an SROIE-style folder (img/*.jpg and key/*.json) or a plain folder of
images (then nothing is scored). CPU time is this process's plus its children's (the
pytesseract engine runs tesseract as a child process). Nothing is cached between runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack, redirect_stdout
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from readings_cache import cached_readings  # noqa: E402  (benchmarks/, beside this file)

from receiptq.pipeline.ocr import default_engine  # noqa: E402
from receiptq.pipeline.reread import FIRST_PASS, SECOND_PASS, read_receipt  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def image_files(dataset: Path) -> list[Path]:
    folder = dataset / "img" if (dataset / "img").is_dir() else dataset
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score_receipts", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _subset_keys(key_dir: Path, stems: list[str]) -> Path:
    """A temporary folder linking only the keys of the images run (for --limit)."""
    sub = Path(tempfile.mkdtemp(prefix="receiptq-keys-"))
    for stem in stems:
        key = key_dir / f"{stem}.json"
        if key.is_file():
            (sub / key.name).symlink_to(key.resolve())
    return sub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="SROIE-style folder or a folder of images")
    parser.add_argument("--jsonl", type=Path, default=None, help="where to write predictions")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument(
        "--scorer",
        type=Path,
        default=ROOT.parent / "shared" / "tools" / "score_receipts.py",
        help="path to score_receipts.py",
    )
    parser.add_argument("--engine", choices=["tesserocr", "pytesseract"], default=None)
    parser.add_argument("--ocr-langs", default="eng+pol", help="Tesseract languages")
    parser.add_argument("--no-deskew", action="store_true", help="do not straighten pages")
    parser.add_argument(
        "--no-line-recognizer",
        action="store_true",
        help="Tesseract only: do not re-read key rows with the PP-OCR line model",
    )
    parser.add_argument("--details", action="store_true", help="print every miss")
    parser.add_argument(
        "--single-pass", action="store_true", help="never read an image a second time"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="store OCR and line-model readings in this folder and reuse them (analysis "
        "work: seconds a run; CPU figures then are not the pipeline's, see readings_cache.py)",
    )
    args = parser.parse_args(argv)
    if args.cache is not None:
        try:
            args.cache.mkdir(parents=True, exist_ok=True)
            probe = args.cache / ".writable"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            parser.error(f"--cache {args.cache}: cannot write there ({exc.strerror})")
    if args.no_deskew:  # both readings' preprocessing
        FIRST_PASS["deskew"] = SECOND_PASS["deskew"] = False

    files = image_files(args.dataset)[: args.limit]
    if not files:
        raise SystemExit(f"no images in {args.dataset}")
    out_path = args.jsonl or Path(f"/tmp/receiptq-extraction-{os.getpid()}.jsonl")
    engine = args.engine or default_engine()
    cpu: list[float] = []
    with ExitStack() as stack, out_path.open("w", encoding="utf-8") as out:
        cache = stack.enter_context(cached_readings(args.cache)) if args.cache else None
        for path in files:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                print(f"unreadable: {path}", file=sys.stderr)
                continue
            if cache is not None:
                cache.open(path.stem)
            t0 = cpu_seconds()
            receipt = read_receipt(
                image,
                langs=args.ocr_langs,
                engine=engine,
                second_pass=not args.single_pass,
                line_recognizer=not args.no_line_recognizer,
            )
            cpu.append(cpu_seconds() - t0)
            row = {
                "file": str(path),
                "receipt": receipt.model_dump(mode="json"),
                "cpu_s": round(cpu[-1], 3),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")

    n = len(cpu)
    p95 = sorted(cpu)[min(n - 1, round(0.95 * (n - 1)))]
    print(f"images: {n}  engine: {engine}  predictions: {out_path}")
    if args.cache:
        print(f"readings cached in {args.cache}: CPU below is not the pipeline's cost")
    print(
        f"CPU s/receipt (preprocess + OCR + analysis): mean {statistics.mean(cpu):.3f}  "
        f"p95 {p95:.3f}  max {max(cpu):.3f}"
    )
    key_dir = args.dataset / "key"
    if key_dir.is_dir():
        if not args.scorer.is_file():
            print(f"scorer not found at {args.scorer}; skipping scoring", file=sys.stderr)
        else:
            scorer = load_scorer(args.scorer)
            if args.limit:
                key_dir = _subset_keys(key_dir, [p.stem for p in files])
            buf = io.StringIO()
            with redirect_stdout(buf):
                scorer.score(out_path, key_dir, args.details)
            print(buf.getvalue(), end="")
    cmd = ["python", "benchmarks/extraction.py", str(args.dataset)]
    if args.jsonl:
        cmd += ["--jsonl", str(args.jsonl)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.engine:
        cmd += ["--engine", args.engine]
    if args.single_pass:
        cmd += ["--single-pass"]
    if args.cache:
        cmd += ["--cache", str(args.cache)]
    print("reproduce: " + " ".join(cmd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
