"""A learned choice between a re-read segment's readings: Tesseract's words, the line
model's, or the hand-set merge of the two (`receiptq.pipeline.refine.merge_segment`).

Each candidate is scored by gradient-boosted trees (the probability that it is the
segment's text, letter for letter) over features of both readings: confidences, lengths,
word-list hits, character classes, agreement. The trees are trained by
`scripts/train_chooser.py` on segments of the dev split whose truth is the dataset's
line transcriptions, and shipped as `receiptq/data/chooser.txt`, loaded once per process
where the setting `segment_chooser` asks for it. Figures: docs/extraction.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import threading
from collections.abc import Container
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from receiptq.pipeline.analysis.lookalikes import restore_words
from receiptq.pipeline.lexicon import letter_runs
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.recognize import Reading
from receiptq.pipeline.refine import merge_segment, spread_words

if TYPE_CHECKING:
    import lightgbm

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "chooser.txt"
#: The candidates, in the order ties are settled (the hand-set merge first).
CANDIDATES = ("merged", "tesseract", "line")


def candidates(
    seg: list[Word], reading: Reading, known: Container[str] | None
) -> dict[str, list[Word]]:
    """The segment's words as each candidate reads them."""
    return {
        "merged": merge_segment(seg, reading, known),
        "tesseract": seg,
        "line": line_words(seg, reading),
    }


def line_words(seg: list[Word], reading: Reading) -> list[Word]:
    """The line model's reading as words: in Tesseract's boxes where both split the
    segment alike, else spread over the segment's box."""
    if not reading.text:
        return seg
    if len(reading.words) == len(seg):
        return [dataclasses.replace(w, text=t, conf=p * 100)
                for w, (t, p) in zip(seg, reading.words, strict=True)]  # fmt: skip
    return spread_words(seg, reading)


def _alnum(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def _classes(text: str) -> list[float]:
    chars = text.replace(" ", "")
    n = max(1, len(chars))
    return [
        len(chars),
        sum(c.isdigit() for c in chars) / n,
        sum(c.isalpha() for c in chars) / n,
        sum(c.isupper() for c in chars) / n,
        sum(not c.isalnum() for c in chars) / n,
        len(text.split()),
    ]


def _lexicon(text: str, known: Container[str] | None) -> list[float]:
    runs = [r for r in letter_runs(text) if len(r) >= 3]
    if known is None or not runs:
        return [len(runs), -1.0]
    return [len(runs), sum(r in known for r in runs) / len(runs)]


_ODD = re.compile(r"[^A-Za-z0-9 .,:/&()'-]")
#: A letter beside a digit inside a word ("N0", "CSO0004040", "Emai1"): often a look-alike.
_MIXED = re.compile(r"[A-Za-z](?=\d)|\d(?=[A-Za-z])")


def _unsure(seg: list[Word], other: str) -> list[float]:
    """Tesseract's confidence in its words the other reading does not have (1 if none)."""
    rest = {_alnum(t) for t in other.split()}
    confs = [w.conf / 100 for w in seg if _alnum(w.text) and _alnum(w.text) not in rest]
    return [len(confs), min(confs, default=1.0), float(np.mean(confs)) if confs else 1.0]


def features(
    seg: list[Word], reading: Reading, texts: dict[str, str], known: Container[str] | None
) -> dict[str, list[float]]:
    """Each candidate's feature row: what the segment is, then the candidate's own."""
    tess, line = texts["tesseract"], texts["line"]
    confs = [w.conf / 100 for w in seg]
    probs = [p for _, p in reading.words] or [reading.conf]
    a, b = _alnum(tess), _alnum(line)
    shared = [
        float(np.mean(confs)), min(confs), reading.conf, min(probs),
        len(b) / max(1, len(a)), len(b) - len(a),
        difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(),
        float(a == b), float(tess == line),
        float(texts["merged"] == tess), float(texts["merged"] == line),
        len(seg), len(reading.words),
        max(w.height for w in seg),
        *_classes(tess), *_classes(line), *_lexicon(tess, known), *_lexicon(line, known),
        *_unsure(seg, line),
    ]  # fmt: skip
    rows = {}
    for i, name in enumerate(CANDIDATES):
        text = texts[name]
        own = [float(i == k) for k in range(len(CANDIDATES))]
        rows[name] = [
            *shared, *own, *_classes(text), *_lexicon(text, known),
            len(_ODD.findall(text)), len(_MIXED.findall(text)),
        ]  # fmt: skip
    return rows


def texts_of(words: dict[str, list[Word]]) -> dict[str, str]:
    """Each candidate's text as the analysis reads it, look-alikes put back."""
    return {name: " ".join(w.text for w in restore_words(OcrResult(ws, 0, 0)).words)
            for name, ws in words.items()}  # fmt: skip


class SegmentChooser:
    """Scores each candidate reading of a segment and keeps the likeliest; a `Merge`."""

    def __init__(self, booster: lightgbm.Booster) -> None:
        self.booster = booster

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SegmentChooser:
        import lightgbm

        return cls(lightgbm.Booster(model_str=path.read_text(encoding="utf-8")))

    def scores(
        self, seg: list[Word], reading: Reading, texts: dict[str, str], known: Container[str] | None
    ) -> dict[str, float]:
        """Each candidate's probability of being the segment's text (``texts``: `texts_of`)."""
        rows = features(seg, reading, texts, known)
        p = self.booster.predict(np.array([rows[n] for n in CANDIDATES], dtype=float))
        return dict(zip(CANDIDATES, (float(v) for v in p), strict=True))

    def __call__(
        self, seg: list[Word], reading: Reading, known: Container[str] | None = None
    ) -> list[Word]:
        if not reading.text:
            return seg
        words = candidates(seg, reading, known)
        texts = texts_of(words)
        return words[pick(self.scores(seg, reading, texts, known), texts)]


def pick(scores: dict[str, float], texts: dict[str, str]) -> str:
    """The likeliest candidate; among those with its letters and digits, the first of
    `CANDIDATES` (the merge keeps the words the line model ran together: "SUN BHO", not
    "SUNBHO", where the rows' rules look for words)."""
    best = max(CANDIDATES, key=lambda n: scores[n])  # ties: the first, the merge
    return next(n for n in CANDIDATES if _alnum(texts[n]) == _alnum(texts[best]))


_lock = threading.Lock()


@functools.cache
def _load() -> SegmentChooser | None:
    return SegmentChooser.load() if MODEL_PATH.is_file() else None


def segment_chooser() -> SegmentChooser | None:
    """This process' chooser, loaded on first use; None when the model file is missing."""
    with _lock:
        return _load()
