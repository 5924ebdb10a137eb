"""Garbled sale rows of a Polish receipt read again by the line model."""

from __future__ import annotations

import dataclasses

import numpy as np

from receiptq.pipeline.analysis.amounts import respace_numbers
from receiptq.pipeline.analysis.layout import page_layout
from receiptq.pipeline.analysis.lines import build_lines, lines_from_text
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.recognize import Reading
from receiptq.pipeline.salerows import (
    checks_itself,
    garbled_item_segments,
    garbled_rows,
    item_checks_itself,
    reread_item_rows,
    reread_sale_rows,
)

ROWS = """SKLEP Sp. z o.o.
NIP 123-456-32-18
PARAGON FISKALNY
MLEKO 3,2% 1L 2 x3,19 6,38D
SAŁATKA SELER 820G.B 2 x3A5O=/UER
SUMA PLN 13,56"""


class LineModel:
    """Reads every crop as ``text``."""

    alphabet = frozenset()

    def __init__(self, text: str) -> None:
        self.text = text

    def read(self, crops):
        return [Reading(self.text, 0.98) for _ in crops]


def reading_of(text: str) -> OcrResult:
    words = [w for line in lines_from_text(text) for w in line.words]
    return OcrResult(words=words, width=1000, height=400)


def test_only_the_garbled_sale_rows():
    lines = lines_from_text(ROWS)
    assert [ln.text for ln in garbled_rows(lines, 0)] == ["SAŁATKA SELER 820G.B 2 x3A5O=/UER"]


def test_a_reading_must_check_itself():
    assert checks_itself("SALATKA SELER 320G.B 2 x3,59 7,18B")
    assert not checks_itself("SALATKA SELER 320G.B 2 x3,59 7,19B")  # 2 x 3,59 is not 7,19
    assert not checks_itself("WINIARYMAJONEZ1*4794,79 B")  # spaces lost: no value after
    assert not checks_itself("SUMA PLN 13,56")


def test_the_row_is_replaced_by_a_reading_that_checks_itself():
    page = np.full((400, 1000), 255, np.uint8)
    ocr = reading_of(ROWS)
    good = reread_sale_rows(page, ocr, LineModel("SALATKA SELER 320G.B 2 x3,59 7,18B"))
    texts = [ln.text for ln in build_lines(good)]
    assert "SALATKA SELER 320G.B 2 x3,59 7,18B" in texts
    assert "MLEKO 3,2% 1L 2 x3,19 6,38D" in texts  # a row that read as a sale stays
    assert len(texts) == len(build_lines(ocr))
    bad = reread_sale_rows(page, ocr, LineModel("SALATKA SELER 2 x3,59 7,19B"))
    assert bad is ocr
    assert reread_sale_rows(page, ocr, None) is ocr


def test_a_numbers_row_checks_itself_without_a_name():
    # the name is printed on the row above ("Kefir 1L" / "1 x3,59 3,59 C")
    assert checks_itself("1 x3,59 3,59C")
    assert not checks_itself("1 x3,59 3,69C")


def test_the_value_run_into_the_unit_price_is_split_off():
    assert respace_numbers("1x3,593,59C") == "1x3,59 3,59C"
    assert respace_numbers("1,074x4,394,71C") == "1,074x4,39 4,71C"
    assert respace_numbers("2 x3,59 7,18B") == "2 x3,59 7,18B"  # spaced already
    assert respace_numbers("WINIARYMAJONEZ1*4794,79 B") == "WINIARYMAJONEZ1*4794,79 B"


NUMBERS_UNDER_NAMES = """SKLEP Sp. z o.o.
PARAGON FISKALNY
Kefir 1L
3: x3:593,89:€
SUMA PLN 3,59"""


def test_a_numbers_row_run_together_is_replaced():
    page = np.full((400, 1000), 255, np.uint8)
    ocr = reading_of(NUMBERS_UNDER_NAMES)
    good = reread_sale_rows(page, ocr, LineModel("1x3,593,59C"))
    assert "1x3,59 3,59C" in [ln.text for ln in build_lines(good)]
    assert reread_sale_rows(page, ocr, LineModel("1x3,593,69C")) is ocr  # 1 x 3,59 != 3,69


ITEM_ROWS = """AL-AMIN SUPERSTORE SDN BHD
Date: 04/09/2023
CHOCOLATE WAFER
1184623081150        1 x 1.75   1.75 SR
DISHWASH LEMON 900ML
3027079444514        1 X 78758 > eID COR
TOTAL                           9.50"""


def weak(text: str, garbled: str) -> OcrResult:
    """``text``'s reading with the words of ``garbled`` read at 20 %."""
    reading = reading_of(text)
    bad = set(garbled.split())
    words = [dataclasses.replace(w, conf=20.0) if w.text in bad else w for w in reading.words]
    return dataclasses.replace(reading, words=words)


def test_an_item_row_checks_itself_when_quantity_times_price_is_its_value():
    assert item_checks_itself("1 x 7.75 7.75 SR")
    assert item_checks_itself("1.703 x 12.30 20.95 ZR")
    assert item_checks_itself("2 @ 1.99 3.98")
    assert not item_checks_itself("1 x 7.75 7.95 SR")
    assert not item_checks_itself("1X7.757.75SR")  # run together: no value after the price


def test_only_unsure_segments_with_digits_of_rows_that_read_as_no_item():
    reading = weak(ITEM_ROWS, "X 78758 > eID COR")
    layout = page_layout(build_lines(reading), restore=False)
    segs = garbled_item_segments(layout.lines, layout.items)
    assert [" ".join(w.text for w in s) for s in segs] == ["1 X 78758 > eID COR"]


def test_a_garbled_item_segment_is_replaced_by_a_reading_that_checks_itself():
    page = np.full((400, 1000), 255, np.uint8)
    reading = weak(ITEM_ROWS, "X 78758 > eID COR")
    layout = page_layout(build_lines(reading), restore=False)
    good = reread_item_rows(page, reading, LineModel("1X7.757.75SR"), layout)
    texts = [ln.text for ln in build_lines(good)]
    assert "3027079444514 1X7.75 7.75SR" in texts
    assert reread_item_rows(page, reading, LineModel("1X7.757.95SR"), layout) is reading
    assert reread_item_rows(page, reading, None, layout) is reading
