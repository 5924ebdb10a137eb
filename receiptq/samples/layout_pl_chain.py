"""Polish fiscal receipt in the style of a large chain's printer (invented chain).

Unlike `layout_pl`'s small shop: a wide header with the company's legal name, its seat and
the store number, upper-case item names cut to the printer's width, each item row followed
by its quantity row ("1 x4,49  4,49C"), discounts printed under their item as negative
lines ("Rabat MLEKO 2% UHT 1L  -0,50C"), "Sprzedaż opodatk." and "Kwota PTU" rows, SUMA
PLN large, the payment ("Karta" or "Gotówka" and "Reszta") and a footer with the receipt
number, register, cashier and time. Discounts are items of their own in the ground truth
(negative, with the rate letter of the item they follow), as the pipeline reads them.
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
    cash_given,
    digits,
    merchant,
    pick_items,
    random_date,
    random_time,
)
from receiptq.samples.layout_pl import (
    AREA_CODES,
    paragon_truth,
    ptu_letter,
    ptu_rows,
    random_nip,
)
from receiptq.samples.money import fmt, fmt_qty, money

#: Item names are cut to this many characters, as chain printers cut their article names.
NAME_CHARS = 22
STORE_KINDS = ("Hipermarket", "Supermarket", "Market", "Sklep", "Drogeria")


def printed_name(item: Bought) -> str:
    return item.product.name.upper()[:NAME_CHARS].rstrip()


def discount_for(rng: random.Random, item: Bought) -> Decimal | None:
    """A promotion on about one item in five: 10-40 % off, never the whole line."""
    if rng.random() >= 0.2 or item.total < Decimal("1.00"):
        return None
    return money(item.total * Decimal(rng.choice((10, 15, 20, 25, 30, 40))) / 100)


def _discount_item(item: Bought, amount: Decimal) -> dict:
    return {
        "description": f"Rabat {printed_name(item)}",
        "quantity": "1",
        "unit_price": fmt(-amount),
        "total_price": fmt(-amount),
        "category": item.product.category,
    }


def build_pl_chain(rng: random.Random) -> Draft:
    """Draw one chain-store paragon: header, items with quantity rows and discounts, PTU."""
    cols = rng.choice((42, 44, 48))
    first, second = rng.choice(cat.PL_NAME_FIRST), rng.choice(cat.PL_NAME_SECOND)
    name = f"{first} {second} Polska {rng.choice(('Sp. z o.o.', 'S.A.', 'Sp. z o.o. Sp. k.'))}"
    name = name.upper() if rng.random() < 0.5 else name
    city, prefixes = rng.choice(cat.PL_CITIES)
    street = f"{rng.choice(cat.PL_STREETS)} {rng.randint(1, 240)}"
    postal = f"{rng.choice(prefixes)}-{rng.randint(0, 999):03d} {city}"
    store = f"{rng.choice(STORE_KINDS)} nr {rng.randint(1, 9999):04d}"
    nip = random_nip(rng)
    phone = f"{AREA_CODES[city]} {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}"
    date = random_date(rng, dt.date(2024, 4, 1), dt.date(2025, 6, 30))
    time = random_time(rng, seconds=rng.random() < 0.5)
    items = pick_items(rng, cat.PRODUCTS_PL, (4, 14))

    lines = [Line(name, center=True, bold=True), Line(f"{street}, {postal}", center=True)]
    lines += [Line(store, center=True), Line(f"tel. {phone}", center=True)]
    lines += [Line(f"NIP {nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}", center=True)]
    lines.append(Line(date.isoformat(), f"{rng.randint(1, 99999):05d}"))
    lines += [Line("PARAGON FISKALNY", center=True, bold=True), Line(rule="-")]
    truth_items: list[dict] = []
    amounts: list[tuple[str, Decimal]] = []
    for item in items:
        letter = ptu_letter(item)
        qty = f"{fmt_qty(item.quantity, comma=True)} x{fmt(item.unit_price, comma=True)}"
        lines.append(Line(printed_name(item)))
        lines.append(Line(f"   {qty}", f"{fmt(item.total, comma=True)}{letter}"))
        truth_items.append({**item.as_item(), "description": printed_name(item)})
        amounts.append((letter, item.total))
        if (off := discount_for(rng, item)) is not None:
            lines.append(Line(f"Rabat {printed_name(item)}", f"-{fmt(off, comma=True)}{letter}"))
            truth_items.append(_discount_item(item, off))
            amounts.append((letter, -off))
    summary = ptu_rows(amounts)
    total = sum((a for _, a in amounts), Decimal(0))
    tax = sum((row["tax"] for row in summary), Decimal(0))
    lines.append(Line(rule="-"))
    for row in summary:
        letter, rate = row["letter"], row["rate"]
        lines.append(Line(f"Sprzedaż opodatk. {letter}", fmt(row["gross"], comma=True)))
        lines.append(Line(f"Kwota PTU {letter} {rate}%", fmt(row["tax"], comma=True)))
    lines.append(Line("Suma PTU", fmt(tax, comma=True)))
    lines.append(Line("SUMA PLN", fmt(total, comma=True), bold=True, scale=2.0))
    pays_card = rng.random() < 0.7
    if pays_card:
        lines.append(Line("Karta", fmt(total, comma=True)))
    else:
        given = cash_given(rng, total)
        lines.append(Line("Gotówka", fmt(given, comma=True)))
        lines.append(Line("Reszta", fmt(given - total, comma=True)))
    lines.append(Line(rule="-"))
    register = f"#Kasa {rng.randint(1, 40)} Kasjer {rng.randint(100, 999)}"
    lines.append(Line(f"{digits(rng, 6)} {register}", time))
    lines.append(Line(f"Nr transakcji: {rng.randint(1, 9999)}"))
    lines.append(
        Line(f"{{PL}} {''.join(rng.choices('ABCDEFGHJKLMNPRSTUWZ', k=3))} {digits(rng, 8)}")
    )

    seller = merchant(name, f"{street}, {postal}", nip, phone)
    receipt, extras = paragon_truth(
        seller, date, time, (total, tax), truth_items, pays_card, summary
    )
    extras["item_ptu"] = [letter for letter, _ in amounts]
    return Draft("pl_chain", cols, lines, receipt, extras)
