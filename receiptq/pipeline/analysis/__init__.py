"""Analysis stage: OCR words in, structured receipt out.

The stage is a chain of small, pure steps on plain data, each in a module named for what it
finds: rows rebuilt from word boxes (`lines`), OCR-tolerant labels (`keywords`), amounts and
the total (`amounts`), dates and times (`dates`), the merchant block (`merchant`), line items
(`items`), and language, currency and payment (`language`); before all of them, digits
and letters OCR swapped for their look-alikes are put back (`lookalikes`), and on Polish
receipts the marks of Polish letters OCR lost (`diacritics`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container

from receiptq.pipeline.analysis.amounts import (
    extract_totals,
    find_amounts,
    format_amount,
)
from receiptq.pipeline.analysis.dates import parse_time, pick_date
from receiptq.pipeline.analysis.diacritics import restore_row
from receiptq.pipeline.analysis.items import extract_items, is_summary_row, item_sum
from receiptq.pipeline.analysis.language import (
    detect_currency,
    detect_language,
    detect_payment,
    fold_diacritics,
)
from receiptq.pipeline.analysis.lines import Line, build_lines
from receiptq.pipeline.analysis.lookalikes import restore_words
from receiptq.pipeline.analysis.merchant import find_merchant, header_lines
from receiptq.pipeline.fields.choice import apply_choice
from receiptq.pipeline.fields.features import RulePicks
from receiptq.pipeline.fields.model import FieldModel
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.receipt import Confidence, Item, Merchant, Receipt

__all__ = ["analyze", "analyze_lines"]

#: Labels of the summary block: the first such row with an amount ends the items.
_SUMMARY_LABELS = ("total", "rounded_total", "subtotal", "tax", "rounding", "cash", "change",
                   "rate_sales")  # fmt: skip


def analyze(ocr: OcrResult, model: FieldModel | None = None) -> Receipt:
    """Turn one page of OCR words into a structured receipt."""
    lines = build_lines(restore_words(ocr))
    receipt = analyze_lines(lines, model=model)
    receipt.confidence.ocr = round(ocr.mean_confidence, 3)
    return receipt


@dataclasses.dataclass
class Page:
    """A reading's rows (Polish marks put back) and what the fields are read against."""

    lines: list[Line]
    language: str
    currency: str | None
    items: list
    item_sum: object

    @property
    def month_first(self) -> bool:
        return self.currency == "USD"  # US receipts print month first (04/05/2023: April 5th)


def read_page_layout(lines: list[Line], known: Container[str] | None = None) -> Page:
    """The `Page` of rebuilt lines (``known``: the word list that puts back the marks of
    Polish letters OCR lost, by default the installed one)."""
    language = detect_language("\n".join(ln.text for ln in lines))
    if language == "pl":  # putting marks back only makes a Polish text more Polish
        polish = known if known is not None else lexicon("pol")
        if polish is not None:
            lines = [_restore_marks(line, polish) for line in lines]
    start, end = _items_span(lines)
    items = extract_items(lines, start, end)
    full = "\n".join(ln.text for ln in lines)
    return Page(lines, language, detect_currency(full, language), items, item_sum(items))


def _restore_marks(line: Line, known: Container[str]) -> Line:
    """``line`` with its words' Polish marks put back (the same line when none were lost)."""
    restored = restore_row([w.text for w in line.words], known)
    new = {id(w): dataclasses.replace(w, text=t)
           for w, t in zip(line.words, restored, strict=True) if t != w.text}  # fmt: skip
    if not new:
        return line

    def swap(w: Word) -> Word:
        return new.get(id(w), w)

    return dataclasses.replace(
        line,
        words=[swap(w) for w in line.words],
        segments=[[swap(w) for w in seg] for seg in line.segments],
    )


def _items_span(lines: list[Line]) -> tuple[int, int]:
    """Indices between the header and the first summary row (subtotal, total, tax...)."""
    head = header_lines(lines)
    start = head[-1].index + 1 if head else 0
    end = len(lines)
    for line in lines[start:]:
        if not find_amounts(line.text):
            continue
        if is_summary_row(line.text, _SUMMARY_LABELS):
            end = line.index
            break
    return start, end


def analyze_lines(
    lines: list[Line], known: Container[str] | None = None, model: FieldModel | None = None
) -> Receipt:
    """Structured receipt from already rebuilt lines (no OCR confidence). ``known`` is
    the word list that puts back the marks of Polish letters OCR lost (`diacritics`);
    by default the installed one (`receiptq.pipeline.lexicon`). ``model``, when given,
    chooses the name, address, total and date where it finds them
    (`receiptq.pipeline.fields`); without it the rules choose."""
    page = read_page_layout(lines, known)
    lines, language, parsed_items = page.lines, page.language, page.items
    texts = [ln.text for ln in lines]
    totals = extract_totals(lines, page.item_sum)
    merchant = find_merchant(lines, known if known is not None else lexicon())
    date, time, date_conf = pick_date(texts, month_first=page.month_first)
    total, total_conf = totals.total, totals.confidence
    if model is not None:
        rules = RulePicks(merchant.name, merchant.address, total, date)
        choice = model.choose(lines, page.item_sum, page.month_first, rules)
        apply_choice(choice, lines, merchant, known if known is not None else lexicon())
        if choice.date is not None:
            date, date_conf = choice.date, choice.date_p
            time = parse_time(lines[choice.date_line].text) or time
        if choice.total is not None:
            total, total_conf = choice.total, choice.total_p
    if language != "pl":
        merchant.name = fold_diacritics(merchant.name) if merchant.name else None
        merchant.address = fold_diacritics(merchant.address) if merchant.address else None
    fields = {
        "merchant.name": merchant.name_confidence if merchant.name else 0.0,
        "merchant.address": merchant.address_confidence if merchant.address else 0.0,
        "date": date_conf if date else 0.0,
        "total": total_conf if total is not None else 0.0,
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
        currency=page.currency,
        total=format_amount(total),
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
