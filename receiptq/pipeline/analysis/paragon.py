"""What a Polish fiscal receipt (paragon fiskalny) prints, read the way its printers print it.

A fiscal printer prints each sale as its name, the quantity times the unit price, and the
line's value followed by its PTU rate letter (A 23 %, B 8 %, C 5 %, D 0 %...):
"MASŁO EXTRA 200G 2 x5,99 11,98C", the numbers sometimes on a row of their own under the
name. A discount printed as its own row ("Rabat -3,60A", "Obniżka -1,00") is a negative
line of the sale above it; "Uwzgl. rabat: -3,00" (Rossmann: the discount taken into the
line above) and a lone amount under a discount (the line's value after it) are not lines.
Then the rate block (SPRZEDAŻ OPODATKOWANA A, PTU A 23 %), SUMA PTU and SUMA PLN.

OCR of thermal print gets the numbers wrong in known ways, which the rules below undo:
the times sign read as "*", "«", "+", "%" or lost, a space after the decimal comma
("8, 58B"), and the rate letter read as a digit ("5,890" for 5,89 C). Where a row's
value and its quantity times its unit price disagree, both are kept as the row's
candidates, and the choice whose sum makes SUMA PLN wins (`choose_values`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from receiptq.pipeline.analysis.amounts import Amount, format_amount
from receiptq.pipeline.analysis.items import ParsedItem, parse_item_line
from receiptq.pipeline.analysis.keywords import classify, has_word, squash

#: How OCR reads a rate letter printed right after the value's grosze.
_LETTER_AS_DIGIT = {"4": "A", "8": "B", "0": "C", "6": "C", "9": "D"}

_NUMBER = r"\d{1,5}\s?[.,]\s?\d{2}"
#: Quantity, times sign (OCR'd many ways), unit price: "2 x3,99", "1,492 x3,99",
#: "2 szt x 3,99", "1 «19,99", "3% 0,99", "1+6,99", "2*16,99".
QTY_TIMES_PRICE = re.compile(
    r"(?<![\d,.])(?P<qty>\d{1,3}(?:[.,]\d{1,3})?)\s?(?:szt\.?|kg|op\.?)?\s?"
    r"(?:[x×X*«+%#]|\+\*)\s?(?P<unit>" + _NUMBER + r")(?![\d])",
    re.IGNORECASE,
)
#: The line's value at the end of a row, and its PTU rate letter A-G (maybe read as a
#: digit).
VALUE_AT_END = re.compile(
    r"(?P<neg>-\s?)?(?P<int>\d{1,5})\s?[.,]\s?(?P<dec>\d{2})(?P<extra>\d)?\s?"
    r"(?P<rate>[A-G])?[\W_]{0,3}$"
)
_DISCOUNT = re.compile(r"\b(?:rabat|obni[żz]ka|upust|promocja|zni[żz]ka)\b", re.IGNORECASE)
_INCLUDED = re.compile(r"\buwzgl", re.IGNORECASE)  # "Uwzgl. rabat": already in the line


@dataclass
class Sale:
    """One line of a paragon: its name, quantity, unit price and value candidates."""

    name: str
    quantity: Decimal | None
    unit: Decimal | None
    #: The values the row may mean, most likely first (as read, then qty x unit price).
    values: list[Decimal] = field(default_factory=list)
    rate: str | None = None


def to_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(re.sub(r"\s", "", text).replace(",", "."))
    except InvalidOperation:
        return None


def row_value(text: str) -> tuple[Decimal, str | None, int] | None:
    """The value that ends a row, its rate letter and where it starts; a third decimal
    digit is a rate letter read as a digit ("5,890": 5,89 C)."""
    m = VALUE_AT_END.search(text)
    if m is None:
        return None
    rate = m["rate"]
    if m["extra"] is not None:
        if m["rate"] is not None or m["extra"] not in _LETTER_AS_DIGIT:
            return None
        rate = _LETTER_AS_DIGIT[m["extra"]]
    value = Decimal(f"{m['int']}.{m['dec']}")
    return (-value if m["neg"] else value), rate, m.start()


def parse_sale(text: str, pending: str | None = None) -> Sale | None:
    """A sale row ("NAME 2 x3,99 7,98B"), or its numbers row under ``pending``, the name
    row above it. None when the row has no quantity times a price."""
    times = QTY_TIMES_PRICE.search(text)
    if times is None:
        return None
    qty, unit = to_decimal(times["qty"]), to_decimal(times["unit"])
    rest = text[times.end() :]
    end = row_value(rest)
    values: list[Decimal] = []
    rate = None
    if end is not None and not rest[: end[2]].strip(" .,:;'|_"):
        values.append(end[0])
        rate = end[1]
    if qty is not None and unit is not None:
        product = (qty * unit).quantize(Decimal("0.01"))
        if product not in values and product > 0:
            values.append(product)
    if not values:
        return None
    name = _clean_name(text[: times.start()])
    if sum(c.isalpha() for c in name) < 3 and pending:
        name = _clean_name(pending)
    if sum(c.isalpha() for c in name) < 2:
        return None
    return Sale(name, qty, unit, values, rate)


def _other_sale(text: str, pending: str | None) -> Sale | None:
    item = parse_item_line(text, pending)
    if item is None or item.total_price is None:
        return None
    qty = to_decimal(item.quantity) if item.quantity else None
    unit = to_decimal(item.unit_price) if item.unit_price else None
    return Sale(item.description, qty, unit, [Decimal(item.total_price)])


def _clean_name(text: str) -> str:
    """A sale's name without the row number and stray marks OCR adds around it."""
    text = re.sub(r"^\W*\d{1,2}[.,\s]\s*(?=[^\W\d])", "", text.strip())
    return re.sub(r"\s+", " ", text).strip(" .,:;*|_-\"'«")


