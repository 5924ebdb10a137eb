"""Reading a page, and the rules of a second reading of a weak header.

`read_page` is the pipeline's OCR of one preprocessed page. Tesseract's errors on one
rendering of a scan are partly independent of its errors on a slightly different
rendering: faint thermal print that breaks up after background flattening often survives
stroke thickening instead. So when the merchant name, address or date of the first
reading has low confidence, the header band is read again from a second rendering (the
`second_*` steps of `receiptq.pipeline.run`), and each of those fields is taken from
whichever reading is more confident (`merge_readings`). Why the thresholds are what they
are: docs/extraction.md, "Why the constants are what they are".
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from receiptq.pipeline.analysis.amounts import find_amounts
from receiptq.pipeline.analysis.dates import parse_dates
from receiptq.pipeline.analysis.keywords import MIN_LABEL_SCORE, classify
from receiptq.pipeline.analysis.layout import Layout, page_layout
from receiptq.pipeline.analysis.lines import build_lines
from receiptq.pipeline.coverage import RIGHT_SHARE, read_uncovered, read_uncovered_head
from receiptq.pipeline.lexicon import unknown_count
from receiptq.pipeline.ocr import OcrEngine, OcrResult
from receiptq.pipeline.preprocess import binarize_below_paper
from receiptq.pipeline.recognize import LineReader
from receiptq.pipeline.refine import Merge, refine
from receiptq.pipeline.salerows import reread_item_rows, reread_sale_rows
from receiptq.receipt import Receipt

#: A second pass runs when any key field's confidence is below this. An unlabelled name
#: scores 0.4 x its rows' OCR confidence (`merchant`), so it counts as weak only where
#: that reading is in doubt (the measurements: docs/extraction.md).
SECOND_PASS_BELOW = 0.4
#: ...and the header band is no larger than this: OCR time grows with pixels, and the
#: largest pages would take the CPU per receipt past its budget.
SECOND_PASS_MAX_PIXELS = 2_500_000
KEY_FIELDS = ("merchant.name", "merchant.address", "date", "total")
#: What the second reading may replace: it reads only the header band, where name,
#: address and date live (a whole page cost twice as much and did not help the total).
HEADER_FIELDS = ("merchant.name", "merchant.address", "date")

#: Confidences this close are no reason to prefer a reading ("Darnansara" at 0.74 over
#: "Damansara" at 0.70): the word list decides.
CLOSE = 0.1
#: An address that holds all of the other reading's and more is kept when its confidence
#: is at most this much lower (the rows it adds are often the faint ones).
FULLER_CLOSE = 0.15

#: A first reading with fewer words than this read almost nothing of a receipt: the page
#: is read again binarized below its paper's gray (faint print, see binarize_below_paper).
NEARLY_EMPTY_WORDS = 20


def needs_second_pass(
    receipt: Receipt, threshold: float = SECOND_PASS_BELOW, fields: tuple[str, ...] = KEY_FIELDS
) -> bool:
    """Whether any of ``fields`` is missing or less confident than ``threshold``."""
    confidence = receipt.confidence.fields
    return any(confidence.get(name, 0.0) < threshold for name in fields)


def merge_readings(
    first: Receipt,
    second: Receipt,
    fields: tuple[str, ...] = KEY_FIELDS,
    known: Container[str] | None = None,
) -> Receipt:
    """``first`` with each of ``fields`` replaced by ``second``'s where that is more
    confident. Where a name or address is about as confident in both (within `CLOSE`),
    the one with fewer words unknown to ``known`` (the word list) wins.

    Total, subtotal and tax move together only for the total; items stay from the first
    reading (they are not compared field by field).
    """
    out = first.model_copy(deep=True)
    f1 = first.confidence.fields
    f2 = {name: value for name, value in second.confidence.fields.items() if name in fields}
    for name in ("merchant.name", "merchant.address"):
        attr = name.split(".")[1]
        if _second_is_better(
            getattr(first.merchant, attr), f1.get(name, 0),
            getattr(second.merchant, attr), f2.get(name, 0), known,
            fuller=attr == "address",
        ):  # fmt: skip
            setattr(out.merchant, attr, getattr(second.merchant, attr))
            out.confidence.fields[name] = f2[name]
    if f2.get("date", 0) > f1.get("date", 0):
        out.date, out.time = second.date, second.time or first.time
        out.confidence.fields["date"] = f2["date"]
    if f2.get("total", 0) > f1.get("total", 0):
        out.total = second.total
        out.confidence.fields["total"] = f2["total"]
    for name in ("tax_id", "phone"):
        if getattr(out.merchant, name) is None:
            setattr(out.merchant, name, getattr(second.merchant, name))
    return out


def _second_is_better(
    first: str | None,
    c1: float,
    second: str | None,
    c2: float,
    known: Container[str] | None,
    fuller: bool = False,
) -> bool:
    if second is None or second == first:
        return False
    if fuller and first is not None and abs(c2 - c1) <= FULLER_CLOSE:
        # One reading found more of the same block ("SELANGOR DARUL EHSAN" against
        # "NO.4, JALAN MERBAH 2, KOTA RAYA SELANGOR DARUL EHSAN"): the fuller one.
        a, b = _letters(first), _letters(second)
        if a != b and a in b:
            return True
        if a != b and b in a:
            return False
    if known is not None and first is not None and abs(c2 - c1) <= CLOSE:
        u1, u2 = unknown_count(first, known), unknown_count(second, known)
        if u1 != u2:
            return u2 < u1
    return c2 > c1


def _letters(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def read_page(
    page: np.ndarray, ocr: OcrEngine, lines: LineReader | None, merge: Merge | None = None
) -> OcrResult:
    """Tesseract (``ocr``) over a preprocessed page, then the key rows re-read by the line
    model ``lines`` and merged by ``merge`` (`refine`); a page that reads as nearly nothing
    is read again binarized below its paper (faint print)."""
    reading = _read_page(page, ocr, lines, merge)
    if word_count(reading) < NEARLY_EMPTY_WORDS:
        faint = binarize_below_paper(page)
        retry = _read_page(faint, ocr, lines, merge)
        if word_count(retry) > word_count(reading):
            return _with_date(faint, retry, ocr, lines)
    return _with_date(page, reading, ocr, lines)


def _with_date(
    page: np.ndarray, reading: OcrResult, ocr: OcrEngine, lines: LineReader | None
) -> OcrResult:
    """``reading``, or where it has no date, with the uncovered rows of ``page`` that hold
    one: the row of its date is what the layout analysis dropped (`coverage`). Only with
    the line model, which looks at each row first (without it, a profile that saves CPU)."""
    if lines is None or any(parse_dates(line.text) for line in build_lines(reading)):
        return reading
    return read_uncovered(page, reading, ocr, lines, dates=True)


def _read_page(
    page: np.ndarray, ocr: OcrEngine, lines: LineReader | None, merge: Merge | None
) -> OcrResult:
    # rows above the first one Tesseract returned that its layout analysis dropped
    reading = read_uncovered_head(page, ocr.read(page), ocr, lines)
    layout = page_layout(build_lines(reading), restore=False)
    if layout.language == "pl":
        # the quantity rows Tesseract's layout analysis drops on Polish fiscal receipts,
        # read alone (`receiptq.pipeline.coverage`); the line model has no Polish letters,
        # so `refine` re-reads only the amounts of the summary rows
        reading = read_uncovered(page, reading, ocr, lines)
        return reread_sale_rows(page, refine(page, reading, lines, merge=merge), lines)
    if lines is not None and unpriced_summary(layout):
        # the price column Tesseract's layout analysis dropped (`coverage`)
        recovered = read_uncovered(page, reading, ocr, lines)
        if recovered is not reading:
            reading, layout = recovered, page_layout(build_lines(recovered), restore=False)
    # item rows Tesseract garbled, read again by the line model where the numbers it reads
    # check themselves (quantity x price = value)
    refined = refine(page, reading, lines, layout, merge)
    if refined is not reading:
        layout = page_layout(build_lines(refined), restore=False)
    return reread_item_rows(page, refined, lines, layout)


def unpriced_summary(layout: Layout) -> bool:
    """Whether a subtotal's or total's label below the header stands alone at the left,
    with no number on its row and no amount on the next: what is left when Tesseract's
    layout analysis dropped the price column (a crease across the page can split it off).
    A label whose row reaches the price column holds an amount OCR garbled, or heads a
    table."""
    rows = layout.lines
    if not rows:
        return False
    left = min(row.left for row in rows)
    price_column = left + RIGHT_SHARE * (max(row.right for row in rows) - left)
    # (a page with no amount at all is header through and through: look at every row)
    start = len(layout.header) if any(find_amounts(row.text) for row in rows) else 0
    for i in range(start, len(rows)):
        if rows[i].right > price_column or any(c.isdigit() for c in rows[i].text):
            continue  # (a number: an amount garbled, or a count, "Total Qty: 3")
        name, score = classify(rows[i].text, _SUMMARY)
        if name is None or score < MIN_LABEL_SCORE:
            continue
        if i + 1 == len(rows) or not find_amounts(rows[i + 1].text):
            return True
    return False


_SUMMARY = ("total", "subtotal")


def word_count(ocr: OcrResult) -> int:
    """Words of a reading that hold a letter or digit."""
    return sum(1 for w in ocr.words if any(c.isalnum() for c in w.text))


def header_bottom(layout: Layout, height: int) -> int:
    """Where the header ends on a page ``height`` px high: two row heights below the last
    row of the reading's header (``layout``)."""
    head = layout.header
    if not head:
        return height
    return min(height, round(head[-1].bottom + 2 * head[-1].height))
