"""Line items: description, quantity, unit price and line total.

Items sit between the header and the first totals line. A receipt row ends with its line
total at the right; the quantity and unit price are either on the same row ("2 x 3,50
7,00 A" on Polish fiscal receipts, "1 PC * 9.00 0.00 9.00" on thermal printers) or the
description has its own row above them. Rows that carry a totals, payment or tax label
are never items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from receiptq.pipeline.analysis.amounts import (
    AMOUNT_RE,
    find_amounts,
    format_amount,
    respace_numbers,
)
from receiptq.pipeline.analysis.keywords import MIN_LABEL_SCORE, classify
from receiptq.pipeline.analysis.lines import Line

#: "2 x 3,50", "2 szt. x3,49", "1 PC * 9.00", "3 @ 1.20": quantity and unit price together.
_QTY_PRICE = re.compile(
    r"(?<![\d.,])(?P<q>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:szt\.?|pcs?|units?|kg|op\.?)?\s*"
    r"[x×X*@]\s*(?P<p>\d{1,6}[.,]\d{2})(?!\d)",
    re.IGNORECASE,
)
_QTY = re.compile(
    r"(?<![\d.,])(?P<q>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:szt\.?|pcs?|units?|unit|kg|x|X|\*|@)"
    r"(?=\s|\d|$)(?!\d+(?:[.,]\d+)?\s?(?:ml|cl|l|g|kg)\b)",  # "6x500ml" is a pack
    re.IGNORECASE,
)
#: A count before the name, as restaurant checks print their items ("2 Iced Tea 5.90"),
#: maybe after a bar or a speck OCR read at the paper's edge; not "3 IN 1 COFFEE", a
#: product, nor after a bracket: "(12 PCS)" is a pack.
_LEADING_QTY = re.compile(r"^[|!*.'\s-]{0,3}(?P<q>[1-9]\d?)\s+(?!IN\b)(?=[^\W\d_]{2})", re.I)
#: A barcode (EAN-8 to EAN-14) and the Malaysian GST codes (SR standard-rated, ZR zero-
#: rated) a till prints on an item's numbers row: "9304496589829 ZR 16.45" under its name.
_CODES = re.compile(r"(?<![\w.,])(?:\d{8,14}|[SZ]R)(?![\w.,])")
#: What a row prints after its line total: a tax code ("£2.99 Z", "3,75 C", "1.69 T").
_AFTER_TOTAL = re.compile(r"\W*[A-Z]?\W*")
#: A one read as "l" or "I" before a unit: "Granulated Sugar lkg", "Mąka pszenna lkg".
_ONE_AS_L = re.compile(r"(?<![\w.,])[lI](?=(?:kg|g|ml|cl|l|L)\b)")
_NON_ITEM_LABELS = (
    "total",
    "rounded_total",
    "subtotal",
    "tax",
    "rounding",
    "cash",
    "card",
    "change",
    "count",
    "deposit",
    "rate_sales",
)


@dataclass
class ParsedItem:
    description: str
    quantity: str | None
    unit_price: str | None
    total_price: str | None


def _description(text: str) -> str:
    priced = _QTY_PRICE.search(text) is not None
    text = _QTY_PRICE.sub(" ", text)
    text = AMOUNT_RE.sub(" ", text)
    if not priced:  # with "1 x9,09" on the row, "10szt" is the pack in the name
        text = _QTY.sub(" ", text)
    text = _CODES.sub(" ", text)
    text = re.sub(r"(?<!\w)\d+(?:[.,]\d+)?(?!\w)", " ", text) if _mostly_numbers(text) else text
    return re.sub(r"\s+", " ", text).strip(" .,:;*-|_")


def _mostly_numbers(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    return letters < 3


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def parse_item_line(text: str, pending: str | None = None) -> ParsedItem | None:
    """One item from a row, using ``pending`` (the previous row's text) as description
    when this row has only numbers. None when the row carries no amount."""
    text = respace_numbers(text)
    found = find_amounts(text)
    if not found:
        return None
    end = found[-1][2]
    if _AFTER_TOTAL.fullmatch(text[end:]):
        text = text[:end]  # the tax code after the line total is no part of the name
    desc = _ONE_AS_L.sub("1", _description(text))
    if _letters(desc) < 3 and pending:
        desc = pending
    if _letters(desc) < 2:
        return None
    total = found[-1][0]
    unit: Decimal | None = None
    qty: str | None = None
    if m := _QTY_PRICE.search(text):
        qty = m["q"].replace(",", ".")
        unit = Decimal(m["p"].replace(",", "."))
    elif m := _QTY.search(text):
        qty = m["q"].replace(",", ".")
        try:
            if Decimal(qty) == 0:
                qty = None
        except ArithmeticError:
            qty = None
    if unit is None and len(found) >= 2:
        unit = found[0][0]
    if qty is None and unit is None and (lead := _LEADING_QTY.match(desc)):
        # ...where the count divides the amount to the cent: the row's price for them all
        count = int(lead["q"])
        if (total * 100) % count == 0:
            qty, desc = lead["q"], desc[lead.end() :]
    if qty is not None and unit is None:
        try:
            unit = (total / Decimal(qty)).quantize(Decimal("0.01"))
        except ArithmeticError:
            unit = None
    if qty is None and unit is not None and unit > 0 and total % unit == 0 and total != unit:
        qty = str(int(total / unit))
    if qty is not None and "." in qty:
        qty = qty.rstrip("0").rstrip(".") or "0"
    return ParsedItem(desc, qty, format_amount(unit), format_amount(total))


def _label_text(text: str) -> str:
    """What of a row may be a label: not its amounts, nor a quantity times a price, whose
    digits read as letters would make words ("INSTANT .A 2 x1,29": "TAX")."""
    return AMOUNT_RE.sub(" ", _QTY_PRICE.sub(" ", text))


def is_summary_row(text: str, labels: tuple[str, ...]) -> bool:
    """Whether a row with an amount is a summary row (a label of ``labels``) rather than
    an item. A label a letter off (score < `MIN_LABEL_SCORE`) on a row priced as
    quantity x unit price is chance inside a product's name ("Śmietana 18% 400g 1 x4,49":
    TANAI, a letter from TUNAI, cash), not a misread "TOTAI"."""
    label, score = classify(_label_text(text), labels)
    if label is None:
        return False
    return score >= MIN_LABEL_SCORE or _QTY_PRICE.search(text) is None


def extract_items(lines: list[Line], start: int, end: int) -> list[ParsedItem]:
    """Items from ``lines[start:end]`` (between the header and the totals)."""
    items: list[ParsedItem] = []
    pending: str | None = None
    for line in lines[start:end]:
        text = line.text
        label, score = classify(_label_text(text), _NON_ITEM_LABELS)
        if label is not None and score >= MIN_LABEL_SCORE:
            pending = None
            continue
        item = parse_item_line(text, pending)
        if item is None:
            # a name row above its numbers, without the barcode a till prints before it
            name = re.sub(r"\s+", " ", _CODES.sub(" ", text)).strip()
            pending = name if _letters(name) >= 3 else pending
            continue
        items.append(item)
        pending = None
    return items


def item_sum(items: list[ParsedItem]) -> Decimal | None:
    """Sum of the items' line totals, None when there are none."""
    vals = [Decimal(i.total_price) for i in items if i.total_price]
    return sum(vals, Decimal(0)) if vals else None
