"""Shared building blocks of the layouts: the printed-line model, item picking, dates.

A layout turns random choices into two views of the same receipt: the lines a till
would print (`Line`) and the ground truth in the project's receipt shape. Keeping both
in one `Draft` means the image can never disagree with its JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from dataclasses import dataclass, field, replace
from decimal import Decimal

from receiptq.samples.catalog import Product
from receiptq.samples.money import fmt, fmt_qty, line_total, money


@dataclass(frozen=True)
class Line:
    """One printed row: `left` text, optional right-aligned `right` text.

    `center` centres `left`; `scale` > 1 prints it double-size (headers, the total);
    `rule` draws a full-width row of that character ("-", "=", "*").
    """

    left: str = ""
    right: str = ""
    center: bool = False
    bold: bool = False
    scale: float = 1.0
    rule: str = ""


def fit_lines(lines: list[Line], cols: int) -> list[Line]:
    """Wrap what would not fit `cols` characters, so nothing printed is ever cut off.

    Centred text is word-wrapped (at scale 1 if needed); a left/right pair that collides
    puts the right part on a line of its own, as tills do with long item names.
    """
    fitted: list[Line] = []
    for line in lines:
        if line.rule:
            fitted.append(line)
        elif line.center:
            if len(line.left) * line.scale <= cols:
                fitted.append(line)
            elif len(line.left) <= cols:
                fitted.append(replace(line, scale=1.0))
            else:
                for part in textwrap.wrap(line.left, cols):
                    fitted.append(replace(line, left=part, scale=1.0))
        else:
            scale = line.scale
            used = len(line.left) + (len(line.right) + 1 if line.right else 0)
            if used * scale > cols:
                scale = 1.0
            if used <= cols:
                fitted.append(replace(line, scale=scale))
            else:
                fitted.append(replace(line, right="", scale=1.0))
                fitted.append(replace(line, left="", scale=1.0))
    return fitted


@dataclass
class Draft:
    """A receipt before rendering: printed lines, ground truth, layout name and extras."""

    layout: str
    cols: int
    lines: list[Line]
    receipt: dict
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Bought:
    """A product as sold on this receipt."""

    product: Product
    quantity: Decimal
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return line_total(self.quantity, self.unit_price)

    def as_item(self) -> dict:
        """The item in the project's receipt shape (decimal strings with a dot)."""
        return {
            "description": self.product.name,
            "quantity": fmt_qty(self.quantity),
            "unit_price": fmt(self.unit_price),
            "total_price": fmt(self.total),
            "category": self.product.category,
        }


def _price(rng: random.Random, product: Product, cents_end_9: bool) -> Decimal:
    price = money(rng.uniform(product.low, product.high))
    if cents_end_9:  # Europe and the US: 3.49, 12.99
        return money(price - price % Decimal("0.10") + Decimal("0.09"))
    return money(price - price % Decimal("0.05"))  # Malaysia: whole 5 sen


def pick_items(
    rng: random.Random,
    products: tuple[Product, ...],
    count_range: tuple[int, int] = (3, 12),
    cents_end_9: bool = True,
) -> list[Bought]:
    """Choose distinct products with realistic quantities (weighed goods get kilograms)."""
    count = rng.randint(*count_range)
    bought = []
    for product in rng.sample(products, count):
        if product.weighed:
            quantity = Decimal(rng.randint(120, 1850)) / 1000
        elif rng.random() < 0.75:
            quantity = Decimal(1)
        else:
            quantity = Decimal(rng.randint(2, 4))
        bought.append(Bought(product, quantity, _price(rng, product, cents_end_9)))
    return bought


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day in [start, end]; the ranges are in the past so validation never flags them."""
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def random_time(rng: random.Random, seconds: bool = False) -> str:
    """Opening-hours time as printed ("14:05" or "14:05:37")."""
    text = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    return f"{text}:{rng.randint(0, 59):02d}" if seconds else text


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def merchant(name: str, address: str, tax_id: str | None, phone: str | None) -> dict:
    return {"name": name, "address": address, "tax_id": tax_id, "phone": phone}


def english_truth(
    shop: dict,
    date: dt.date,
    time: str,
    currency: str,
    amounts: tuple[Decimal, Decimal, Decimal],
    items: list[Bought],
    method: str,
) -> dict:
    """An English-language receipt's ground truth in the project's receipt shape: its
    ``shop`` (`merchant`), ``amounts`` (total, subtotal, tax) and items."""
    total, subtotal, tax = amounts
    return {
        "merchant": shop,
        "date": date.isoformat(),
        "time": time,
        "currency": currency,
        "total": fmt(total),
        "subtotal": fmt(subtotal),
        "tax": fmt(tax),
        "items": [i.as_item() for i in items],
        "payment_method": method,
        "language": "en",
    }


def cash_given(rng: random.Random, total: Decimal) -> Decimal:
    """The note(s) a shopper hands over: the next multiple of 10, 20, 50 or 100 (or exact)."""
    if rng.random() < 0.15:
        return total
    step = Decimal(rng.choice((10, 20, 50, 100)))
    return money(((total // step) + 1) * step)
