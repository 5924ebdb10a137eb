"""Decimal arithmetic for receipt amounts.

Everything is Decimal and rounded half-up to the cent, the way tills do it, so the ground
truth adds up exactly and tests can check it with `==` rather than a tolerance.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FIVE_SEN = Decimal("0.05")


def money(value: Decimal | float | str) -> Decimal:
    """Round to the cent, half-up (floats go through str so 2.675 stays 2.675)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """What a till prints for `quantity x unit_price`."""
    return money(quantity * unit_price)


def tax_included(gross: Decimal, rate_percent: Decimal | int) -> Decimal:
    """The tax contained in a gross amount (Polish PTU, UK VAT): gross * r / (100 + r)."""
    rate = Decimal(rate_percent)
    return money(gross * rate / (Decimal(100) + rate))


def tax_added(net: Decimal, rate: Decimal | float) -> Decimal:
    """Tax added on top of a net amount (US sales tax, Malaysian GST on net prices)."""
    return money(net * Decimal(str(rate)))


def round_to_5_sen(amount: Decimal) -> Decimal:
    """Malaysian rounding mechanism: the bill is rounded to the nearest 5 sen."""
    return (amount / FIVE_SEN).quantize(Decimal(1), rounding=ROUND_HALF_UP) * FIVE_SEN


def fmt(amount: Decimal, comma: bool = False) -> str:
    """Print an amount with two decimals; Polish receipts use a decimal comma."""
    text = f"{amount:.2f}"
    return text.replace(".", ",") if comma else text


def fmt_qty(quantity: Decimal, comma: bool = False) -> str:
    """Whole quantities print as "2", weighed ones with three decimals ("0,535")."""
    text = f"{quantity:.0f}" if quantity == quantity.to_integral_value() else f"{quantity:.3f}"
    return text.replace(".", ",") if comma else text
