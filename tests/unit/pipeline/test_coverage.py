"""Rows Tesseract's layout analysis left out, found and read alone."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from factories import ENGLISH_TEXT, FONT, render_text

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.analysis.lines import build_lines
from receiptq.pipeline.coverage import (
    head_pieces,
    read_uncovered,
    read_uncovered_head,
    uncovered_pieces,
)
from receiptq.pipeline.ocr import OcrResult, TesseractEngine
from receiptq.pipeline.recognize import recognizer

needs_ocr = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)

ENGLISH = TesseractEngine(langs="eng")

#: A Polish fiscal layout: each item's quantity row right-aligned under its name.
TEXT = """\
ZIELONY KOSZYK Sp. z o.o.
ul. Polna 170A
15-003 Bialystok
PARAGON FISKALNY
Jablka Ligol
                  0,751 x4,99    3,75 C
Bulka kajzerka
                      1 x0,89    0,89 C
Worki na smieci 35L
                      1 x5,39    5,39 A
SUMA PLN                        10,03
"""


def _without_row(ocr: OcrResult, needle: str) -> OcrResult:
    """``ocr`` as if Tesseract's layout analysis had dropped the row holding ``needle``."""
    row = next(line for line in build_lines(ocr) if needle in line.text)
    dropped = {id(w) for w in row.words}
    return dataclasses.replace(ocr, words=[w for w in ocr.words if id(w) not in dropped])


@needs_ocr
def test_a_price_row_the_layout_analysis_dropped_is_found_and_read_back():
    page = render_text(TEXT, size=26)
    ocr = ENGLISH.read(page)
    assert any("5,39" in line.text for line in build_lines(ocr))
    lost = _without_row(ocr, "5,39")
    pieces = uncovered_pieces(page, lost)
    assert len(pieces) == 1  # the dropped row, and nothing Tesseract read
    recovered = read_uncovered(page, lost, ENGLISH, recognizer())
    rows = [line.text for line in build_lines(recovered)]
    row = next(text for text in rows if "x5,39" in text)
    assert "5,39 A" in row and rows.index(row) == rows.index("Worki na smieci 35L") + 1
    assert recovered.extra["pieces"] == 1
    # a page Tesseract read whole comes back as it was
    assert read_uncovered(page, ocr, ENGLISH, recognizer()) is ocr


@needs_ocr
def test_text_left_out_in_the_header_or_away_from_the_price_column_is_not_read_again():
    page = render_text(TEXT, size=26)
    ocr = ENGLISH.read(page)
    assert uncovered_pieces(page, _without_row(ocr, "PARAGON")) == []  # left, near the top
    assert uncovered_pieces(page, _without_row(ocr, "Worki")) == []  # a name, left column


@needs_ocr
def test_a_first_row_the_layout_analysis_dropped_is_read_back_by_the_line_model():
    page = render_text(ENGLISH_TEXT, size=26)
    ocr = ENGLISH.read(page)
    name = build_lines(ocr)[0].text
    assert "CAHAYA" in name
    lost = _without_row(ocr, "CAHAYA")
    assert len(head_pieces(page, lost)) == 1  # the name's row, nothing Tesseract read
    recovered = read_uncovered_head(page, lost, ENGLISH, recognizer())
    rows = [line.text for line in build_lines(recovered)]
    assert rows[0].replace(" ", "") == "KEDAIBUKUCAHAYASDNBHD" and rows[1:] == [
        line.text for line in build_lines(lost)
    ]
    # a page Tesseract read from its first row comes back as it was, as does one read
    # without the line model
    assert read_uncovered_head(page, ocr, ENGLISH, recognizer()) is ocr
    assert read_uncovered_head(page, lost, ENGLISH, None) is lost


@needs_ocr
def test_what_is_dropped_below_the_first_row_read_is_not_the_heads_business():
    page = render_text(ENGLISH_TEXT, size=26)
    ocr = ENGLISH.read(page)
    assert head_pieces(page, _without_row(ocr, "JALAN")) == []


@needs_ocr
def test_a_date_row_the_layout_analysis_dropped_is_found_anywhere_and_read_back():
    page = render_text(ENGLISH_TEXT, size=26)
    ocr = ENGLISH.read(page)
    lost = _without_row(ocr, "14/03/2019")
    # left of the price column: the amount rows' search does not reach it
    assert read_uncovered(page, lost, ENGLISH, recognizer()) is lost
    recovered = read_uncovered(page, lost, ENGLISH, recognizer(), dates=True)
    rows = [line.text for line in build_lines(recovered)]
    assert "14/03/2019" in rows[rows.index("TEL: 07-355 1234") + 1]
    assert analyze(lost).date is None and str(analyze(recovered).date) == "2019-03-14"
    # rows left out that hold no date are not added
    lost_both = _without_row(lost, "NOTEBOOK")
    again = read_uncovered(page, lost_both, ENGLISH, recognizer(), dates=True)
    assert not any("NOTEBOOK" in line.text for line in build_lines(again))
