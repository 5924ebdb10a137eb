"""The learned choice between a re-read segment's readings (receiptq.pipeline.chooser)."""

from __future__ import annotations

import numpy as np
import pytest
from factories import segment

from receiptq.pipeline.chooser import (
    CANDIDATES,
    MODEL_PATH,
    SegmentChooser,
    candidates,
    features,
    line_words,
    texts_of,
)
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.recognize import Reading
from receiptq.pipeline.refine import merge_segment, refine

WORDS = {"jalan", "taman", "kuala", "lumpur"}


class FixedScores:
    """A booster stand-in: a fixed score per candidate (rows come in `CANDIDATES` order)."""

    def __init__(self, **scores: float) -> None:
        self.scores = scores

    def predict(self, x: np.ndarray) -> np.ndarray:
        assert len(x) == len(CANDIDATES)
        return np.array([self.scores[name] for name in CANDIDATES])


def test_the_likeliest_candidate_is_kept():
    seg = segment(("JALAN", 40.0), ("TAMAN", 95.0))
    reading = Reading("JAIAN TAMAN", 0.9, (("JAIAN", 0.9), ("TAMAN", 0.99)))
    chooser = SegmentChooser(FixedScores(merged=0.2, tesseract=0.7, line=0.5))  # type: ignore[arg-type]
    assert [w.text for w in chooser(seg, reading, WORDS)] == ["JALAN", "TAMAN"]
    chooser = SegmentChooser(FixedScores(merged=0.2, tesseract=0.1, line=0.5))  # type: ignore[arg-type]
    out = chooser(seg, reading, WORDS)
    assert [w.text for w in out] == ["JAIAN", "TAMAN"]
    assert [w.left for w in out] == [w.left for w in seg]  # in Tesseract's boxes


def test_a_tie_goes_to_the_hand_set_merge():
    seg = segment(("JALAN", 40.0))
    reading = Reading("JAIAN", 0.95, (("JAIAN", 0.95),))
    chooser = SegmentChooser(FixedScores(merged=0.5, tesseract=0.5, line=0.5))  # type: ignore[arg-type]
    assert chooser(seg, reading, WORDS) == merge_segment(seg, reading, WORDS)


def test_an_empty_reading_leaves_the_segment():
    seg = segment(("JALAN", 40.0))
    chooser = SegmentChooser(FixedScores(merged=0.0, tesseract=0.0, line=1.0))  # type: ignore[arg-type]
    assert chooser(seg, Reading("", 0.0), WORDS) is seg


def test_the_line_models_words_are_spread_when_they_split_otherwise():
    seg = segment(("6,", 90.0), ("Jalan", 90.0))
    words = line_words(seg, Reading("6,Jalan", 0.9, (("6,Jalan", 0.9),)))
    assert [w.text for w in words] == ["6,Jalan"]
    assert words[0].left == 0 and words[0].right == seg[-1].right


def test_every_candidate_has_a_row_of_the_same_width():
    seg = segment(("N0.", 88.0), ("12,", 90.0), ("JALAN", 60.0))
    reading = Reading("NO.12,JALAN", 0.93, (("NO.12,JALAN", 0.93),))
    words = candidates(seg, reading, WORDS)
    rows = features(seg, reading, texts_of(words), WORDS)
    assert set(rows) == set(CANDIDATES)
    assert len({len(r) for r in rows.values()}) == 1
    assert rows == features(seg, reading, texts_of(words), WORDS)  # deterministic


def test_candidates_are_judged_with_look_alikes_put_back():
    seg = segment(("INV0ICE", 90.0))
    texts = texts_of({"tesseract": seg})
    assert texts["tesseract"] == "INVOICE"


def test_refine_merges_with_the_given_merge():
    page = np.full((100, 300), 255, dtype=np.uint8)
    seg = segment(("KEDAI", 50.0), ("BUKU", 50.0))
    ocr = OcrResult(words=seg, width=300, height=100)

    class Lines:
        alphabet = frozenset("ABCDEIKU ")

        def read(self, crops):
            return [Reading("KEDAI BUKU", 0.9, (("KEDAI", 0.9), ("BUKU", 0.9)))] * len(crops)

    def upper_first(seg, reading, known):
        return [w.__class__(**{**w.__dict__, "text": w.text.lower()}) for w in seg]

    out = refine(page, ocr, Lines(), merge=upper_first)
    assert [w.text for w in out.words] == ["kedai", "buku"]


@pytest.mark.skipif(not MODEL_PATH.is_file(), reason="no shipped chooser model")
def test_the_shipped_model_loads_and_chooses():
    chooser = SegmentChooser.load()
    seg = segment(("KEDAI", 96.0), ("BUKU", 95.0))
    reading = Reading("KEDAI BUKU", 0.98, (("KEDAI", 0.98), ("BUKU", 0.98)))
    assert [w.text for w in chooser(seg, reading, WORDS)] == ["KEDAI", "BUKU"]
