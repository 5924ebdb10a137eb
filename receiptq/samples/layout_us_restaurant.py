"""US restaurant check: what a table is handed, with the rows that mislead an extractor.

A server, table, guests and check number around the header; a month-first date with a
12-hour time; dishes with their modifiers; subtotal, sales tax, sometimes an automatic
gratuity in the total; then a card slip's blank tip and total lines or a table of
suggested tips whose amounts are larger than the total. Every name, street and number
is invented (phone numbers in the 555-01xx range kept for fiction).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from receiptq.samples import catalog as cat
from receiptq.samples.compose import (
    Bought,
    Draft,
    Line,
    digits,
    english_truth,
    merchant,
    random_date,
)
from receiptq.samples.money import fmt, money, tax_added

ZERO = Decimal(0)
#: Party size from which the check adds its own gratuity.
AUTO_GRATUITY_FROM = 6


def _name(rng: random.Random) -> str:
    name = f"{rng.choice(cat.DINER_NAME_FIRST)} {rng.choice(cat.DINER_NAME_SECOND)}"
    return name.upper() if rng.random() < 0.5 else name


def _printed_date(rng: random.Random, date: dt.date, hour: int, minute: int) -> str:
    """The date and time as one of the common POS systems prints them (month first)."""
    twelve = f"{(hour - 1) % 12 + 1}:{minute:02d} {'PM' if hour >= 12 else 'AM'}"
    return rng.choice(
        (
            f"{date:%m/%d/%Y} {twelve}",
            f"{date.month}/{date.day}/{date:%y} {twelve}",
            f"{date:%b} {date.day}, {date.year} {twelve}",
            f"{date:%m/%d/%y} {hour:02d}:{minute:02d}",
        )
    )


def _meta_rows(rng: random.Random, server: str, guests: int, printed: str) -> list[Line]:
    """Server, table, guests, station, check number and the date, in one of a few orders."""
    table = f"Table {rng.randint(1, 60)}"
    check = f"Check #{rng.randint(100, 9999)}"
    rows = [
        Line(f"Server: {server}", f"Station: {rng.randint(1, 9)}"),
        Line(table, f"Guests: {guests}"),
        Line(check, rng.choice(("", f"Order {rng.randint(1, 200)}"))),
    ]
    rng.shuffle(rows)
    at = rng.randint(0, len(rows))
    rows.insert(at, Line(printed) if rng.random() < 0.5 else Line(f"Date: {printed}"))
    return rows


def _dishes(rng: random.Random) -> list[Bought]:
    chosen = rng.sample(cat.DISHES, rng.randint(2, 9))
    bought = []
    for product in chosen:
        quantity = Decimal(1) if rng.random() < 0.7 else Decimal(rng.randint(2, 4))
        price = money(rng.uniform(product.low, product.high))
        price = money(price - price % Decimal("0.05") + Decimal("0.04") * rng.randint(0, 1))
        bought.append(Bought(product, quantity, price))
    return bought


def build_us_restaurant(rng: random.Random) -> Draft:
    """A restaurant check from a US point-of-sale system (see the module's docstring)."""
    cols = rng.choice((38, 40, 42))
    name = _name(rng)
    town, state, zip_prefix, rate = rng.choice(cat.US_TOWNS)
    street = f"{rng.randint(10, 9899)} {rng.choice(cat.US_STREETS)}"
    city_line = f"{town}, {state} {zip_prefix}{digits(rng, 2)}"
    address = f"{street}, {city_line}"
    phone = f"({rng.randint(201, 989)}) 555-01{digits(rng, 2)}"
    date = random_date(rng, dt.date(2022, 1, 1), dt.date(2025, 6, 30))
    hour, minute = rng.randint(11, 22), rng.randint(0, 59)
    guests = rng.choice((1, 2, 2, 3, 4, 6, 8))
    dollar = "$" if rng.random() < 0.4 else ""

    def amount(value: Decimal) -> str:
        return f"{dollar}{fmt(value)}"

    items = _dishes(rng)
    subtotal = sum((i.total for i in items), ZERO)
    tax = tax_added(subtotal, rate)
    gratuity = money(subtotal * Decimal("0.18")) if guests >= AUTO_GRATUITY_FROM else ZERO
    total = subtotal + tax + gratuity

    lines = [Line(name, center=True, bold=True, scale=1.5)]
    lines += [Line(street, center=True), Line(city_line, center=True), Line(phone, center=True)]
    lines.append(Line(rule="-"))
    lines += _meta_rows(rng, rng.choice(cat.CASHIERS_EN).title(), guests,
                        _printed_date(rng, date, hour, minute))  # fmt: skip
    lines.append(Line(rule="-"))
    for item in items:
        lines.append(Line(f"{item.quantity} {item.product.name}", amount(item.total)))
        if rng.random() < 0.3:
            lines.append(Line(f"   {rng.choice(cat.DISH_MODIFIERS)}"))
    lines.append(Line(rule="-"))
    lines.append(Line("Subtotal", amount(subtotal)))
    lines.append(Line(rng.choice(("Tax", "Sales Tax")), amount(tax)))
    if gratuity:
        lines.append(Line(f"Gratuity 18% ({guests} guests)", amount(gratuity)))
    label = rng.choice(("Total", "Amount Due", "Balance Due", "TOTAL"))
    lines.append(Line(label, amount(total), bold=True, scale=1.2))
    method = "card" if rng.random() < 0.7 else "cash"
    if method == "card":
        lines.append(Line(f"{rng.choice(('VISA', 'MASTERCARD', 'AMEX'))} XXXX{digits(rng, 4)}",
                          amount(total)))  # fmt: skip
    else:
        given = money((total // 5 + 1) * 5)
        lines += [Line("Cash", amount(given)), Line("Change", amount(given - total))]
    if method == "card" and rng.random() < 0.6:
        lines += [Line(""), Line("Tip:", "__________"), Line("Total:", "__________")]
        lines += [Line(""), Line("X______________________________")]
    if rng.random() < 0.5:
        lines.append(Line("Suggested Tip:"))
        for pct in (15, 18, 20, 22):
            tip = money(subtotal * pct / 100)
            lines.append(Line(f"  {pct}% = {fmt(tip)}", f"Total {fmt(total + tip)}"))
    lines.append(Line(rng.choice(("Thank you for dining with us!", "Thank You! Come Again")),
                      center=True))  # fmt: skip

    shop = merchant(name, address, None, phone)
    receipt = english_truth(
        shop, date, f"{hour:02d}:{minute:02d}", "USD", (total, subtotal, tax), items, method
    )
    extras = {"gratuity": fmt(gratuity), "tax_rate": str(rate)}
    return Draft("us_restaurant", cols, lines, receipt, extras)
