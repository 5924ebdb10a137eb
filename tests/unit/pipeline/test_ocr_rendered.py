"""OCR + analysis on receipts rendered with PIL: the stages together, on real Tesseract."""

from __future__ import annotations

import shutil

import pytest
from factories import ENGLISH_TEXT as ENGLISH
from factories import FONT
from factories import POLISH_TEXT as POLISH
from factories import render_text as render

from receiptq.config import Settings
from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.ocr import TesseractEngine, default_engine
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.run import Pipeline

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)


@pytest.mark.parametrize("engine", sorted({default_engine(), "pytesseract"}))
def test_english_receipt_total_and_date(engine):
    receipt = analyze(TesseractEngine(backend=engine).read(preprocess(render(ENGLISH))))
    assert receipt.total == "9.00"
    assert receipt.date == "2019-03-14"
    assert receipt.time == "10:42:05"
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA SDN BHD"
    assert receipt.confidence.ocr > 0.5


def test_polish_receipt_total_and_date(read):
    receipt = read(render(POLISH))
    assert receipt.total == "9.47"
    assert receipt.date == "2024-05-12"
    assert receipt.language == "pl"
    assert receipt.currency == "PLN"
    assert receipt.merchant.tax_id == "7811002030"


def test_a_page_with_nothing_to_read_is_read_again_and_stays_empty(read):
    import numpy as np

    # the first reading has fewer than NEARLY_EMPTY_WORDS words: the binarized retry runs,
    # finds no more, and the first reading stands
    receipt = read(np.full((600, 400, 3), 250, np.uint8))
    assert receipt.total is None and receipt.merchant.name is None


@pytest.mark.parametrize("text", [ENGLISH, POLISH], ids=["english", "polish"])
def test_the_benchmark_reads_a_receipt_as_the_pipeline_does(text, read):
    """benchmarks/extraction.py gives the pipeline images it decoded; the worker and
    `receiptq extract` give it the upload's bytes. Both must come to the same receipt."""
    import cv2

    image = render(text)
    ok, png = cv2.imencode(".png", image)
    assert ok
    via_bytes = Pipeline.from_settings(Settings()).extract(png.tobytes())
    via_image = read(image)
    for field in ("total", "date", "time", "currency", "language", "subtotal", "tax"):
        assert getattr(via_bytes, field) == getattr(via_image, field), field
    assert via_bytes.merchant == via_image.merchant
    assert via_bytes.total is not None
