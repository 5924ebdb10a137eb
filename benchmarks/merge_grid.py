"""The hand-set merge's thresholds (`refine.MIN_CONFIDENCE`, `TESSERACT_WEIGHT`, `GUESS`)
tried on recorded readings, and chosen without looking at the shops they are scored on.
Each point is a `refine.MergeLimits` handed to the replay's merge (nothing is patched).

    python benchmarks/merge_grid.py ../shared/datasets/sroie-dev --raw /tmp/sroie-raw \
        --min-confidence 0.6,0.7,0.8,0.9 --tesseract-weight 0.8,0.9,1.0 --guess 10

--raw holds the raw readings (`benchmarks/raw_readings.py`). Each grid point replays every
page's recorded calls with the merge's constants set to it (`raw_readings.replay`, seconds
for all 376), and the rules alone (no field model) pick the fields, scored as
`benchmarks/folds.py` scores its rules: per fold of the shared split by shop
(`../shared/tools/shop_folds.py`) and per field, the fold's mean over the fields. Printed:
every point's mean over the folds, then the nested choice: for each fold, the point with
the best mean over the OTHER folds (ties go to the shipped constants, then to the grid's
order), scored on that fold; the held-out figures per field are the mean of those, beside
the shipped constants'. A page whose replay asks for other segments than were recorded
(the merge changed which item rows are re-read) falls back to its recorded final reading,
the shipped merge's; their count per point is printed ("fallback"). --readings-out DIR
writes each point's readings to DIR/NAME (`folds.py --readings DIR/NAME` scores them).
--skip-sure 101,95,90 measures another lever on the same replays instead: no line model on
segments Tesseract read surely (`SkipSure`).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import statistics
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from folds import FIELDS, hits, load_tool, page_lines, shared_tools  # noqa: E402
from raw_readings import ReplayLines, ReplayOcr, load_raw  # noqa: E402
from read_dataset import write_json  # noqa: E402

from receiptq.pipeline import refine  # noqa: E402
from receiptq.pipeline.analysis import analyze_lines  # noqa: E402
from receiptq.pipeline.fields.training import load_reading  # noqa: E402
from receiptq.pipeline.lexicon import all_known, lexicon  # noqa: E402
from receiptq.pipeline.ocr import OcrResult  # noqa: E402
from receiptq.pipeline.reread import read_page  # noqa: E402

CONSTANTS = ("MIN_CONFIDENCE", "TESSERACT_WEIGHT", "GUESS")


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def point_name(point: dict[str, float]) -> str:
    return "-".join(f"{k.lower()}{v:g}" for k, v in point.items())


class ShapeLines(ReplayLines):
    """The recorded line readings, noting the size of every crop asked for."""

    def __init__(self, calls, alphabet) -> None:
        super().__init__(calls, alphabet)
        self.shapes: list[tuple[int, ...]] = []

    def read(self, crops):
        self.shapes.extend(c.shape for c in crops)
        return super().read(crops)


def replay_checked(
    raw: dict, asked: list | None, merge: refine.Merge | None = None
) -> tuple[OcrResult, list | None]:
    """`raw_readings.replay` with the shipped merge's crops (``asked``, None when this is
    the shipped merge) as a check: a page whose crops differ (the merge changed which item
    rows are re-read), or which cannot be replayed, gives its recorded final reading and
    None. Returns the reading and the crops asked for."""
    page = np.zeros(raw["shape"], dtype=np.uint8)  # crops are not looked at
    lines = ShapeLines(raw["lines"], frozenset(raw["alphabet"]))
    try:
        reading = read_page(page, ReplayOcr(raw["ocr"]), lines, merge)
    except (ValueError, StopIteration):
        return raw["final"], None
    if asked is not None and lines.shapes != asked:
        return raw["final"], None
    return reading, lines.shapes


def score_point(point, raws, keys, folds, scorer, known, out: Path | None, asked: dict,
                merge: refine.Merge | None = None):  # fmt: skip
    """Per fold and field, the share of receipts the rules get right with the merge's
    constants set to ``point`` (or with ``merge``); and how many pages fell back to their
    final reading. ``asked``: each page's crops under the shipped merge, filled in when
    empty."""
    if merge is None:
        limits = refine.MergeLimits(
            min_confidence=point["MIN_CONFIDENCE"],
            tesseract_weight=point["TESSERACT_WEIGHT"],
            guess=point["GUESS"],
        )
        merge = functools.partial(refine.merge_segment, limits=limits)
    got: dict[int, dict[str, list[bool]]] = {}
    fallback = 0
    for n, raw in raws.items():
        if n not in asked:
            reading, shapes = replay_checked(raw, None, merge)
            asked[n] = shapes
        elif asked[n] is None:  # the shipped merge could not replay it either
            reading, shapes = raw["final"], None
        else:
            reading, shapes = replay_checked(raw, asked[n], merge)
        fallback += shapes is None
        if out is not None:
            words = [asdict(w) for w in reading.words]
            data = {"width": reading.width, "height": reading.height, "words": words}
            write_json(out / f"{n}.json", data)
        receipt = analyze_lines(page_lines(reading), known).model_dump(mode="json")
        h = hits(scorer, receipt, keys[n])
        for f in FIELDS:
            got.setdefault(folds[n], {}).setdefault(f, []).append(h[f])
    per_fold = {k: {f: sum(v) / len(v) for f, v in fields.items()} for k, fields in got.items()}
    return per_fold, fallback


def compare(raws: dict[str, dict], readings: Path) -> int:
    """How many of the stored readings the shipped merge's replay gives back word for word
    (text, box, confidence); the others are named."""
    same, fell_back = 0, 0
    for n, raw in raws.items():
        reading, shapes = replay_checked(raw, None)
        fell_back += shapes is None
        stored = load_reading(readings / f"{n}.json")
        if (reading.width, reading.height, reading.words) == (
            stored.width, stored.height, stored.words
        ):  # fmt: skip
            same += 1
        else:
            print(f"differs: {n}")
    print(f"replayed with the shipped merge: {same} of {len(raws)} the same as {readings} "
          f"({fell_back} from the recorded final reading)")  # fmt: skip
    return 0 if same == len(raws) else 1


class SkipSure:
    """The shipped merge, but a segment whose every word Tesseract read at ``conf`` or more
    and the word list does not refuse keeps Tesseract's words, as if the line model had not
    been run on it; counts the crop width so skipped."""

    def __init__(self, conf: float) -> None:
        self.conf, self.width, self.skipped = conf, 0, 0

    def __call__(self, seg, reading, known):
        width = sum(w.width for w in seg)
        self.width += width
        if all(w.conf >= self.conf and all_known(w.text, known) is not False for w in seg):
            self.skipped += width
            return seg
        return refine.merge_segment(seg, reading, known)


def skip_sure(confs, raws, keys, folds, scorer, known) -> int:
    """The lever "no line model where Tesseract is sure": per confidence, the rules'
    figures over the folds and the share of the line model's crop width it would save."""
    shipped = {name: getattr(refine, name) for name in CONSTANTS}
    print("| Tesseract's confidence, every word | " + " | ".join(FIELDS)
          + " | mean | crop width not read | fallback |")  # fmt: skip
    print("| --- " * (len(FIELDS) + 4) + "|")
    for conf in confs:
        merge = SkipSure(conf)
        per_fold, fallback = score_point(shipped, raws, keys, folds, scorer, known, None, {},
                                         merge)  # fmt: skip
        means = [statistics.mean(per_fold[k][f] for k in per_fold) for f in FIELDS]
        print(f"| {conf:g} | " + " | ".join(f"{v:.3f}" for v in means)
              + f" | {statistics.mean(means):.3f} | {merge.skipped / max(1, merge.width):.3f}"
              f" | {fallback} |", flush=True)  # fmt: skip
    return 0


