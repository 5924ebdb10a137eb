"""Every generated receipt must add up exactly: the ground truth is only useful if it is right."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from receiptq.pipeline.analysis.taxids import nip_valid
from receiptq.receipt import CATEGORIES
from receiptq.samples.catalog import PTU_RATES
from receiptq.samples.compose import fit_lines
from receiptq.samples.generate import LAYOUTS
from receiptq.samples.money import fmt, money, round_to_5_sen, tax_included

SEEDS = range(200)


def _d(value: str) -> Decimal:
    return Decimal(value)


def _items_sum(receipt: dict) -> Decimal:
    return sum((_d(i["total_price"]) for i in receipt["items"]), Decimal(0))


def _check_items(receipt: dict) -> None:
    assert receipt["items"], "a receipt without items"
    previous = None
    for item in receipt["items"]:
        assert item["category"] in CATEGORIES
        assert _d(item["total_price"]) == money(_d(item["quantity"]) * _d(item["unit_price"]))
        if _d(item["total_price"]) < 0:  # a discount: under its item, less than the item
            assert previous is not None and item["description"].startswith("Rabat ")
            assert item["description"] == f"Rabat {previous['description']}"
            assert _d(previous["total_price"]) + _d(item["total_price"]) > 0
        else:
            assert _d(item["total_price"]) > 0
        previous = item


def _printed_amounts(draft) -> list[str]:
    return [line.right for line in draft.lines if line.right]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_receipt_adds_up(layout: str) -> None:
    for seed in SEEDS:
        draft = LAYOUTS[layout](random.Random(f"{layout}:{seed}"))
        r = draft.receipt
        _check_items(r)
        total, tax, items = _d(r["total"]), _d(r["tax"]), _items_sum(r)
        comma = r["language"] == "pl"
        # The total the ground truth claims is printed on the receipt.
        assert any(a.lstrip("£$").startswith(fmt(total, comma)) for a in _printed_amounts(draft))
        if layout in ("pl_fiscal", "pl_chain"):
            assert items == total and r["subtotal"] is None
            ptu = draft.extras["ptu"]
            for row in ptu:
                gross = sum(
                    (
                        _d(i["total_price"])
                        for i, letter in zip(r["items"], draft.extras["item_ptu"], strict=True)
                        if letter == row["letter"]
                    ),
                    Decimal(0),
                )
                assert _d(row["gross"]) == gross
                assert row["rate"] == PTU_RATES[row["letter"]]
                assert _d(row["tax"]) == tax_included(gross, row["rate"])
            assert sum((_d(row["gross"]) for row in ptu), Decimal(0)) == total
            assert sum((_d(row["tax"]) for row in ptu), Decimal(0)) == tax
        elif layout == "my_sdnbhd":
            subtotal = _d(r["subtotal"])
            taxable = _d(draft.extras["taxable_net"])
            assert subtotal == items
            assert tax == money(taxable * Decimal("0.06"))
            assert total == round_to_5_sen(subtotal + tax)
            assert total % Decimal("0.05") == 0
            assert total - (subtotal + tax) == _d(draft.extras["rounding_adjustment"])
            assert abs(_d(draft.extras["rounding_adjustment"])) <= Decimal("0.02")
        elif layout == "uk_till":
            assert items == total == _d(r["subtotal"])
            assert tax == tax_included(_d(draft.extras["vat_standard_gross"]), 20)
        elif layout == "us_till":
            taxable = _d(draft.extras["taxable_subtotal"])
            assert items == _d(r["subtotal"])
            assert tax == money(taxable * Decimal(draft.extras["tax_rate"]))
            assert total == items + tax
        elif layout == "us_restaurant":
            gratuity = _d(draft.extras["gratuity"])
            assert items == _d(r["subtotal"])
            assert tax == money(items * Decimal(draft.extras["tax_rate"]))
            assert gratuity in (Decimal(0), money(items * Decimal("0.18")))
            assert total == items + tax + gratuity


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_passes_project_validation(layout: str) -> None:
    """The pipeline's own validator finds nothing wrong with a generated receipt."""
    validation = pytest.importorskip("receiptq.pipeline.validation")
    receipt_mod = pytest.importorskip("receiptq.receipt")
    for seed in range(40):
        draft = LAYOUTS[layout](random.Random(seed))
        receipt = receipt_mod.Receipt.model_validate(draft.receipt)
        result = validation.validate(receipt, today=dt.date(2025, 7, 1))
        assert result.valid, result.issues


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_nothing_printed_is_cut_off(layout: str) -> None:
    for seed in range(50):
        draft = LAYOUTS[layout](random.Random(seed))
        for line in fit_lines(draft.lines, draft.cols):
            used = len(line.left) + (len(line.right) + 1 if line.right else 0)
            assert used * line.scale <= draft.cols or used <= draft.cols, line


def test_cash_change_is_never_negative() -> None:
    for layout, build in LAYOUTS.items():
        for seed in range(100):
            draft = build(random.Random(seed))
            if draft.receipt["payment_method"] != "cash":
                continue
            amounts = [a.lstrip("£$").replace(",", ".") for a in _printed_amounts(draft)]
            assert all(not a.startswith("-") for a in amounts[-3:]), (layout, seed)


def test_chain_receipts_print_discounts_as_negative_lines() -> None:
    discounts = 0
    for seed in range(60):
        draft = LAYOUTS["pl_chain"](random.Random(seed))
        negatives = [i for i in draft.receipt["items"] if _d(i["total_price"]) < 0]
        printed = [line.right for line in draft.lines if line.right.startswith("-")]
        assert len(printed) == len(negatives)
        letters = [lt for lt, i in zip(draft.extras["item_ptu"], draft.receipt["items"],
                                       strict=True) if _d(i["total_price"]) < 0]  # fmt: skip
        for item, right, letter in zip(negatives, printed, letters, strict=True):
            assert right == fmt(_d(item["total_price"]), comma=True) + letter
        discounts += len(negatives)
    assert discounts > 20  # about one item in five


@pytest.mark.parametrize("layout", ["pl_fiscal", "pl_chain"])
def test_polish_nips_pass_the_check_digit(layout: str) -> None:
    for seed in range(50):
        nip = LAYOUTS[layout](random.Random(seed)).receipt["merchant"]["tax_id"]
        assert nip_valid(nip), nip
