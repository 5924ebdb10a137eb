"""Analysis stage: OCR words in, structured receipt out.

The stage is a chain of small, pure steps on plain data, each in a module named for what it
finds: rows rebuilt from word boxes (`lines`), OCR-tolerant labels (`keywords`), amounts and
the total (`amounts`), dates and times (`dates`), the merchant block (`merchant`), line items
(`items`), and language, currency and payment (`language`); before all of them, digits
and letters OCR swapped for their look-alikes are put back (`lookalikes`), and on Polish
receipts the marks of Polish letters OCR lost (`diacritics`).
"""

from __future__ import annotations

from collections.abc import Container

from receiptq.pipeline.analysis.amounts import (
    extract_totals,
    format_amount,
)
from receiptq.pipeline.analysis.dates import pick_date
from receiptq.pipeline.analysis.items import extract_items, item_sum
from receiptq.pipeline.analysis.language import (
    detect_currency,
    detect_payment,
    fold_diacritics,
)
from receiptq.pipeline.analysis.layout import Layout, page_layout, reading_layout
from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.merchant import find_merchant
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrResult
from receiptq.receipt import Confidence, Item, Merchant, Receipt

__all__ = ["analyze", "analyze_lines"]


def analyze(ocr: OcrResult, layout: Layout | None = None) -> Receipt:
    """Turn one page of OCR words into a structured receipt (``layout``: the reading's,
    `reading_layout`, when the caller has it already)."""
    layout = layout or reading_layout(ocr)
    receipt = analyze_lines(layout.lines, layout=layout)
    receipt.confidence.ocr = round(ocr.mean_confidence, 3)
    return receipt


def analyze_lines(
    lines: list[Line], known: Container[str] | None = None, layout: Layout | None = None
) -> Receipt:
    """Structured receipt from already rebuilt lines (no OCR confidence). ``known`` is
    the word list that puts back the marks of Polish letters OCR lost (`diacritics`);
    by default the installed one (`receiptq.pipeline.lexicon`). ``layout``: the rows'
    layout when the caller has it (`page_layout`; then ``lines`` are its rows)."""
    layout = layout or page_layout(lines, known)
    lines, language = layout.lines, layout.language
    texts = [ln.text for ln in lines]
    full = "\n".join(texts)
    start, end = layout.items
    parsed_items = extract_items(lines, start, end)
    totals = extract_totals(lines, item_sum(parsed_items))
    merchant = find_merchant(lines, known if known is not None else lexicon(), layout.header)
    currency = detect_currency(full, language)
    # US receipts print month first (04/05/2023 is April 5th).
    date, time, date_conf = pick_date(texts, month_first=currency == "USD")
    if language != "pl":
        merchant.name = fold_diacritics(merchant.name) if merchant.name else None
        merchant.address = fold_diacritics(merchant.address) if merchant.address else None
    fields = {
        "merchant.name": merchant.name_confidence if merchant.name else 0.0,
        "merchant.address": merchant.address_confidence if merchant.address else 0.0,
        "date": date_conf if date else 0.0,
        "total": totals.confidence if totals.total is not None else 0.0,
    }
    return Receipt(
        merchant=Merchant(
            name=merchant.name,
            address=merchant.address,
            tax_id=merchant.tax_id,
            phone=merchant.phone,
        ),
        date=date.isoformat() if date else None,
        time=time,
        currency=currency,
        total=format_amount(totals.total),
        subtotal=format_amount(totals.subtotal),
        tax=format_amount(totals.tax),
        items=[
            Item(
                description=i.description,
                quantity=i.quantity,
                unit_price=i.unit_price,
                total_price=i.total_price,
            )
            for i in parsed_items
        ],
        payment_method=detect_payment(texts),
        language=language,
        confidence=Confidence(fields={k: round(v, 3) for k, v in fields.items()}),
    )
