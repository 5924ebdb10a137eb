"""Train the segment chooser (`receiptq.pipeline.chooser`) on the re-read segments of
labelled receipts and write it into the package (receiptq/data/chooser.txt, a LightGBM
text model).

    python scripts/train_chooser.py ../shared/datasets/sroie-dev --raw /tmp/sroie-raw

Raw readings missing from --raw are recorded first (`benchmarks/raw_readings.py`, about
1.3 CPU s an image on 2 processes); the segments and their truth are those of
`benchmarks/segment_choice.py`. Training takes seconds and is deterministic (one thread,
fixed seeds). Judge it by `benchmarks/segment_choice.py` and `benchmarks/folds.py --raw
DIR --chooser` (folds split by shop), never by its score on the receipts it saw.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from segment_choice import build, train  # noqa: E402

from receiptq.pipeline.chooser import MODEL_PATH  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="folder with img/, key/ and box/")
    parser.add_argument("--raw", type=Path, required=True, help="raw readings folder")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    names = sorted(p.stem for p in (args.dataset / "key").glob("*.json"))
    segments = build(args.dataset, args.raw, names)
    booster = train(segments, set(names))
    args.out.write_text(booster.model_to_string(), encoding="utf-8")
    print(f"{len(segments.texts)} segments, {len(segments.y)} candidates -> {args.out} "
          f"({args.out.stat().st_size // 1024} KiB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
