"""The PP-OCR line recognizer and the re-reading of key rows (real model, real Tesseract)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from factories import ENGLISH_TEXT as ENGLISH
from factories import FONT
from factories import POLISH_TEXT as POLISH
from factories import render_text as render

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.analysis.lines import build_lines, lines_from_text
from receiptq.pipeline.ocr import OcrResult, run_ocr
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.recognize import model_path, recognizer
from receiptq.pipeline.refine import HEAD_ROWS, chosen_segments, readable, refine

needs_model = pytest.mark.skipif(model_path() is None, reason="rapidocr_onnxruntime missing")
needs_ocr = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)


@needs_model
@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_the_line_model_reads_a_rendered_row():
    (reading,) = recognizer().read([render("TOTAL AMOUNT RM 12.30", size=30)])
    assert reading.text == "TOTAL AMOUNT RM 12.30"
    assert reading.conf > 0.9


@needs_model
def test_readings_are_printable_ascii_even_from_noise():
    rng = np.random.default_rng(7)
    crops = [rng.integers(0, 256, (40, 300), dtype=np.uint8) for _ in range(3)]
    crops.append(np.full((2, 50), 255, np.uint8))  # too small to read
    readings = recognizer().read(crops)
    assert len(readings) == 4 and readings[-1].text == ""
    for reading in readings:
        assert all(c == " " or 33 <= ord(c) < 127 for c in reading.text), reading


def test_chosen_segments_are_header_rows_dates_and_lower_amounts():
    header = [f"SHOP LINE {i} SDN BHD" for i in range(HEAD_ROWS + 3)]
    header[HEAD_ROWS + 1] = "14/03/2019      Cashier: 01"
    header[HEAD_ROWS + 2] = "Date : NGNS/Aoiee     Counter 2"  # a date Tesseract garbled
    body = ["ITEM A                1.00"] * 10 + ["TOTAL                 9.00"]
    lines = lines_from_text("\n".join(header + body))
    texts = [" ".join(w.text for w in seg) for seg in chosen_segments(lines)]
    assert texts[:HEAD_ROWS] == header[:HEAD_ROWS]
    assert header[HEAD_ROWS] not in texts  # a later header row without a date
    assert "14/03/2019" in texts and "Cashier: 01" not in texts  # only the date's column
    assert "Date : NGNS/Aoiee" in texts and "Counter 2" in texts  # a labelled row: all of it
    assert texts[-1] == "9.00"  # the amount, not its label
    assert "TOTAL" not in texts


@needs_model
@needs_ocr
def test_a_misread_header_row_is_read_again_from_the_image():
    page = preprocess(render(ENGLISH))
    ocr = run_ocr(page)
    name_row = build_lines(ocr)[0]
    assert "KEDAI" in name_row.text
    broken = {id(w) for w in name_row.words}
    garbled = OcrResult(  # as Tesseract reads faded print: every letter of the row wrong
        words=[dataclasses.replace(w, text="X" * len(w.text), conf=30) if id(w) in broken
               else w for w in ocr.words],
        width=ocr.width, height=ocr.height, text=ocr.text, engine=ocr.engine,
    )  # fmt: skip
    assert analyze(garbled).merchant.name != "KEDAI BUKU CAHAYA SDN BHD"
    refined = refine(page, garbled)
    assert build_lines(refined)[0].text == "KEDAI BUKU CAHAYA SDN BHD"
    assert refined.extra["segments_reread"] >= 1
    receipt = analyze(refined)
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA SDN BHD"
    assert receipt.total == "9.00" and receipt.date == "2019-03-14"


@needs_model
@needs_ocr
def test_polish_receipts_keep_tesseracts_reading():
    page = preprocess(render(POLISH))
    ocr = run_ocr(page)
    assert refine(page, ocr) is ocr  # the line model has no Polish letters


@needs_model
def test_segments_with_signs_the_line_model_cannot_write_keep_tesseracts_text():
    alphabet = recognizer().alphabet
    assert "£" not in alphabet and "ł" not in alphabet and "$" in alphabet
    assert not readable("£29.83", alphabet)  # it would come back as "f29.83"
    assert not readable("Zapłata", alphabet)
    assert readable("RM 29.83", alphabet) and readable("$9.00", alphabet)
    assert readable("SR © 6% —", alphabet)  # symbols Tesseract invents are no reason
