"""Cross-validation by shop: every receipt's fields chosen by a field model that never
saw its shop, beside the rules alone on the same readings.

    python benchmarks/folds.py ../shared/datasets/sroie-dev --readings /tmp/sroie-readings

The folds are the shared split (`../shared/tools/shop_folds.py`, 5 folds by normalized
company). For fold k the four models are trained on the other folds' receipts and pick
the fields of fold k's receipts; the figures are the shared scorer's rules, per fold and
per field, with the spread across folds. Readings (the pipeline's first reading of each
image, OCR and line model) are stored as JSON in --readings and reused; the missing ones
are read first (`benchmarks/read_dataset.py`, about 1.3 CPU s an image). With --raw the
readings are rebuilt from the raw readings of each engine (`benchmarks/raw_readings.py`),
merged by the hand-set merge or, with --chooser, by a learned chooser trained per fold
without the fold's shops, as the field models are. The field
choice here is on the first reading alone: the service's second reading of weak headers
is not run, so compare the model with the rules of this same script, not with
benchmarks/extraction.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from raw_readings import load_raw, replay  # noqa: E402  (benchmarks/, beside this file)
from read_dataset import read_missing  # noqa: E402

from receiptq.pipeline.analysis import analyze_lines  # noqa: E402
from receiptq.pipeline.analysis.layout import page_layout  # noqa: E402
from receiptq.pipeline.analysis.lines import build_lines  # noqa: E402
from receiptq.pipeline.analysis.lookalikes import restore_words  # noqa: E402
from receiptq.pipeline.fields.model import FieldModel  # noqa: E402
from receiptq.pipeline.fields.training import (  # noqa: E402
    add_receipt,
    load_reading,
    new_samples,
    rule_picks,
    train,
)
from receiptq.pipeline.lexicon import lexicon  # noqa: E402

FIELDS = ("company", "address", "date", "total")
SHARED = ROOT.parent / "shared" / "tools"


def load_tool(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shared_tools(dataset: Path) -> Path:
    """The shared tools: ../shared/tools beside the repository, else the tools/ beside the
    dataset's folder (../shared/datasets/NAME from a worktree that is not beside shared/)."""
    return SHARED if SHARED.is_dir() else dataset.resolve().parents[1] / "tools"


def hits(scorer, receipt: dict, key: dict) -> dict[str, bool]:
    """Per field, whether ``receipt`` has it right by the shared scorer's rules."""
    out = {}
    for f in FIELDS:
        got = scorer.field(receipt, f)
        if f == "total":
            out[f] = scorer.norm_total(got) is not None and scorer.norm_total(
                got
            ) == scorer.norm_total(key[f])
        elif f == "date":
            out[f] = scorer.pred_date(got) is not None and scorer.pred_date(got) == scorer.key_date(
                key[f]
            )
        else:
            out[f] = bool(scorer.norm_text(got)) and scorer.norm_text(got) == scorer.norm_text(
                key[f]
            )
    return out


def page_lines(reading):
    return build_lines(restore_words(reading))


def fold_merges(args, folds: dict[str, int], names: list[str]):
    """Per fold, the learned chooser trained on the other folds' segments (--chooser),
    or None for the hand-set merge."""
    if not args.chooser:
        return None
    from segment_choice import build, train

    from receiptq.pipeline.chooser import SegmentChooser

    segments = build(args.dataset, args.raw, names)
    return [SegmentChooser(train(segments, {n for n in names if folds[n] != k}))
            for k in range(args.folds)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="folder with img/ and key/")
    parser.add_argument("--readings", type=Path, default=None, help="JSON readings folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jsonl", type=Path, default=None, help="write the model's predictions")
    parser.add_argument(
        "--no-rules-features",
        action="store_true",
        help="train and choose without the rules' picks among the features",
    )
    parser.add_argument("--details", action="store_true", help="print every miss of the model")
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw readings (benchmarks/raw_readings.py): each reading is rebuilt from them",
    )
    parser.add_argument(
        "--chooser",
        action="store_true",
        help="with --raw: segments merged by a learned chooser trained per fold without "
        "the fold's shops (benchmarks/segment_choice.py), not by the hand-set merge",
    )
    args = parser.parse_args(argv)
    if (args.readings is None) == (args.raw is None):
        parser.error("give --readings or --raw")

    tools = shared_tools(args.dataset)
    scorer = load_tool(tools / "score_receipts.py")
    folds = load_tool(tools / "shop_folds.py").folds(args.dataset / "key", args.folds)
    known = lexicon()
    names = sorted(folds)
    keys = {n: json.loads((args.dataset / "key" / f"{n}.json").read_text()) for n in names}
    if args.raw is None:
        read_missing(args.dataset, args.readings)
        readings = {n: load_reading(args.readings / f"{n}.json") for n in names}
        merges = None
    else:
        readings, merges = None, fold_merges(args, folds, names)

    def fold_data(k: int):
        """Each receipt's rows and the field model's samples, as fold k reads them."""
        lines, samples = {}, new_samples()
        for n in names:
            if readings is not None:
                reading = readings[n]
            else:
                reading = replay(load_raw(args.raw / f"{n}.json"), merges[k] if merges else None)
            lines[n] = page_lines(reading)
            rules = rule_picks(lines[n], known) if not args.no_rules_features else None
            add_receipt(samples, n, page_layout(lines[n], known), keys[n], rules)
        return lines, samples

    data = fold_data(0) if not merges else None
    per_fold: dict[str, dict[str, list[float]]] = {"model": {}, "rules": {}}
    out = args.jsonl.open("w", encoding="utf-8") if args.jsonl else None
    for k in range(args.folds):
        lines, samples = data or fold_data(k)
        train_on = {n for n in names if folds[n] != k}
        test = [n for n in names if folds[n] == k]
        model = FieldModel({kind: b for kind, s in samples.items()
                            if (b := train(s, train_on)) is not None},
                           use_rules=not args.no_rules_features)  # fmt: skip
        for label, chooser in (("model", model), ("rules", None)):
            got = {f: 0 for f in FIELDS}
            for n in test:
                receipt = analyze_lines(lines[n], known, model=chooser).model_dump(mode="json")
                h = hits(scorer, receipt, keys[n])
                for f in FIELDS:
                    got[f] += h[f]
                if label == "model" and out is not None:
                    out.write(json.dumps({"file": n, "fold": k, "receipt": receipt}) + "\n")
                if label == "model" and args.details:
                    for f in FIELDS:
                        if not h[f]:
                            print(f"{n}\tfold {k}\t{f}\tkey={keys[n][f]!r}\t"
                                  f"got={scorer.field(receipt, f)!r}")  # fmt: skip
            for f in FIELDS:
                per_fold[label].setdefault(f, []).append(got[f] / len(test))
        print(f"fold {k}: {len(test)} receipts, trained on {len(train_on)}", file=sys.stderr)
    if out is not None:
        out.close()

    print(f"receipts: {len(names)}  folds: {args.folds} by shop  readings: {args.readings}")
    for label in ("rules", "model"):
        means = []
        cells = []
        for f in FIELDS:
            vals = per_fold[label][f]
            means.append(statistics.mean(vals))
            cells.append(f"{f} {statistics.mean(vals):.3f} ({min(vals):.2f}-{max(vals):.2f})")
        by_fold = [
            statistics.mean(per_fold[label][f][k] for f in FIELDS) for k in range(args.folds)
        ]
        mean = statistics.mean(means)
        print(f"{label:6s} " + "  ".join(cells))
        print(f"{'':6s} mean {mean:.3f} (folds {min(by_fold):.3f}-{max(by_fold):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