def parse_discount(text: str) -> Sale | None:
    """A discount row ("Rabat 12 ZA 15,48ZL -3,60A", "Obniżka -1,00"): a negative sale.
    "Uwzgl. rabat" (a discount already in the line above) is none."""
    if not _DISCOUNT.search(text) or _INCLUDED.search(text):
        return None
    end = row_value(text)
    if end is None or end[0] >= 0:
        return None
    return Sale(_clean_name(text[: end[2]]), None, None, [end[0]], end[1])


def is_value_after_discount(text: str) -> bool:
    """A row that is only an amount and its rate letter ("89,99A"): under a discount, the
    line's value after it, not a sale."""
    end = row_value(text)
    return end is not None and not text[: end[2]].strip(" .,:;'|_")


def read_sales(texts: list[str]) -> list[Sale]:
    """The sales and discounts of a paragon's item rows, in order; a row printed some
    other way is read as any item row (`items.parse_item_line`)."""
    sales: list[Sale] = []
    pending: str | None = None
    after_discount = False
    for text in texts:
        if (discount := parse_discount(text)) is not None:
            sales.append(discount)
            pending, after_discount = None, True
            continue
        if after_discount and is_value_after_discount(text):
            after_discount = False
            continue
        after_discount = False
        if _INCLUDED.search(text):
            continue
        sale = parse_sale(text, pending) or _other_sale(text, pending)
        if sale is None:
            pending = text if sum(c.isalpha() for c in text) >= 3 else pending
            continue
        sales.append(sale)
        pending = None
    return sales


#: At most this many rows take another of their candidate values to make SUMA PLN: more
#: changes than that would fit about any sum.
MAX_CHANGES = 3


def choose_values(sales: list[Sale], total: Decimal | None) -> list[Decimal]:
    """One value per sale: each row's first candidate, or, when those do not add up to
    ``total`` (SUMA PLN), the fewest rows changed to another of their candidates that
    make it (when exactly one such change of that size does)."""
    first = [s.values[0] for s in sales]
    if total is None or sum(first) == total:
        return first
    missing = total - sum(first)
    swaps = [(i, v - s.values[0], v) for i, s in enumerate(sales) for v in s.values[1:]]
    for size in range(1, MAX_CHANGES + 1):
        fits = [
            combo
            for combo in itertools.combinations(swaps, size)
            if len({i for i, _, _ in combo}) == size and sum(d for _, d, _ in combo) == missing
        ]
        if len(fits) == 1:
            values = list(first)
            for i, _, v in fits[0]:
                values[i] = v
            return values
        if fits:
            break  # several changes fit alike: no guess
    return first


