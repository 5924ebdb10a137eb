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
from receiptq.pipeline.analysis.dates import parse_time, pick_date
from receiptq.pipeline.analysis.items import ParsedItem, extract_items, item_sum
from receiptq.pipeline.analysis.language import (
    detect_currency,
    detect_payment,
    fold_diacritics,
)
from receiptq.pipeline.analysis.layout import Layout, page_layout, reading_layout
from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.merchant import MerchantInfo, find_merchant, has_legal_suffix
from receiptq.pipeline.analysis.paragon import (
    Sale,
    as_items,
    as_sales,
    choose_values,
    read_sales,
    sale_rows,
    settle_total,
)
from receiptq.pipeline.analysis.polish_names import chain_name
from receiptq.pipeline.analysis.taxids import nip_valid
from receiptq.pipeline.fields.choice import apply_choice
from receiptq.pipeline.fields.features import RulePicks
from receiptq.pipeline.fields.model import FieldModel
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrResult
from receiptq.receipt import Confidence, Item, Merchant, Receipt

__all__ = ["analyze", "analyze_lines", "name_from_chain"]


def analyze(
    ocr: OcrResult, layout: Layout | None = None, model: FieldModel | None = None
) -> Receipt:
    """Turn one page of OCR words into a structured receipt (``layout``: the reading's,
    `reading_layout`, when the caller has it already; ``model``: see `analyze_lines`)."""
    layout = layout or reading_layout(ocr)
    receipt = analyze_lines(layout.lines, layout=layout, model=model)
    receipt.confidence.ocr = round(ocr.mean_confidence, 3)
    return receipt


def items_and_currency(layout: Layout) -> tuple[list[ParsedItem], str | None]:
    """The item rows between the header and the summary, and the receipt's currency. A
    Polish paragon's sales and discounts are read as its printers print them
    (`paragon`), each at its value as read."""
    sales = polish_sales(layout)
    if sales:
        items = as_items(sales, [s.values[0] for s in sales])
    else:
        items = extract_items(layout.lines, *layout.items)
    full = "\n".join(ln.text for ln in layout.lines)
    return items, detect_currency(full, layout.language)


def polish_sales(layout: Layout) -> list[Sale]:
    """The sales of a Polish receipt printed as a paragon's (a quantity times a price on
    every sale row), else none."""
    if layout.language != "pl":
        return []
    sales = read_sales(sale_rows([ln.text for ln in layout.lines], layout.items[0]))
    return sales if any(s.quantity is not None for s in sales) else []


def name_from_chain(merchant: Merchant | MerchantInfo) -> None:
    """A big chain's registered name for a merchant whose valid NIP is the chain's, where
    the name read is a logo's noise or a misreading of it (`polish_names`)."""
    if merchant.tax_id and nip_valid(merchant.tax_id):
        read = merchant.name
        chain = chain_name(merchant.tax_id, read, bool(read and has_legal_suffix(read)))
        if chain is not None:
            merchant.name = chain


def month_first(currency: str | None) -> bool:
    """Whether dates print month first: US receipts do (04/05/2023 is April 5th)."""
    return currency == "USD"


def analyze_lines(
    lines: list[Line],
    known: Container[str] | None = None,
    layout: Layout | None = None,
    model: FieldModel | None = None,
) -> Receipt:
    """Structured receipt from already rebuilt lines (no OCR confidence). ``known`` is
    the word list that puts back the marks of Polish letters OCR lost (`diacritics`);
    by default the installed one (`receiptq.pipeline.lexicon`). ``layout``: the rows'
    layout when the caller has it (`page_layout`; then ``lines`` are its rows).
    ``model``, when given, chooses the name, address, date and total where it finds
    them (`receiptq.pipeline.fields`); without it the rules choose."""
    layout = layout or page_layout(lines, known)
    known = known if known is not None else lexicon()
    lines, language = layout.lines, layout.language
    texts = [ln.text for ln in lines]
    parsed_items, currency = items_and_currency(layout)
    totals = extract_totals(lines, item_sum(parsed_items))
    if language == "pl":  # SUMA PLN as the sales and payments agree
        sales = polish_sales(layout)
        totals.total = settle_total(sales or as_sales(parsed_items), totals.amounts, totals.total)
        if sales:
            parsed_items = as_items(sales, choose_values(sales, totals.total))
    merchant = find_merchant(lines, known, layout.header)
    name_from_chain(merchant)
    date, time, date_conf = pick_date(texts, month_first=month_first(currency))
    total, total_conf = totals.total, totals.confidence
    if model is not None:
        rules = RulePicks(merchant.name, merchant.address, total, date)
        choice = model.choose(lines, item_sum(parsed_items), month_first(currency), rules)
        apply_choice(choice, lines, merchant, known)
        if choice.date is not None:
            date, date_conf = choice.date, choice.date_p
            if choice.date_line is not None:  # always set with the date
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
        currency=currency,
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
