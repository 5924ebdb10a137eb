"""English-language layouts: Malaysian "SDN BHD" tax invoice, UK till, US register receipt.

They differ where extractors stumble: where the tax is (added on top in Malaysia and the
US, contained in the price in the UK), how the total is labelled, the 5-sen rounding
adjustment in Malaysia, day-first vs month-first printed dates, and currency marks.
"""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from decimal import Decimal

from receiptq.samples import catalog as cat
from receiptq.samples.compose import (
    Bought,
    Draft,
    Line,
    cash_given,
    digits,
    english_truth,
    merchant,
    pick_items,
    random_date,
    random_time,
)
from receiptq.samples.money import fmt, fmt_qty, round_to_5_sen, tax_added, tax_included

ZERO = Decimal(0)


def standard_rated(item: Bought) -> bool:
    return item.product.category in cat.STANDARD_RATED


def _sum(items: list[Bought]) -> Decimal:
    return sum((i.total for i in items), ZERO)


def _wrap_center(text: str, cols: int) -> list[Line]:
    return [Line(part, center=True) for part in textwrap.wrap(text, cols - 2)]


def _pays(rng: random.Random, total: Decimal, card: str, cash: str, change: str, money_fmt):
    """Payment lines and the normalised payment method."""
    if rng.random() < 0.55:
        return [Line(card, money_fmt(total))], "card"
    given = cash_given(rng, total)
    return [Line(cash, money_fmt(given)), Line(change, money_fmt(given - total))], "cash"


def build_my_sdnbhd(rng: random.Random) -> Draft:
    """Malaysian shop tax invoice: net prices, GST (or SST) on SR items, 5-sen rounding."""
    cols = rng.choice((44, 46, 48))
    name = f"{rng.choice(cat.MY_NAME_FIRST)} {rng.choice(cat.MY_NAME_SECOND)}"
    name += rng.choice((" SDN BHD", " SDN. BHD."))
    postcode, town, state = rng.choice(cat.MY_TOWNS)
    address_parts = [
        f"NO {rng.randint(1, 88)}",
        f"{rng.choice(cat.MY_STREETS)} {rng.randint(1, 12)}",
        rng.choice(cat.MY_TAMAN),
        f"{postcode} {town}",
        state,
    ]
    address = ", ".join(address_parts) + "."
    phone = f"TEL: 0{rng.randint(3, 9)}-{digits(rng, 3)} {digits(rng, 4)}"
    gst_era = rng.random() < 0.7
    if gst_era:
        date = random_date(rng, dt.date(2015, 4, 1), dt.date(2018, 5, 31))
        tax_name, tax_id = "GST", digits(rng, 12)
        tax_id_line = f"GST ID : {tax_id}"
    else:
        date = random_date(rng, dt.date(2019, 1, 1), dt.date(2023, 12, 31))
        tax_name, tax_id = "SST", f"W10-{digits(rng, 4)}-{digits(rng, 8)}"
        tax_id_line = f"SST ID : {tax_id}"
    time = random_time(rng, seconds=True)
    items = pick_items(rng, cat.PRODUCTS_MY, (2, 10), cents_end_9=False)
    net = _sum(items)
    sr_net = _sum([i for i in items if standard_rated(i)])
    tax = tax_added(sr_net, 0.06)
    gross = net + tax
    total = round_to_5_sen(gross)
    rounding = total - gross

    lines = [Line(name, center=True, bold=True, scale=1.2)]
    lines.append(Line(f"(Co. No. {digits(rng, 6)}-{rng.choice('ADHKMPTUVWX')})", center=True))
    lines += _wrap_center(address, cols)
    lines += [Line(phone, center=True), Line(tax_id_line, center=True)]
    lines += [Line("TAX INVOICE", center=True, bold=True), Line()]
    lines.append(Line(f"Invoice No : CS{digits(rng, 8)}"))
    lines.append(Line(f"Date : {date:%d/%m/%Y}", time))
    lines.append(Line(f"Cashier : {rng.choice(cat.CASHIERS_EN)}"))
    lines += [Line(rule="-"), Line("Description", "Qty  Price   Amount"), Line(rule="-")]
    for item in items:
        code = "SR" if standard_rated(item) else "ZR"
        lines.append(Line(item.product.name))
        qty = f"{fmt_qty(item.quantity)} x {fmt(item.unit_price)}"
        lines.append(Line(f"  {digits(rng, 13)}", f"{qty}  {fmt(item.total)} {code}"))
    lines.append(Line(rule="-"))
    lines.append(Line(f"No. of Items : {len(items)}"))
    lines.append(Line(f"Total Sales (Excluding {tax_name}) :", fmt(net)))
    lines.append(Line(f"Total {tax_name} @6% :", fmt(tax)))
    lines.append(Line(f"Total Sales (Inclusive {tax_name}) :", fmt(gross)))
    lines.append(Line("Rounding Adjustment :", fmt(rounding)))
    lines.append(Line("TOTAL :", fmt(total), bold=True, scale=1.4))
    pay_lines, method = _pays(rng, total, "VISA CARD", "CASH", "CHANGE", fmt)
    lines += pay_lines
    lines.append(Line(rule="-"))
    if gst_era:
        lines.append(Line("GST Summary", "Amount(RM)  Tax(RM)"))
        lines.append(Line("SR @ 6%", f"{fmt(sr_net)}     {fmt(tax)}"))
        lines.append(Line("ZR @ 0%", f"{fmt(net - sr_net)}     0.00"))
        lines.append(Line(rule="-"))
    lines.append(Line("THANK YOU. PLEASE COME AGAIN.", center=True))
    lines.append(Line("GOODS SOLD ARE NOT RETURNABLE.", center=True))

    shop = merchant(name, address, tax_id, phone.removeprefix("TEL: "))
    receipt = english_truth(shop, date, time, "MYR", (total, net, tax), items, method)
    extras = {
        "tax_name": tax_name,
        "tax_rate": "0.06",
        "taxable_net": fmt(sr_net),
        "gross_before_rounding": fmt(gross),
        "rounding_adjustment": fmt(rounding),
        "printed_date": f"{date:%d/%m/%Y}",
    }
    return Draft("my_sdnbhd", cols, lines, receipt, extras)


