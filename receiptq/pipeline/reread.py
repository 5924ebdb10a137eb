"""Read a receipt image, and read it a second time when the first reading is weak.

Tesseract's errors on one rendering of a scan are partly independent of its errors on a
slightly different rendering: faint thermal print that breaks up after background
flattening often survives stroke thickening instead. So when any key field of the first
reading (merchant name, address, date, total) has low confidence, the image is read again
from a second preprocessing, and each key field is taken from whichever reading is more
confident. On the SROIE dev split this pays for itself (see docs/extraction.md); receipts
whose first reading is confident cost a single OCR pass.
"""

from __future__ import annotations

import numpy as np

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.ocr import run_ocr
from receiptq.pipeline.preprocess import preprocess
from receiptq.receipt import Receipt

#: A second pass runs when any key field's confidence is below this...
SECOND_PASS_BELOW = 0.6
#: ...and the preprocessed page is no larger than this: OCR time grows with pixels, and
#: the largest pages would take the CPU per receipt past its budget (1.5 s).
SECOND_PASS_MAX_PIXELS = 2_500_000
KEY_FIELDS = ("merchant.name", "merchant.address", "date", "total")

FIRST_PASS = {"flatten": True, "thicken": False}
SECOND_PASS = {"flatten": False, "thicken": True}


def needs_second_pass(receipt: Receipt, threshold: float = SECOND_PASS_BELOW) -> bool:
    """Whether any key field is missing or less confident than ``threshold``."""
    fields = receipt.confidence.fields
    return any(fields.get(name, 0.0) < threshold for name in KEY_FIELDS)


def merge_readings(first: Receipt, second: Receipt) -> Receipt:
    """``first`` with each key field replaced by ``second``'s where that is more confident.

    Total, subtotal and tax move together only for the total; items stay from the first
    reading (they are not compared field by field).
    """
    out = first.model_copy(deep=True)
    f1, f2 = first.confidence.fields, second.confidence.fields
    if f2.get("merchant.name", 0) > f1.get("merchant.name", 0):
        out.merchant.name = second.merchant.name
        out.confidence.fields["merchant.name"] = f2["merchant.name"]
    if f2.get("merchant.address", 0) > f1.get("merchant.address", 0):
        out.merchant.address = second.merchant.address
        out.confidence.fields["merchant.address"] = f2["merchant.address"]
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


def read_receipt(
    image: np.ndarray,
    langs: str = "eng+pol",
    engine: str | None = None,
    second_pass: bool = True,
) -> Receipt:
    """preprocess -> OCR -> analyze, plus a second reading when the first is weak."""
    page = preprocess(image, **FIRST_PASS)
    first = analyze(run_ocr(page, langs=langs, engine=engine))
    if not second_pass:
        return first
    return reread_if_weak(image, page, first, langs=langs, engine=engine)


def reread_if_weak(
    image: np.ndarray,
    page: np.ndarray,
    first: Receipt,
    langs: str = "eng+pol",
    engine: str | None = None,
) -> Receipt:
    """The second reading of `image` (whose first-pass page was `page`), merged into
    `first`, when a key field of `first` is weak and the page is small enough."""
    if page.size > SECOND_PASS_MAX_PIXELS or not needs_second_pass(first):
        return first
    second = analyze(run_ocr(preprocess(image, **SECOND_PASS), langs=langs, engine=engine))
    return merge_readings(first, second)
