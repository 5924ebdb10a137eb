"""Train the field model on our own readings of labelled receipts and write it into the
package (receiptq/data/fields/{company,address,total,date}.txt, LightGBM text models).

    python scripts/train_fields.py ../shared/datasets/sroie-dev --readings /tmp/sroie-readings

Readings missing from --readings are made first (benchmarks/read_dataset.py: the
pipeline's first reading, about 1.3 CPU s an image on 2 processes); training itself takes
seconds and is deterministic (one thread, fixed seeds: the same readings give the same
files). Judge a change with benchmarks/folds.py (folds split by shop), never by this
model's score on the receipts it was trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from read_dataset import read_missing  # noqa: E402

from receiptq.pipeline.analysis.layout import page_layout  # noqa: E402
from receiptq.pipeline.analysis.lines import build_lines  # noqa: E402
from receiptq.pipeline.analysis.lookalikes import restore_words  # noqa: E402
from receiptq.pipeline.fields.model import MODEL_DIR  # noqa: E402
from receiptq.pipeline.fields.training import (  # noqa: E402
    add_receipt,
    load_reading,
    new_samples,
    rule_picks,
    train,
)
from receiptq.pipeline.lexicon import lexicon  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="folder with img/ and key/")
    parser.add_argument("--readings", type=Path, required=True, help="JSON readings folder")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--only",
        default="company,address,total,date",
        help="the models to write (others are left as they are)",
    )
    args = parser.parse_args(argv)
    read_missing(args.dataset, args.readings)
    known = lexicon()
    samples = new_samples()
    names = sorted(p.stem for p in (args.dataset / "key").glob("*.json"))
    for name in names:
        key = json.loads((args.dataset / "key" / f"{name}.json").read_text(encoding="utf-8"))
        lines = build_lines(restore_words(load_reading(args.readings / f"{name}.json")))
        rules = rule_picks(lines, known)  # the shipped model weighs the rules' picks too
        add_receipt(samples, name, page_layout(lines, known), key, rules)
    args.out.mkdir(parents=True, exist_ok=True)
    for kind in args.only.split(","):
        booster = train(samples[kind], set(names))
        if booster is None:
            print(f"{kind}: one class only, not written", file=sys.stderr)
            continue
        path = args.out / f"{kind}.txt"
        path.write_text(booster.model_to_string(), encoding="utf-8")
        s = samples[kind]
        print(
            f"{kind}: {len(s.y)} candidates, {sum(s.y)} positive -> {path} "
            f"({path.stat().st_size // 1024} KiB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
