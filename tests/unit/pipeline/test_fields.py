"""The field model: labels from keys, candidate features, the block of rows chosen, training
and the shipped model's choice on a plain receipt."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.layout import page_layout
from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.fields.features import (
    AMOUNT_FEATURES,
    ROW_FEATURES,
    RulePicks,
    amount_candidates,
    date_candidates,
    row_features,
)
from receiptq.pipeline.fields.model import FieldModel, block, field_model
from receiptq.pipeline.fields.training import (
    add_receipt,
    covered,
    key_date,
    key_total,
    new_samples,
    row_labels,
    train,
)

RECEIPT = """\
KEDAI RUNCIT MAJU JAYA SDN BHD (123456-A)
NO 12, JALAN MAWAR 3,
TAMAN BUNGA, 43000 KAJANG
TEL: 03-8734 1234
DATE: 14/03/2019  10:21
TEA                 3.50
BREAD               4.18
SUBTOTAL            7.68
ROUNDING           -0.03
TOTAL               7.65
CASH               10.00
CHANGE              2.35
"""


def test_a_name_row_with_its_registration_number_is_the_names():
    lines = lines_from_text(RECEIPT)
    name, address = row_labels(
        lines, "KEDAI RUNCIT MAJU JAYA SDN BHD", "NO 12, JALAN MAWAR 3, TAMAN BUNGA, 43000 KAJANG"
    )
    assert name[:4] == [1, 0, 0, 0]
    assert address[:4] == [0, 1, 1, 0]
    assert sum(name) == 1 and sum(address) == 2


def test_covered_counts_characters_found_in_order():
    assert covered("ABC", "XXABCXX") == 1.0
    assert covered("ABCD", "ABXX") == 0.5
    assert covered("", "ABC") == 0.0


def test_keys_parse_like_the_scorer():
    assert key_total("RM1,234.50") == Decimal("1234.50")
    assert key_total("7,65") == Decimal("7.65")
    assert key_date("25/12/2018").isoformat() == "2018-12-25"
    assert key_date("2018-12-25").isoformat() == "2018-12-25"


def test_amount_features_see_cash_rounding_and_change():
    lines = lines_from_text(RECEIPT)
    cands = amount_candidates(
        lines, item_sum=Decimal("7.68"), rules=RulePicks(total=Decimal("7.65"))
    )
    by_value = {}
    for c in cands:
        by_value.setdefault(c.amount.value, dict(zip(AMOUNT_FEATURES, c.features, strict=True)))
    total, subtotal = by_value[Decimal("7.65")], by_value[Decimal("7.68")]
    assert total["cash_minus_change"] == 1.0 and subtotal["cash_minus_change"] == 0.0
    assert total["five_cents"] == 1.0 and subtotal["five_cents"] == 0.0
    assert subtotal["sum_of_items"] == 1.0
    assert total["near_twin"] == 1.0 and by_value[Decimal("10.00")]["near_twin"] == 0.0
    assert total["rules_total"] == 1.0 and subtotal["rules_total"] == 0.0


def test_row_features_have_one_row_per_header_line():
    lines = lines_from_text(RECEIPT)
    rows = row_features(lines)
    assert rows.shape == (len(lines), len(ROW_FEATURES))
    named = dict(zip(ROW_FEATURES, rows[0], strict=True))
    assert named["legal"] == 1.0 and named["reg_paren"] == 1.0
    assert dict(zip(ROW_FEATURES, rows[2], strict=True))["postcode"] == 1.0


def test_dates_are_candidates_in_the_receipts_order():
    lines = lines_from_text("DATE: 04/05/2019\nTOTAL 5.00")
    assert [c.date.isoformat() for c in date_candidates(lines, month_first=False)] == ["2019-05-04"]
    assert [c.date.isoformat() for c in date_candidates(lines, month_first=True)] == ["2019-04-05"]


@pytest.mark.parametrize(
    "p, rows",
    [
        ([0.1, 0.9, 0.6, 0.2], [1, 2]),
        ([0.1, 0.9, 0.2, 0.8], [1]),
        ([0.4, 0.9, 0.4, 0.9], [1, 2, 3]),
        ([0.2, 0.3], []),
        ([], []),
    ],
)
def test_block_grows_from_the_likeliest_row(p, rows):
    assert block(np.asarray(p, dtype=float), max_rows=3) == rows


def _receipt(shop: str, total: str, change: str) -> tuple[str, dict]:
    cash = Decimal(total) + Decimal(change)
    text = (
        f"{shop} SDN BHD (99{len(shop)}-X)\nNO 1, JALAN {shop[:4]} 2,\n47000 SHAH ALAM\n"
        f"DATE: 0{len(shop) % 9 + 1}/01/2019\nITEM A 1.00\nTOTAL {total}\n"
        f"CASH {cash}\nCHANGE {change}\n"
    )
    key = {"company": f"{shop} SDN BHD", "address": f"NO 1, JALAN {shop[:4]} 2, 47000 SHAH ALAM",
           "date": f"0{len(shop) % 9 + 1}/01/2019", "total": total}  # fmt: skip
    return text, key


def test_a_model_trained_on_some_shops_reads_another():
    samples = new_samples()
    shops = ["ALPHA", "BRAVO MART", "CHARLIE", "DELTA FOOD", "ECHO", "FOXTROT STORE", "GOLF",
             "HOTEL BAKERY", "INDIA", "JULIET", "KILO MART", "LIMA"]  # fmt: skip
    for i, shop in enumerate(shops):
        text, key = _receipt(shop, f"{10 + i}.{i:02d}", f"{i % 5}.00")
        add_receipt(samples, shop, page_layout(lines_from_text(text), set()), key)
    model = FieldModel({k: b for k, s in samples.items() if (b := train(s, set(shops)))})
    text, key = _receipt("ZULU TRADERS", "42.10", "7.90")
    receipt = analyze_lines(lines_from_text(text), set(), model=model)
    assert receipt.merchant.name == "ZULU TRADERS SDN BHD"
    assert receipt.total == "42.10"
    assert receipt.merchant.address.replace(",", "") == "NO 1 JALAN ZULU 2 47000 SHAH ALAM"


def test_the_shipped_model_reads_a_plain_receipt():
    model = field_model()
    assert model is not None and set(model.boosters) == {"company", "address", "total", "date"}
    receipt = analyze_lines(lines_from_text(RECEIPT), set(), model=model)
    assert receipt.merchant.name == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert receipt.total == "7.65"
    assert receipt.date == "2019-03-14"


def test_the_setting_decides_whether_the_pipeline_has_the_model():
    from receiptq.config import Settings
    from receiptq.pipeline.run import Pipeline

    assert Pipeline.from_settings(Settings()).fields is None
    assert Pipeline.from_settings(Settings(field_model=True)).fields is field_model()
