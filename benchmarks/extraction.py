"""Extraction accuracy and CPU cost on a folder of receipt scans.

Runs the pipeline (`receiptq.pipeline.run.Pipeline`, the worker's) in this process on every
image, up to the receipt's fields: the quality check (which would refuse a receipt instead
of predicting it), the item categories and validation are left out. Writes predictions in
the scorer's JSONL format, scores them with the shared scorer (loaded by path: it is not
part of the project) and prints per-field accuracy and CPU seconds per receipt, in all and
per step.

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
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq.config import Settings  # noqa: E402
from receiptq.pipeline.cache import ReadingsStore, cached_engines  # noqa: E402
from receiptq.pipeline.document import Document  # noqa: E402
from receiptq.pipeline.engines import Engines  # noqa: E402
from receiptq.pipeline.preprocess import Preprocessor, Switches  # noqa: E402
from receiptq.pipeline.run import SECOND_READING, Pipeline  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


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
    parser.add_argument(
        "--profile", choices=["default", "best", "fast"], default="default", help="RECEIPTQ_PROFILE"
    )
    parser.add_argument("--ocr-langs", default=None, help="Tesseract languages (profile's)")
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
        "work: seconds a run; CPU figures then are not the pipeline's, see "
        "receiptq/pipeline/cache.py)",
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

    files = image_files(args.dataset)[: args.limit]
    if not files:
        raise SystemExit(f"no images in {args.dataset}")
    out_path = args.jsonl or Path(f"/tmp/receiptq-extraction-{os.getpid()}.jsonl")
    overrides: dict[str, object] = {"ocr_langs": args.ocr_langs} if args.ocr_langs else {}
    if args.no_line_recognizer:
        overrides["line_recognizer"] = False
    if args.single_pass:
        overrides["second_reading"] = False
    settings = Settings(profile=args.profile, **overrides)
    engines = Engines.from_settings(settings, backend=args.engine)
    if args.no_deskew:  # both readings' preprocessing, at the settings' target height
        options: Switches = {"target_char_height": settings.target_char_height, "deskew": False}
        engines = replace(engines, preprocessor=Preprocessor(options))
    store = ReadingsStore(args.cache) if args.cache else None
    if store is not None:
        engines = cached_engines(engines, store)
    skip = {"quality", "categorize", "validation"}
    pipeline = Pipeline(
        engines, skip=skip | (set() if settings.second_reading else set(SECOND_READING))
    )
    cpu: list[float] = []
    steps: dict[str, list[float]] = defaultdict(list)
    with out_path.open("w", encoding="utf-8") as out:
        for path in files:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                print(f"unreadable: {path}", file=sys.stderr)
                continue
            if store is not None:
                store.open(path.stem)
            doc = pipeline.run(Document.from_image(image))
            cpu.append(sum(t.cpu for t in doc.timings.values()))
            for name, timing in doc.timings.items():
                steps[name].append(timing.cpu)
            row = {
                "file": str(path),
                "receipt": doc.receipt.model_dump(mode="json"),
                "cpu_s": round(cpu[-1], 3),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if store is not None:
        store.save()

    n = len(cpu)
    p95 = sorted(cpu)[min(n - 1, round(0.95 * (n - 1)))]
    print(f"images: {n}  engine: {engines.ocr.name}  predictions: {out_path}")
    if args.cache:
        print(f"readings cached in {args.cache}: CPU below is not the pipeline's cost")
    print(
        f"CPU s/receipt (preprocess + OCR + analysis): mean {statistics.mean(cpu):.3f}  "
        f"p95 {p95:.3f}  max {max(cpu):.3f}"
    )
    print(
        "CPU s/receipt by step: "
        + ", ".join(f"{name} {sum(values) / n:.3f}" for name, values in steps.items())
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
    if args.profile != "default":
        cmd += ["--profile", args.profile]
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