def is_paragon_summary(text: str) -> bool:
    """Rows of the rate block and the sums (SPRZEDAŻ OPODATKOWANA, PTU A, SUMA PTU, SUMA
    PLN, Podsuma): no sale is printed below the first of them but discounts."""
    s = squash(re.sub(r"^[\W\d_]+", "", text))  # not a speck before it ("| Sprzedaż")
    # (a first letter or two may be cut off a photo's edge: "przedaż opodatk.", "uma PLN")
    if re.match(r"(?:S?P?RZED|SPOP|PTU|S?UMA|PODSUM|PODATEK|K?WOTA)", s):
        return True
    if QTY_TIMES_PRICE.search(text):
        return False
    label, score = classify(text, ("rate_sales", "total", "tax"))
    return label is not None and score >= 6


def sale_rows_span(texts: list[str], start: int) -> tuple[int, int]:
    """Where the sales and discounts are: from under the PARAGON FISKALNY title (or from
    ``start``, the first row below the header, without one) to the rate block."""
    titles = [i for i, t in enumerate(texts) if has_word(t, "PARAGONFISKALNY")]
    start = titles[0] + 1 if titles else start
    for end in range(start, len(texts)):
        if is_paragon_summary(texts[end]) and "PODSUM" not in squash(texts[end]):
            return start, end
    return start, len(texts)


def sale_rows(texts: list[str], start: int) -> list[str]:
    """The rows of sales and discounts (`sale_rows_span`); Podsuma rows (a subtotal
    between the sales and their discounts) left out."""
    first, end = sale_rows_span(texts, start)
    return [t for t in texts[first:end] if "PODSUM" not in squash(t)]


def as_items(sales: list[Sale], values: list[Decimal]) -> list[ParsedItem]:
    """The sales as the receipt's items, each with its chosen value."""
    return [
        ParsedItem(
            s.name,
            _plain(s.quantity),
            format_amount(s.unit),
            format_amount(v),
        )
        for s, v in zip(sales, values, strict=True)
    ]


def as_sales(items: list[ParsedItem]) -> list[Sale]:
    """Items read some other way, as sales of one value each."""
    return [
        Sale(i.description, None, None, [Decimal(i.total_price)]) for i in items if i.total_price
    ]


def _plain(quantity: Decimal | None) -> str | None:
    """A quantity as printed without trailing zeros ("1,000" -> "1", "0,638" -> "0.638")."""
    if quantity is None:
        return None
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def makes(sales: list[Sale], total: Decimal) -> bool:
    """Whether the sales' candidate values can add up to ``total``."""
    return sum(choose_values(sales, total)) == total


def settle_total(sales: list[Sale], amounts: list[Amount], total: Decimal | None) -> Decimal | None:
    """The paragon's total where what it prints disagrees: SUMA PLN, the amount paid by
    card (or in cash less the change), the sum of the rate block (SPRZEDAŻ OPODATKOWANA)
    and the sales are four readings of one sum. The value most of them agree on wins
    (``total``, the rules' choice, when none is read twice; SUMA PLN before the amount
    paid before ``total`` among equals)."""
    suma = {a.value for a in amounts if a.label == "total" and a.right and not a.cut}
    cash = [a.value for a in amounts if a.label == "cash" and a.right]
    change = [a.value for a in amounts if a.label == "change" and a.right and a.value > 0]
    paid = {a.value for a in amounts if a.label == "card" and a.right}
    paid |= {c - change[-1] for c in cash} if change else set(cash)
    rates = [a.value for a in amounts if a.label == "rate_sales" and a.right]
    rate_sum = sum(rates) if rates else None
    candidates = {v for v in suma | paid | {total} if v is not None}
    if len(candidates) < 2:
        return total

    def support(value: Decimal) -> tuple[int, int]:
        agree = (value in suma) + (value in paid) + (value == rate_sum) + makes(sales, value)
        return agree, 2 * (value in suma) + (value in paid)

    best = max(sorted(candidates), key=support)
    if total is not None and support(best)[0] <= support(total)[0]:
        return total
    return best
