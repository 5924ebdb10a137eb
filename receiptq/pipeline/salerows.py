"""Sale rows that Tesseract garbled, read again by the line model.

On thermal print Tesseract often reads a sale row's numbers as noise ("2 x3A5O=/UER" for
"2 x3,59 7,18B"); the line model (`receiptq.pipeline.recognize`) reads digits far better,
though it has no Polish letters and drops spaces. So a row of a Polish receipt's sales
(between the PARAGON FISKALNY title and the rate block) that does not read as a sale is
read again, and its new reading replaces it only when that is a sale whose quantity times
unit price is the value it prints: numbers that check themselves. The line model often
drops the spaces between the numbers too ("1x3,593,59C" for "1 x3,59 3,59 C"); a unit
price has two decimals, so the value starts right after them (`amounts.respace_numbers`),
and the arithmetic still has the last word.

An English receipt's item rows get the same, more sparingly (`reread_item_rows`): only
the segments of item rows that read as no item and hold a word Tesseract hardly read
("1 X 78758 > eID COR" for "1 x 7.75 7.75 SR"), and only the segment, not the row.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal

import numpy as np

from receiptq.pipeline.analysis.amounts import find_amounts, respace_numbers
from receiptq.pipeline.analysis.items import parse_item_line
from receiptq.pipeline.analysis.layout import Layout, page_layout
from receiptq.pipeline.analysis.lines import Line, build_lines
from receiptq.pipeline.analysis.paragon import (
    QTY_TIMES_PRICE,
    parse_discount,
    parse_sale,
    row_value,
    sale_rows_span,
)
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.recognize import LineReader, Reading
from receiptq.pipeline.refine import crop_segment, spread_words


def garbled_rows(lines: list[Line], start: int) -> list[Line]:
    """Rows among the sales (``start``: the first row below the header) that hold digits
    but read as no sale nor discount."""
    start, end = sale_rows_span([ln.text for ln in lines], start)
    return [
        ln
        for ln in lines[start:end]
        if any(c.isdigit() for c in ln.text)
        and parse_sale(ln.text, pending="name") is None
        and parse_discount(ln.text) is None
    ]


def checks_itself(text: str) -> bool:
    """Whether ``text`` is a sale row whose quantity times unit price is the value printed
    after them; a row of numbers alone counts (the name is often printed on the row
    above, and the arithmetic does not need it)."""
    sale = parse_sale(text, pending="name")
    times = QTY_TIMES_PRICE.search(text)
    if sale is None or times is None or sale.quantity is None or sale.unit is None:
        return False
    end = row_value(text[times.end() :])
    return end is not None and end[0] == (sale.quantity * sale.unit).quantize(Decimal("0.01"))


def reread_sale_rows(page: np.ndarray, ocr: OcrResult, reader: LineReader | None) -> OcrResult:
    """``ocr`` (a Polish page's reading of ``page``) with its garbled sale rows replaced by
    the line model's reading where that checks itself (`checks_itself`)."""
    if reader is None or not ocr.words:
        return ocr
    layout = page_layout(build_lines(ocr), restore=False)
    rows = [row.words for row in garbled_rows(layout.lines, layout.items[0]) if row.words]
    return reread_checked(page, ocr, rows, reader, checks_itself, "sale_rows_reread")


def reread_checked(
    page: np.ndarray,
    ocr: OcrResult,
    segments: list[list[Word]],
    reader: LineReader,
    checks: Callable[[str], bool],
    counter: str,
) -> OcrResult:
    """``ocr`` with each of its ``segments`` replaced by the line model's reading of it
    where that reading, its numbers spaced (`respace_numbers`), ``checks``; how many were
    replaced under ``counter`` in the result's ``extra``."""
    crops = [crop_segment(page, seg) for seg in segments]
    segments = [seg for seg, crop in zip(segments, crops, strict=True) if crop.size]
    if not segments:
        return ocr
    readings = reader.read([crop for crop in crops if crop.size])
    replaced: dict[int, list[Word]] = {}
    for seg, reading in zip(segments, readings, strict=True):
        text = respace_numbers(reading.text)
        if checks(text):
            replaced[id(seg[0])] = spread_words(seg, Reading(text, reading.conf))
    if not replaced:
        return ocr
    dropped = {id(w) for seg in segments if id(seg[0]) in replaced for w in seg}
    words = [w for w in ocr.words if id(w) not in dropped]
    words += [w for new in replaced.values() for w in new]
    return dataclasses.replace(ocr, words=words, extra={**ocr.extra, counter: len(replaced)})


#: A word Tesseract read with less confidence than this makes an item row worth reading
#: again (an English receipt's rows are re-read only where they are that unsure).
WEAK_WORD = 50
#: Quantity times unit price: "1 x 7.75", "2 @ 1.99", "1.703 x 12.30".
_ITEM_TIMES = re.compile(
    r"(?<![\d.,])(?P<q>\d{1,4}(?:[.,]\d{1,3})?)\s?[x×X*@]\s?(?P<p>\d{1,6}[.,]\d{2})(?!\d)"
)


def item_checks_itself(text: str) -> bool:
    """Whether ``text`` prints a quantity times a unit price followed by their product."""
    m = _ITEM_TIMES.search(text)
    if m is None:
        return False
    after = find_amounts(text[m.end() :])
    if not after:
        return False
    qty, unit = (Decimal(m[k].replace(",", ".")) for k in ("q", "p"))
    return after[-1][0] == (qty * unit).quantize(Decimal("0.01"))


def garbled_item_segments(lines: list[Line], span: tuple[int, int]) -> list[list[Word]]:
    """Among the item rows (``span``: their indices), the segments with a word Tesseract
    hardly read (below `WEAK_WORD`) and a digit, on rows that read as no item."""
    start, end = span
    return [
        seg
        for ln in lines[start:end]
        if parse_item_line(ln.text, pending="name") is None
        for seg in ln.segments
        if min(w.conf for w in seg) < WEAK_WORD and any(c.isdigit() for w in seg for c in w.text)
    ]


def reread_item_rows(
    page: np.ndarray, ocr: OcrResult, reader: LineReader | None, layout: Layout
) -> OcrResult:
    """``ocr`` (an English page's reading of ``page``, its rows ``layout``) with the
    garbled segments of its item rows (`garbled_item_segments`) replaced by the line
    model's reading where that prints a quantity times a unit price and their product
    (`item_checks_itself`): "1 X 78758 > eID COR" for "1 x 7.75 7.75 SR"."""
    if reader is None or not ocr.words:
        return ocr
    segs = [s for s in garbled_item_segments(layout.lines, layout.items) if s]
    return reread_checked(page, ocr, segs, reader, item_checks_itself, "item_rows_reread")
