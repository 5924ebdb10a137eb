from __future__ import annotations

import pytest

from receiptq.errors import PoorQuality
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.quality import check_quality


def words(texts: list[str], conf: float) -> OcrResult:
    ws = [Word(t, conf, 10 * i, 10, 10, 10) for i, t in enumerate(texts)]
    return OcrResult(words=ws, width=100, height=100)


def test_readable_text_passes():
    check_quality(words(["TOTAL", "12.30", "CASH", "MILK", "BREAD"], 90))


def test_no_text_asks_for_a_better_photo():
    with pytest.raises(PoorQuality, match="whole receipt"):
        check_quality(words(["~", "|"], 90))


def test_low_confidence_says_blurry():
    with pytest.raises(PoorQuality, match="blurry"):
        check_quality(words(["TOTAL", "12.30", "CASH", "MILK", "BREAD"], 20))