def fold_mean(scores: dict[str, float]) -> float:
    return statistics.mean(scores[f] for f in FIELDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="folder with img/ and key/")
    parser.add_argument("--raw", type=Path, required=True, help="raw readings folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-confidence", type=floats, default=[refine.MIN_CONFIDENCE])
    parser.add_argument("--tesseract-weight", type=floats, default=[refine.TESSERACT_WEIGHT])
    parser.add_argument("--guess", type=floats, default=[refine.GUESS])
    parser.add_argument("--readings-out", type=Path, default=None)
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="readings of benchmarks/read_dataset.py: print how many the shipped merge's "
        "replay gives back word for word, and stop",
    )
    parser.add_argument(
        "--skip-sure",
        type=floats,
        default=None,
        help="instead of the grid: Tesseract's confidences (0-100) at which a segment whose "
        "every word reaches it is not re-read (`SkipSure`), e.g. 101,95,90",
    )
    args = parser.parse_args(argv)

    tools = shared_tools(args.dataset)
    scorer = load_tool(tools / "score_receipts.py")
    folds = load_tool(tools / "shop_folds.py").folds(args.dataset / "key", args.folds)
    names = sorted(folds)
    keys = {n: json.loads((args.dataset / "key" / f"{n}.json").read_text()) for n in names}
    raws = {n: load_raw(args.raw / f"{n}.json") for n in names}
    if args.compare is not None:
        return compare(raws, args.compare)
    known = lexicon()
    if args.skip_sure is not None:
        return skip_sure(args.skip_sure, raws, keys, folds, scorer, known)
    shipped = {name: getattr(refine, name) for name in CONSTANTS}
    grid = [dict(zip(CONSTANTS, values, strict=True)) for values in
            itertools.product(args.min_confidence, args.tesseract_weight, args.guess)]  # fmt: skip
    if shipped in grid:
        grid.remove(shipped)
    grid.insert(0, shipped)  # first: its crops are the check of the others' replays

    results = {}
    asked: dict[str, list | None] = {}  # filled by the shipped point, scored first
    print(f"receipts: {len(names)}  folds: {args.folds} by shop  raw: {args.raw}")
    print("| MIN_CONFIDENCE | TESSERACT_WEIGHT | GUESS | " + " | ".join(FIELDS)
          + " | mean | folds | fallback |")  # fmt: skip
    print("| --- " * (len(FIELDS) + 6) + "|")
    for point in grid:
        out = None
        if args.readings_out is not None:
            out = args.readings_out / point_name(point)
            out.mkdir(parents=True, exist_ok=True)
        per_fold, fallback = score_point(point, raws, keys, folds, scorer, known, out, asked)
        results[point_name(point)] = (point, per_fold)
        field_means = [statistics.mean(per_fold[k][f] for k in per_fold) for f in FIELDS]
        by_fold = [fold_mean(per_fold[k]) for k in sorted(per_fold)]
        mark = " (shipped)" if point == shipped else ""
        print(f"| {point['MIN_CONFIDENCE']:g} | {point['TESSERACT_WEIGHT']:g} | "
              f"{point['GUESS']:g}{mark} | " + " | ".join(f"{v:.3f}" for v in field_means)
              + f" | {statistics.mean(field_means):.3f} | "
              f"{' '.join(f'{v:.3f}' for v in by_fold)} | {fallback} |", flush=True)  # fmt: skip

    # Nested: each fold scored with the point the other folds chose.
    order = [point_name(shipped)] + [n for n in results if n != point_name(shipped)]
    held: dict[str, list[float]] = {f: [] for f in FIELDS}
    base: dict[str, list[float]] = {f: [] for f in FIELDS}
    print("\nnested choice (chosen on the other folds, scored on this one):")
    for k in range(args.folds):

        def others(name: str, k: int = k) -> float:
            per_fold = results[name][1]
            return statistics.mean(fold_mean(per_fold[j]) for j in per_fold if j != k)

        best = max(order, key=others)  # max keeps the first of equals: shipped first
        chosen = results[best][1][k]
        for f in FIELDS:
            held[f].append(chosen[f])
            base[f].append(results[point_name(shipped)][1][k][f])
        print(
            f"fold {k}: chose {best} (others {others(best):.4f}, shipped "
            f"{others(point_name(shipped)):.4f}); on fold {k}: {fold_mean(chosen):.3f}, "
            f"shipped {fold_mean(results[point_name(shipped)][1][k]):.3f}"
        )
    for label, figures in (("nested", held), ("shipped", base)):
        means = [statistics.mean(figures[f]) for f in FIELDS]
        print(f"{label:8s} " + "  ".join(f"{f} {m:.3f}" for f, m in zip(FIELDS, means, strict=True))
              + f"  mean {statistics.mean(means):.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
