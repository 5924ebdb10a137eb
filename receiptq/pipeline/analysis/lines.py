"""Rebuild printed lines from OCR word boxes.

Tesseract's own line numbers split a receipt row when a wide gap separates the label from
its amount ("Total" ... "9.00" become two blocks), and the fields we want are defined by
rows: a label and the amount on the same row. So words are regrouped by vertical overlap,
and each line keeps its words' positions so that later stages can ask "is this amount at
the right edge", "is this line near the top", "which column is this in".
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field

from receiptq.pipeline.ocr import OcrResult, Word


@dataclass
class Line:
    """One printed row of the receipt, words left to right."""

    words: list[Word]
    index: int = 0
    page_width: int = 0
    page_height: int = 0
    segments: list[list[Word]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.bottom for w in self.words)

    @property
    def left(self) -> int:
        return min(w.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.right for w in self.words)

    @property
    def height(self) -> float:
        """Median word height: robust to one tall stray mark."""
        hs = sorted(w.height for w in self.words)
        return float(hs[len(hs) // 2])

    @property
    def conf(self) -> float:
        """Mean word confidence in 0..1."""
        cs = [max(w.conf, 0.0) for w in self.words]
        return sum(cs) / len(cs) / 100.0 if cs else 0.0

    @property
    def rel_y(self) -> float:
        """Vertical position of the line's centre as a fraction of the page (0 = top)."""
        return (self.top + self.bottom) / 2 / self.page_height if self.page_height else 0.0

    def segment_texts(self) -> list[str]:
        """Texts of the column segments (words separated by wide gaps)."""
        return [" ".join(w.text for w in seg) for seg in self.segments]


def _vertical_overlap(a_top: float, a_bot: float, b_top: float, b_bot: float) -> float:
    inter = min(a_bot, b_bot) - max(a_top, b_top)
    shortest = min(a_bot - a_top, b_bot - b_top)
    return inter / shortest if shortest > 0 else 0.0


def _glue_split_amounts(words: list[Word]) -> list[Word]:
    """Amounts Tesseract cut in two overlapping boxes of one line ("R367." over "10",
    "RH367" over ".10") made one word again: otherwise the overlap puts the cents on a row
    of their own."""
    out: list[Word] = []
    for w in sorted(words, key=lambda w: (w.block, w.par, w.line, w.left)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and (prev.block, prev.par, prev.line) == (w.block, w.par, w.line)
            and w.left < prev.right
            and (
                (re.search(r"\d[.,]$", prev.text) and re.fullmatch(r"\d\d\W?", w.text))
                or (re.search(r"\d$", prev.text) and re.fullmatch(r"[.,]\d\d\W?", w.text))
            )
        ):
            out[-1] = dataclasses.replace(
                prev,
                text=prev.text + w.text,
                conf=min(prev.conf, w.conf),
                left=min(prev.left, w.left),
                top=min(prev.top, w.top),
                width=max(prev.right, w.right) - min(prev.left, w.left),
                height=max(prev.bottom, w.bottom) - min(prev.top, w.top),
            )
            continue
        out.append(w)
    return out


#: A word this many times the page's median word height is placed after the others: its
#: box often spans two rows (Tesseract stretched it over a stamp or the row below).
TALL_WORD = 1.6


def build_lines(ocr: OcrResult, min_overlap: float = 0.5) -> list[Line]:
    """Group OCR words into rows by vertical overlap, then order rows top to bottom.

    Words are visited in order of their vertical centre; a word joins the row whose
    current vertical band it overlaps most (by at least ``min_overlap`` of the shorter
    height) and whose horizontal extent it does not collide with.

    Words much taller than the page's usual word (`TALL_WORD`) go last, once the rows of
    ordinary words stand: visited first, a box stretched over two rows ("(201285-4)",
    96 px among 40 px words, reaching into the row below) would found a row that the
    next row's first words join, and the rest of that row, colliding with it, would make
    a second row of the same printed line.
    """
    words = _glue_split_amounts([w for w in ocr.words if w.text.strip()])
    words.sort(key=lambda w: (w.top + w.bottom) / 2)
    heights = sorted(w.height for w in words)
    usual = heights[len(heights) // 2] if heights else 0
    ordinary = [w for w in words if w.height <= TALL_WORD * usual]
    tall = [w for w in words if w.height > TALL_WORD * usual]
    rows: list[dict] = []
    for w in ordinary:
        _place(w, rows[-8:], rows, min_overlap)
    for w in tall:
        _place(w, rows, rows, min_overlap)
    lines: list[Line] = []
    for row in sorted(rows, key=lambda r: (r["top"] + r["bottom"]) / 2):
        ws = sorted(row["words"], key=lambda w: w.left)
        lines.append(
            Line(
                words=ws,
                page_width=ocr.width,
                page_height=ocr.height,
                segments=split_segments(ws),
            )
        )
    for i, line in enumerate(lines):
        line.index = i
    return lines


def _place(w: Word, candidates: list[dict], rows: list[dict], min_overlap: float) -> None:
    """Put ``w`` in the candidate row it overlaps most and does not collide with (the
    nearer centre on a tie), else in a new row."""
    best = None
    best_key = (min_overlap, float("-inf"))
    centre = (w.top + w.bottom) / 2
    for row in candidates:
        ov = _vertical_overlap(row["top"], row["bottom"], w.top, w.bottom)
        key = (ov, -abs((row["top"] + row["bottom"]) / 2 - centre))
        if key < best_key:
            continue
        if any(_collides(w, o) for o in row["words"]):
            continue
        best, best_key = row, key
    if best is None:
        rows.append({"top": w.top, "bottom": w.bottom, "words": [w]})
        return
    best["words"].append(w)
    n = len(best["words"])
    # Running band: median-ish by averaging keeps long skewed rows from drifting.
    best["top"] = (best["top"] * (n - 1) + w.top) / n
    best["bottom"] = (best["bottom"] * (n - 1) + w.bottom) / n


def lines_from_text(text: str, conf: float = 95.0) -> list[Line]:
    """Lines from plain text laid out in a monospace grid (10 x 20 px characters).

    For text that has no boxes (a PDF's text layer, tests): runs of two or more spaces
    keep their width, so column layout survives.
    """

    words: list[Word] = []
    n_lines = 0
    width = 0
    for row, raw in enumerate(text.splitlines()):
        n_lines = row + 1
        for m in re.finditer(r"\S+", raw):
            words.append(
                Word(
                    text=m.group(0),
                    conf=conf,
                    left=10 * m.start(),
                    top=30 * row + 5,
                    width=10 * len(m.group(0)),
                    height=20,
                    line=row,
                )
            )
            width = max(width, 10 * m.end())
    ocr = OcrResult(words=words, width=width, height=30 * n_lines + 10)
    return build_lines(ocr)


def _collides(a: Word, b: Word) -> bool:
    """True when two words overlap horizontally by more than a sliver."""
    inter = min(a.right, b.right) - max(a.left, b.left)
    return inter > 0.3 * min(a.width, b.width)


def split_segments(words: list[Word], gap_factor: float = 1.6) -> list[list[Word]]:
    """Split a row's words wherever the gap is wider than ``gap_factor`` character heights."""
    if not words:
        return []
    segments = [[words[0]]]
    for prev, w in itertools.pairwise(words):
        h = max(min(prev.height, w.height), 1)
        if w.left - prev.right > gap_factor * h:
            segments.append([w])
        else:
            segments[-1].append(w)
    return segments