def build_uk_till(rng: random.Random) -> Draft:
    """UK supermarket till: VAT-inclusive prices, VAT A (20%) / Z (0%) summary at the end."""
    cols = rng.choice((38, 40, 42))
    name = f"{rng.choice(cat.UK_NAME_FIRST)} {rng.choice(cat.UK_NAME_SECOND)}"
    town, outward = rng.choice(cat.UK_TOWNS)
    street = f"{rng.randint(1, 220)} {rng.choice(cat.UK_STREETS)}"
    postcode = f"{outward} {rng.randint(1, 9)}{''.join(rng.choices('ABDEFGHJLNPQRSTUWXYZ', k=2))}"
    address = f"{street}, {town}, {postcode}"
    phone = f"01632 960{digits(rng, 3)}"  # Ofcom's range reserved for fiction
    vat_no = f"GB{digits(rng, 9)}"
    date = random_date(rng, dt.date(2022, 1, 1), dt.date(2025, 6, 30))
    time = random_time(rng)
    items = pick_items(rng, cat.PRODUCTS_EN, (3, 12))
    pound = rng.random() < 0.5

    def money_fmt(amount: Decimal) -> str:
        return f"£{fmt(amount)}" if pound else fmt(amount)

    total = _sum(items)
    std_gross = _sum([i for i in items if standard_rated(i)])
    vat = tax_included(std_gross, 20)

    lines = [Line(name.upper(), center=True, bold=True, scale=1.4)]
    lines += [Line(street, center=True), Line(f"{town} {postcode}", center=True)]
    lines += [Line(f"Tel: {phone}", center=True)]
    lines += [Line(f"VAT No: GB {vat_no[2:5]} {vat_no[5:9]} {vat_no[9:]}", center=True)]
    lines.append(Line(rule="-"))
    for item in items:
        code = " A" if standard_rated(item) else " Z"
        if item.quantity == 1:
            lines.append(Line(item.product.name, money_fmt(item.total) + code))
            continue
        lines.append(Line(item.product.name))
        if item.product.weighed:
            detail = f"  {fmt_qty(item.quantity)} kg @ {money_fmt(item.unit_price)}/kg"
        else:
            detail = f"  {fmt_qty(item.quantity)} @ {money_fmt(item.unit_price)}"
        lines.append(Line(detail, money_fmt(item.total) + code))
    lines.append(Line(rule="-"))
    lines.append(Line(f"SUBTOTAL ({len(items)} items)", money_fmt(total)))
    lines.append(Line("TOTAL", money_fmt(total), bold=True, scale=1.4))
    pay_lines, method = _pays(rng, total, "VISA DEBIT", "CASH", "CHANGE DUE", money_fmt)
    lines += pay_lines
    lines.append(Line(rule="-"))
    lines.append(Line("VAT  RATE", "NET    VAT"))
    lines.append(Line("A    20%", f"{fmt(std_gross - vat)}   {fmt(vat)}"))
    lines.append(Line("Z     0%", f"{fmt(total - std_gross)}   0.00"))
    lines.append(Line(rule="-"))
    lines.append(Line(f"{date:%d/%m/%Y} {time}", f"ST:{digits(rng, 4)} TR:{digits(rng, 4)}"))
    lines.append(Line(f"Served by {rng.choice(cat.CASHIERS_EN).title()}"))
    lines.append(Line("Thank you for shopping with us", center=True))

    shop = merchant(name.upper(), address, vat_no, phone)
    receipt = english_truth(shop, date, time, "GBP", (total, total, vat), items, method)
    extras = {"vat_standard_gross": fmt(std_gross), "printed_date": f"{date:%d/%m/%Y}"}
    return Draft("uk_till", cols, lines, receipt, extras)


