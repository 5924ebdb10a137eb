"""Pages turned 90, 180 and 270 degrees: does the upright step turn them back, what does it
cost, and is the total then read as on the upright page?

Generated receipts (receiptq.samples: English, Polish and mixed, noise levels 0-3 in turn),
each read upright and turned three ways, through the whole pipeline in this process. Per
turn: how often the upright step (`receiptq.pipeline.orientation`, run when the first
reading is weak) replaced the page with a turned one, its CPU seconds, how many pages the
quality check refused, and the total read right. `--without` runs the same pages with the
step skipped, for comparison.

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/orientation.py --count 30
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
from collections import defaultdict

import cv2
import numpy as np

from receiptq.config import Settings
from receiptq.errors import ReceiptqError
from receiptq.pipeline.document import Document
from receiptq.pipeline.run import Pipeline
from receiptq.samples.generate import generate_receipt, plan

LANGS = ("en", "pl", "mixed")
#: Each page is read as printed and turned this many degrees clockwise.
TURNS = (0, 90, 180, 270)
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def pages(count: int, seed: int):
    """(index, noise level, BGR page, true total) of `count` generated receipts."""
    for index in range(count):
        lang = LANGS[index % len(LANGS)]
        layout, level = plan(index, lang, None)
        rng = random.Random(f"receiptq-orientation:{seed}:{index}")
        image, truth = generate_receipt(rng, lang, layout=layout, noise=level)
        bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
        yield index, level, bgr, truth["total"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30, help="generated receipts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--without", action="store_true", help="skip the upright step")
    args = parser.parse_args(argv)

    skip = ("upright",) if args.without else ()
    pipeline = Pipeline.from_settings(Settings(), skip=skip)
    stats: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for index, level, page, total in pages(args.count, args.seed):
        for degrees in TURNS:
            shown = cv2.rotate(page, _ROTATE[degrees]) if degrees else page
            doc = Document.from_image(shown)
            row = stats[degrees]
            row["pages"] += 1
            try:
                pipeline.run(doc)
            except ReceiptqError:  # "No receipt text could be read": the job would fail
                row["refused"] += 1
            replaced = bool(doc.pages) and doc.pages[0] is not shown
            row["turned"] += replaced
            right = doc.receipt is not None and doc.receipt.total == total
            row["total right"] += right
            timing = doc.timings.get("upright")
            row["upright cpu"] += timing.cpu if timing else 0.0
            row["pipeline cpu"] += sum(t.cpu for t in doc.timings.values())
            if not right:
                print(f"  receipt {index} (noise {level}) turned {degrees}: total"
                      f" {doc.receipt.total if doc.receipt else None} for {total}"
                      f"{' (page turned by the step)' if replaced else ''}",
                      file=sys.stderr)  # fmt: skip

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
          f" load {os.getloadavg()[0]:.2f}; OMP_THREAD_LIMIT="
          f"{os.environ.get('OMP_THREAD_LIMIT', 'unset')}")  # fmt: skip
    print("# " + " ".join(["benchmarks/orientation.py", *(argv or sys.argv[1:])]))
    print("| turned | pages | page turned by the step | refused | total right |"
          " upright CPU s/page | pipeline CPU s/page |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for degrees in TURNS:
        row = stats[degrees]
        n = row["pages"]
        print(
            f"| {degrees} | {n:.0f} | {row['turned']:.0f} | {row['refused']:.0f} |"
            f" {row['total right']:.0f} | {row['upright cpu'] / n:.3f} |"
            f" {row['pipeline cpu'] / n:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
