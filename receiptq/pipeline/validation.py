"""Validation stage: record what does not add up. Never fatal: a receipt with a missing
date is still worth keeping, and the issues tell the user what to check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from receiptq.receipt import Receipt, Validation, ValidationIssue, to_decimal

TOLERANCE = Decimal("0.05")
#: Charges the receipt shape holds no field for, as shares of the subtotal: a service
#: charge (10 % in Malaysia, 12.5 % in the UK) or a US check's automatic gratuity (15-20 %).
SERVICE_RATES = tuple(Decimal(r) for r in ("0.10", "0.125", "0.15", "0.18", "0.20"))


def _with_service_charge(subtotal: Decimal, tax: Decimal, total: Decimal) -> bool:
    """Whether ``total`` is ``subtotal`` + ``tax`` + a charge at one of SERVICE_RATES."""
    cent = Decimal("0.01")
    return any(
        abs(subtotal + tax + (subtotal * rate).quantize(cent) - total) <= cent
        for rate in SERVICE_RATES
    )


def validate(receipt: Receipt, today: dt.date | None = None) -> Validation:
    today = today or dt.date.today()
    issues: list[ValidationIssue] = []
    total = to_decimal(receipt.total)
    if total is None:
        issues.append(ValidationIssue(code="total_missing", message="No total was found."))
    elif total < 0:
        issues.append(
            ValidationIssue(code="total_negative", message=f"The total {total} is negative.")
        )

    if receipt.date is None:
        issues.append(ValidationIssue(code="date_missing", message="No date was found."))
    else:
        try:
            date = dt.date.fromisoformat(receipt.date)
        except ValueError:
            issues.append(
                ValidationIssue(code="date_invalid", message=f"The date {receipt.date} is invalid.")
            )
        else:
            if date > today + dt.timedelta(days=1):
                issues.append(
                    ValidationIssue(
                        code="date_in_future",
                        message=f"The date {receipt.date} is in the future.",
                    )
                )

    item_totals = [to_decimal(item.total_price) for item in receipt.items]
    prices = [v for v in item_totals if v is not None]
    if total is not None and item_totals and len(prices) == len(item_totals):
        items_sum = sum(prices, Decimal(0))
        subtotal = to_decimal(receipt.subtotal)
        tax_or_zero = to_decimal(receipt.tax) or Decimal(0)
        targets = [total, total - tax_or_zero] + ([subtotal] if subtotal is not None else [])
        if all(abs(items_sum - t) > TOLERANCE for t in targets):
            issues.append(
                ValidationIssue(
                    code="items_total_mismatch",
                    message=f"The items add up to {items_sum}, but the total is {total}.",
                )
            )

    subtotal = to_decimal(receipt.subtotal)
    tax = to_decimal(receipt.tax)
    if (
        total is not None
        and subtotal is not None
        and tax is not None
        and abs(subtotal + tax - total) > TOLERANCE
        and abs(subtotal - total) > TOLERANCE
        and not _with_service_charge(subtotal, tax, total)
    ):
        issues.append(
            ValidationIssue(
                code="subtotal_tax_mismatch",
                message=f"Subtotal {subtotal} plus tax {tax} is not the total {total}.",
            )
        )
    return Validation(valid=not issues, issues=issues)
