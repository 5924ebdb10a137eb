"""Which reading of a re-read segment is right: Tesseract's, the line model's, or their
hand-set merge; and how often a chooser trained on other shops picks a right one.

    python benchmarks/segment_choice.py ../shared/datasets/sroie-dev --raw /tmp/sroie-raw

--raw holds the raw readings (`benchmarks/raw_readings.py`, recorded first where
missing). Each segment the line model re-read on a page's first reading is matched to the
dataset's box/ transcriptions by position (its box taken back to the page); its truth is
the text of the box lines it overlaps (the part of them its readings align with, when
they are wider), or nothing (a speck: no box line there, or none its readings align
with). A reading is right when it equals the truth letter for letter, case, spaces and
punctuation aside (a mark between two digits counts). Printed: the share of segments each
reading gets right (all, header rows, the others), the oracles (either engine's reading
right; any of the three), and the learned chooser's (`receiptq.pipeline.chooser`) with
folds split by shop (`../shared/tools/shop_folds.py`).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from raw_readings import load_raw, record_missing  # noqa: E402

from receiptq.pipeline.analysis.layout import page_layout  # noqa: E402
from receiptq.pipeline.analysis.lines import build_lines  # noqa: E402
from receiptq.pipeline.chooser import CANDIDATES, candidates, features, pick, texts_of  # noqa: E402
from receiptq.pipeline.lexicon import lexicon  # noqa: E402
from receiptq.pipeline.refine import segment_box, segments_to_reread  # noqa: E402

SHARED = ROOT.parent / "shared" / "tools"
_SEPARATOR = re.compile(r"(?<=\d)\s?[.,:/-]\s?(?=\d)")


def norm(text: str) -> str:
    """Upper-case letters and digits, and one mark for a separator between two digits."""
    return "".join(c for c in _SEPARATOR.sub("|", text.upper()) if c.isalnum() or c == "|")


def load_boxes(path: Path) -> list[tuple[float, float, float, float, str]]:
    """The box/ file's lines as (x0, y0, x1, y1, text)."""
    out = []
    for row in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = row.split(",", 8)
        if len(parts) < 9:
            continue
        xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
        out.append((min(xs), min(ys), max(xs), max(ys), parts[8]))
    return out


def to_page(matrix: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, ...]:
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], dtype=float).T
    p = matrix @ pts
    xs, ys = p[0] / p[2], p[1] / p[2]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def truth_line(box, boxes) -> str | None:
    """The text of the box lines that overlap ``box`` (page pixels), left to right."""
    x0, y0, x1, y1 = box
    hits = []
    for bx0, by0, bx1, by1, text in boxes:
        dy = _overlap(y0, y1, by0, by1)
        if dy >= 0.5 * min(y1 - y0, by1 - by0) and _overlap(x0, x1, bx0, bx1) > 0:
            hits.append((bx0, text))
    return " ".join(t for _, t in sorted(hits)) if hits else None


def span(pattern: str, text: str) -> tuple[int, int, int]:
    """(edit distance, start, end) of the substring of ``text`` closest to ``pattern``."""
    m, n = len(pattern), len(text)
    prev = [(0, j) for j in range(n + 1)]  # (cost, start of the match)
    for i in range(1, m + 1):
        cur = [(i, 0)] * (n + 1)
        for j in range(1, n + 1):
            sub = prev[j - 1][0] + (pattern[i - 1] != text[j - 1])
            best = (sub, prev[j - 1][1])
            if prev[j][0] + 1 < best[0]:
                best = (prev[j][0] + 1, prev[j][1])
            if cur[j - 1][0] + 1 < best[0]:
                best = (cur[j - 1][0] + 1, cur[j - 1][1])
            cur[j] = best
        prev = cur
    end = min(range(n + 1), key=lambda j: (prev[j][0], j))
    return prev[end][0], prev[end][1], end


#: A reading aligns with part of a longer box line when at most this share of its
#: characters differ, and it has at least `MIN_ALIGNED` of them (a lone "T" is found in
#: most lines).
MAX_ALIGN_COST = 0.4
MIN_ALIGNED = 2


def truth_of(readings: list[str], line: str | None) -> str:
    """The part of the box text ``line`` (normalized) the readings align with: all of it
    unless it is much longer than they are; nothing where no box line is there or no
    reading aligns with part of it (a speck read as a mark or a letter)."""
    if not line:
        return ""
    if len(line) <= 1.3 * max(len(r) for r in readings) + 2:
        return line
    spans = [(r, *span(r, line)) for r in readings if len(r) >= MIN_ALIGNED]
    spans = [(s, e) for r, cost, s, e in spans if cost <= MAX_ALIGN_COST * len(r)]
    if not spans:
        return ""
    return line[min(s for s, _ in spans) : max(e for _, e in spans)]


