"""Pages turned 90, 180 and 270 degrees: does the orient step find the turn, what does it
cost, and is the total then read as on the upright page?

Generated receipts (receiptq.samples: English, Polish and mixed, noise levels 0-3 in turn),
each read upright and turned three ways, through the whole pipeline in this process. Per
turn: how often the page ended upright (the orient step's decision), how often the step
ran at all (the first reading looked weak), its CPU seconds, and the total read right.
`--without` runs the same pages with the step skipped, for comparison.

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
from receiptq.pipeline.orientation import TURNS, turned
from receiptq.pipeline.run import Pipeline
from receiptq.samples.generate import generate_receipt, plan

LANGS = ("en", "pl", "mixed")


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
    parser.add_argument("--without", action="store_true", help="skip the orient step")
    args = parser.parse_args(argv)

    skip = ("orient",) if args.without else ()
    pipeline = Pipeline.from_settings(Settings(), skip=skip)
    stats: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for index, level, page, total in pages(args.count, args.seed):
        for degrees in TURNS:
            # the page as photographed: turned `degrees` clockwise, so that turning it
            # back is `degrees` counterclockwise
            doc = Document.from_image(turned(page, -degrees % 360))
            row = stats[degrees]
            row["pages"] += 1
            try:
                pipeline.run(doc)
            except ReceiptqError:  # "No receipt text could be read": the job would fail
                row["refused"] += 1
            decided = doc.turns[0] if doc.turns else 0
            row["upright"] += decided == degrees
            row["checked"] += bool(doc.turns)
            row["wrongly turned"] += decided not in (0, degrees)
            row["total right"] += doc.receipt is not None and doc.receipt.total == total
            timing = doc.timings.get("orient")
            row["orient cpu"] += timing.cpu if timing else 0.0
            row["pipeline cpu"] += sum(t.cpu for t in doc.timings.values())
            if decided != degrees:
                print(f"  receipt {index} (noise {level}) turned {degrees}: decided {decided}",
                      file=sys.stderr)  # fmt: skip

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
          f" load {os.getloadavg()[0]:.2f}; OMP_THREAD_LIMIT="
          f"{os.environ.get('OMP_THREAD_LIMIT', 'unset')}")  # fmt: skip
    print("# " + " ".join(["benchmarks/orientation.py", *(argv or sys.argv[1:])]))
    print("| turned | pages | ended upright | step ran | turned wrongly | refused | total right |"
          " orient CPU s/page | pipeline CPU s/page |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for degrees in TURNS:
        row = stats[degrees]
        n = row["pages"]
        print(
            f"| {degrees} | {n:.0f} | {row['upright']:.0f} | {row['checked']:.0f} |"
            f" {row['wrongly turned']:.0f} | {row['refused']:.0f} | {row['total right']:.0f} |"
            f" {row['orient cpu'] / n:.3f} | {row['pipeline cpu'] / n:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