def build_us_till(rng: random.Random) -> Draft:
    """US register receipt: sales tax added on taxable (T) items only, month-first date."""
    cols = rng.choice((36, 38, 40))
    name = f"{rng.choice(cat.US_NAME_FIRST)} {rng.choice(cat.US_NAME_SECOND)}".upper()
    town, state, zip_prefix, rate = rng.choice(cat.US_TOWNS)
    street = f"{rng.randint(100, 9899)} {rng.choice(cat.US_STREETS)}"
    city_line = f"{town}, {state} {zip_prefix}{digits(rng, 2)}"
    address = f"{street}, {city_line}"
    phone = f"({rng.randint(201, 989)}) 555-01{digits(rng, 2)}"  # 555-01xx is fictional
    date = random_date(rng, dt.date(2022, 1, 1), dt.date(2025, 6, 30))
    hour, minute = rng.randint(7, 21), rng.randint(0, 59)
    time = f"{hour:02d}:{minute:02d}"
    printed_time = f"{(hour - 1) % 12 + 1}:{minute:02d} {'PM' if hour >= 12 else 'AM'}"
    items = pick_items(rng, cat.PRODUCTS_EN, (3, 12))
    subtotal = _sum(items)
    taxable = _sum([i for i in items if standard_rated(i)])
    tax = tax_added(taxable, rate)
    total = subtotal + tax

    lines = [Line(name, center=True, bold=True, scale=1.5)]
    lines += [Line(street, center=True), Line(city_line, center=True), Line(phone, center=True)]
    lines.append(Line(rule="="))
    for item in items:
        flag = " T" if standard_rated(item) else " F"
        label = item.product.name.upper()
        if item.quantity == 1:
            lines.append(Line(label, fmt(item.total) + flag))
            continue
        lines.append(Line(label))
        if item.product.weighed:
            detail = f" {fmt_qty(item.quantity)} lb @ {fmt(item.unit_price)} /lb"
        else:
            detail = f" {fmt_qty(item.quantity)} @ {fmt(item.unit_price)}"
        lines.append(Line(detail, fmt(item.total) + flag))
    lines.append(Line(rule="="))
    lines.append(Line("SUBTOTAL", fmt(subtotal)))
    lines.append(Line(f"TAX {Decimal(str(rate)) * 100:.3f}%", fmt(tax)))
    lines.append(Line("TOTAL", fmt(total), bold=True, scale=1.4))
    pay_lines, method = _pays(rng, total, "VISA", "CASH TEND", "CHANGE DUE", fmt)
    lines += pay_lines
    lines.append(Line(rule="="))
    lines.append(Line(f"# ITEMS SOLD {len(items)}", center=True))
    lines.append(Line(f"{date:%m/%d/%Y} {printed_time}", f"TC# {digits(rng, 4)}"))
    lines.append(Line("THANK YOU FOR SHOPPING!", center=True))

    shop = merchant(name, address, None, phone)
    receipt = english_truth(shop, date, time, "USD", (total, subtotal, tax), items, method)
    extras = {
        "tax_rate": str(rate),
        "taxable_subtotal": fmt(taxable),
        "printed_date": f"{date:%m/%d/%Y}",
    }
    return Draft("us_till", cols, lines, receipt, extras)