@dataclass
class Segments:
    """Feature rows (one per candidate) of the labelled segments."""

    names: list[str] = field(default_factory=list)  # receipt of each row
    segment: list[int] = field(default_factory=list)  # segment id of each row
    candidate: list[str] = field(default_factory=list)
    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    texts: list[dict[str, str]] = field(default_factory=list)  # per segment
    truth: list[str] = field(default_factory=list)  # per segment
    head: list[bool] = field(default_factory=list)  # per segment: a header row's


def add_page(out: Segments, name: str, raw: dict, boxes, known) -> None:
    """The labelled segments of one receipt's first reading."""
    ocr, calls = raw["ocr"][0], [c for c in raw["lines"] if c]
    if not calls:
        return
    layout = page_layout(build_lines(ocr), restore=False)
    segs = segments_to_reread(layout, frozenset(raw["alphabet"]))
    if len(segs) != len(calls[0]):
        return
    matrix = np.array(raw["to_page"])
    head_end = layout.header[-1].index if layout.header else -1
    row_of = {id(w): line.index for line in layout.lines for w in line.words}
    for seg, reading in zip(segs, calls[0], strict=True):
        if not reading.text:
            continue
        line = truth_line(to_page(matrix, segment_box(seg)), boxes)
        words = candidates(seg, reading, known)
        texts = texts_of(words)  # as the analysis reads them: look-alikes put back
        truth = truth_of([norm(texts["tesseract"]), norm(texts["line"])], line and norm(line))
        sid = len(out.texts)
        out.texts.append(texts)
        out.truth.append(truth)
        out.head.append(row_of.get(id(seg[0]), head_end + 1) <= head_end)
        for cand, row in features(seg, reading, texts, known).items():
            out.names.append(name)
            out.segment.append(sid)
            out.candidate.append(cand)
            out.x.append(row)
            out.y.append(int(norm(texts[cand]) == truth))


def build(dataset: Path, raw_dir: Path, names: list[str]) -> Segments:
    record_missing(dataset, raw_dir)
    known = lexicon()
    out = Segments()
    for n in names:
        add_page(out, n, load_raw(raw_dir / f"{n}.json"), load_boxes(dataset / "box" / f"{n}.csv"),
                 known)  # fmt: skip
    return out


PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 200


def train(data: Segments, names: set[str]):
    """A booster on the candidate rows of the receipts in ``names``."""
    import lightgbm

    rows = [i for i, n in enumerate(data.names) if n in names]
    x = np.array([data.x[i] for i in rows], dtype=float)
    y = np.array([data.y[i] for i in rows])
    return lightgbm.train(PARAMS, lightgbm.Dataset(x, y), num_boost_round=ROUNDS)


def picks(data: Segments, booster, names: set[str]) -> dict[int, str]:
    """The candidate ``booster`` picks for each segment of the receipts in ``names``."""
    rows = [i for i, n in enumerate(data.names) if n in names]
    p = booster.predict(np.array([data.x[i] for i in rows], dtype=float))
    scores: dict[int, dict[str, float]] = {}
    for i, score in zip(rows, p, strict=True):
        scores.setdefault(data.segment[i], {})[data.candidate[i]] = float(score)
    return {sid: pick(s, data.texts[sid]) for sid, s in scores.items()}


def load_tool(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--details", action="store_true", help="print the chooser's changes")
    args = parser.parse_args(argv)
    folds = load_tool(SHARED / "shop_folds.py").folds(args.dataset / "key", args.folds)
    names = sorted(folds)
    data = build(args.dataset, args.raw, names)
    right = {c: [0] * len(data.texts) for c in CANDIDATES}
    for sid, cand, y in zip(data.segment, data.candidate, data.y, strict=True):
        right[cand][sid] = y
    chosen: dict[int, str] = {}
    for k in range(args.folds):
        booster = train(data, {n for n in names if folds[n] != k})
        chosen.update(picks(data, booster, {n for n in names if folds[n] == k}))
    print(f"segments: {len(data.texts)} on {len(set(data.names))} receipts")
    print("share right      all    header  other")
    for label, part in (("all", None), ("header", True), ("other", False)):
        ids = [s for s in range(len(data.texts)) if part is None or data.head[s] == part]
        n = max(1, len(ids))
        got = {c: sum(right[c][s] for s in ids) / n for c in CANDIDATES}
        got["either"] = sum(right["tesseract"][s] or right["line"][s] for s in ids) / n
        got["any"] = sum(any(right[c][s] for c in CANDIDATES) for s in ids) / n
        got["chooser"] = sum(right[chosen[s]][s] for s in ids) / n
        print(f"{label:7s} ({len(ids):5d}) " + "  ".join(f"{c} {v:.3f}" for c, v in got.items()))
    won = sum(right[c][s] and not right["merged"][s] for s, c in chosen.items())
    lost = sum(right["merged"][s] and not right[c][s] for s, c in chosen.items())
    print(f"against the merge: {won} segments won, {lost} lost")
    if args.details:
        for s, c in sorted(chosen.items()):
            if right[c][s] != right["merged"][s]:
                print(f"{'+' if right[c][s] else '-'} {c:9s} truth={data.truth[s]!r} "
                      f"{data.texts[s]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
