from __future__ import annotations

import datetime as dt

from receiptq.pipeline.validation import validate
from receiptq.receipt import Item, Receipt

TODAY = dt.date(2026, 1, 10)


def codes(receipt: Receipt) -> list[str]:
    return [issue.code for issue in validate(receipt, today=TODAY).issues]


def test_consistent_receipt_is_valid():
    receipt = Receipt(
        date="2026-01-09", total="3.50",
        items=[Item(description="MILK", total_price="1.50"),
               Item(description="BREAD", total_price="2.00")],
    )  # fmt: skip
    result = validate(receipt, today=TODAY)
    assert result.valid and result.issues == []


def test_missing_total_and_date_are_recorded():
    assert codes(Receipt()) == ["total_missing", "date_missing"]


def test_future_date_is_flagged():
    assert codes(Receipt(total="1.00", date="2026-02-01")) == ["date_in_future"]


def test_items_that_do_not_add_up_are_flagged_with_both_figures():
    receipt = Receipt(
        date="2026-01-01", total="10.00",
        items=[Item(description="A", total_price="2.00"),
               Item(description="B", total_price="3.00")],
    )  # fmt: skip
    (issue,) = validate(receipt, today=TODAY).issues
    assert issue.code == "items_total_mismatch"
    assert "5.00" in issue.message and "10.00" in issue.message


def test_items_may_add_up_to_total_before_tax():
    receipt = Receipt(
        date="2026-01-01", total="10.60", tax="0.60",
        items=[Item(description="A", total_price="10.00")],
    )  # fmt: skip
    assert codes(receipt) == []


def test_subtotal_plus_tax_must_be_total():
    # (12.00 and 12.50 would be 10.00 + 1.00 + a 10 % or 15 % service charge: below)
    receipt = Receipt(date="2026-01-01", total="12.30", subtotal="10.00", tax="1.00")
    assert codes(receipt) == ["subtotal_tax_mismatch"]


def test_a_service_charge_or_gratuity_at_a_usual_rate_explains_the_total():
    # 18 % of 54.30 is 9.77: subtotal, tax and an automatic gratuity
    gratuity = Receipt(date="2026-01-01", total="67.46", subtotal="54.30", tax="3.39")
    assert codes(gratuity) == []
    # a UK restaurant's 12.5 % service charge: 12.5 % of 40.00 is 5.00
    service = Receipt(date="2026-01-01", total="53.00", subtotal="40.00", tax="8.00")
    assert codes(service) == []
    # a charge at no usual rate is still a mismatch
    odd = Receipt(date="2026-01-01", total="66.46", subtotal="54.30", tax="3.39")
    assert codes(odd) == ["subtotal_tax_mismatch"]
