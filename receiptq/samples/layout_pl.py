"""Polish fiscal receipt ("PARAGON FISKALNY") as printed by a kasa fiskalna.

Prices are gross; each item carries its PTU (VAT) letter, and the footer lists the gross
sales per letter ("SPRZEDAŻ OPODATKOWANA A") with the tax contained in it ("PTU A 23,00 %"),
computed from the gross per letter as fiscal printers do, then "SUMA PTU" and "SUMA PLN".
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
from receiptq.samples.money import fmt, fmt_qty, tax_included

AREA_CODES = {
    "Warszawa": "22",
    "Kraków": "12",
    "Łódź": "42",
    "Wrocław": "71",
    "Poznań": "61",
    "Gdańsk": "58",
    "Białystok": "85",
    "Zielona Góra": "68",
}
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def random_nip(rng: random.Random) -> str:
    """A 10-digit NIP with a valid check digit, so validators that check it accept it."""
    while True:
        body = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(w * d for w, d in zip(NIP_WEIGHTS, body, strict=True)) % 11
        if check != 10:
            return "".join(map(str, body)) + str(check)


def ptu_letter(item: Bought) -> str:
    return item.product.ptu or cat.PTU_BY_CATEGORY[item.product.category]


def ptu_summary(items: list[Bought]) -> list[dict]:
    """Per PTU letter: gross sales and the tax contained in them (rounded per letter)."""
    return ptu_rows([(ptu_letter(i), i.total) for i in items])


def ptu_rows(amounts: list[tuple[str, Decimal]]) -> list[dict]:
    """Per PTU letter of (letter, gross amount) lines (discounts negative): gross and tax."""
    rows = []
    for letter in sorted({letter for letter, _ in amounts}):
        gross = sum((a for lt, a in amounts if lt == letter), Decimal(0))
        rate = cat.PTU_RATES[letter]
        rows.append(
            {"letter": letter, "rate": rate, "gross": gross, "tax": tax_included(gross, rate)}
        )
    return rows


def _item_lines(item: Bought, cols: int, compact: bool) -> list[Line]:
    right = (
        f"{fmt_qty(item.quantity, comma=True)} x{fmt(item.unit_price, comma=True)}"
        f"  {fmt(item.total, comma=True)} {ptu_letter(item)}"
    )
    name = item.product.name
    if compact and len(name) + 1 + len(right) <= cols:
        return [Line(name, right)]
    return [Line(name), Line("", right)]


def build_pl_fiscal(rng: random.Random) -> Draft:
    """Draw one Polish fiscal receipt: merchant, items, PTU summary, payment."""
    cols = rng.choice((40, 42, 44))
    if rng.random() < 0.6:
        name = f"{rng.choice(cat.PL_NAME_FIRST)} {rng.choice(cat.PL_NAME_SECOND)}"
        name = f"{name} {rng.choice(cat.PL_LEGAL_FORMS)}"
        store_line = f"Sklep nr {rng.randint(1, 999):03d}"
    else:
        shop = f"{rng.choice(cat.PL_NAME_FIRST)} {rng.choice(cat.PL_NAME_SECOND)}".upper()
        name = f'P.H.U. "{shop}" {rng.choice(cat.PL_OWNERS)}'
        store_line = rng.choice(cat.PL_SHOP_KINDS)
    if rng.random() < 0.4:
        name = name.upper()
    city, prefixes = rng.choice(cat.PL_CITIES)
    number = str(rng.randint(1, 180)) + rng.choice(("", "", "", "A", f"/{rng.randint(1, 40)}"))
    street = f"{rng.choice(cat.PL_STREETS)} {number}"
    postal = f"{rng.choice(prefixes)}-{rng.randint(0, 999):03d} {city}"
    nip = random_nip(rng)
    nip_printed = (
        f"NIP {nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}" if rng.random() < 0.5 else f"NIP: {nip}"
    )
    phone = f"{AREA_CODES[city]} {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}"
    has_phone = rng.random() < 0.6

    date = random_date(rng, dt.date(2024, 4, 1), dt.date(2025, 6, 30))
    time = random_time(rng)
    items = pick_items(rng, cat.PRODUCTS_PL, (3, 11))
    compact = rng.random() < 0.6
    summary = ptu_summary(items)
    total = sum((i.total for i in items), Decimal(0))
    tax = sum((row["tax"] for row in summary), Decimal(0))
    pays_card = rng.random() < 0.6

    lines = [Line(name, center=True, bold=True), Line(store_line, center=True)]
    lines += [Line(street, center=True), Line(postal, center=True)]
    if has_phone:
        lines.append(Line(f"tel. {phone}", center=True))
    lines += [Line(nip_printed, center=True), Line()]
    lines.append(Line(f"{date.isoformat()} {time}", f"nr wydr. {rng.randint(1, 99999):05d}"))
    lines += [Line("PARAGON FISKALNY", center=True, bold=True, scale=1.3), Line(rule="-")]
    for item in items:
        lines += _item_lines(item, cols, compact)
    lines.append(Line(rule="-"))
    for row in summary:
        letter, rate = row["letter"], row["rate"]
        lines.append(Line(f"SPRZEDAŻ OPODATKOWANA {letter}", fmt(row["gross"], comma=True)))
        lines.append(Line(f"PTU {letter} {rate},00 %", fmt(row["tax"], comma=True)))
    lines.append(Line("SUMA PTU", fmt(tax, comma=True)))
    lines.append(Line("SUMA PLN", fmt(total, comma=True), bold=True, scale=1.5))
    lines.append(Line(rule="-"))
    if pays_card:
        lines.append(Line("KARTA", fmt(total, comma=True)))
        lines.append(Line(f"Karta płatnicza ****{digits(rng, 4)}"))
    else:
        given = cash_given(rng, total)
        lines.append(Line("GOTÓWKA", fmt(given, comma=True)))
        lines.append(Line("RESZTA", fmt(given - total, comma=True)))
    lines.append(Line(rule="-"))
    lines.append(Line(f"{rng.randint(1, 9999):05d} #Kasa {rng.randint(1, 12)}", time))
    lines.append(Line(f"Kasjer nr {rng.randint(1, 40)}"))
    lines.append(
        Line(
            f"{{PL}} {''.join(rng.choices('ABCDEFGHJKLMNPRSTUWZ', k=3))} {digits(rng, 8)}",
            center=True,
        )
    )
    lines.append(Line("Dziękujemy za zakupy!", center=True))

    seller = merchant(name, f"{street}, {postal}", nip, phone if has_phone else None)
    receipt, extras = paragon_truth(
        seller, date, time, (total, tax), [i.as_item() for i in items], pays_card, summary
    )
    extras["item_ptu"] = [ptu_letter(i) for i in items]
    return Draft("pl_fiscal", cols, lines, receipt, extras)


def paragon_truth(
    seller: dict,
    date: dt.date,
    time: str,
    total_tax: tuple[Decimal, Decimal],
    items: list[dict],
    pays_card: bool,
    summary: list[dict],
) -> tuple[dict, dict]:
    """A paragon's ground truth in the receipt shape, and its extras (the PTU table)."""
    total, tax = total_tax
    receipt = {
        "merchant": seller,
        "date": date.isoformat(),
        "time": time,
        "currency": "PLN",
        "total": fmt(total),
        "subtotal": None,
        "tax": fmt(tax),
        "items": items,
        "payment_method": "card" if pays_card else "cash",
        "language": "pl",
    }
    ptu = [
        {"letter": r["letter"], "rate": r["rate"], "gross": fmt(r["gross"]), "tax": fmt(r["tax"])}
        for r in summary
    ]
    return receipt, {"ptu": ptu, "printed_date": date.isoformat()}
