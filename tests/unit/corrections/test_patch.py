"""The PATCH body: what it accepts, what it changes, what it records."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from receiptq.corrections.patch import ReceiptPatch, apply
from receiptq.corrections.shops import address_key, phone_key, shop_keys, tax_id_key

STORED = {
    "merchant": {"name": "CORNER GR0CER", "address": "12 High St", "tax_id": None, "phone": None},
    "date": "2024-03-14",
    "total": "3.60",
    "items": [
        {"description": "MILK", "total_price": "1.45", "category": None, "region": {"page": 0}},
        {"description": "BREAD", "total_price": "1.20", "category": "bakery"},
    ],
    "confidence": {"ocr": 0.9, "fields": {"total": 0.7}},
    "regions": {"total": {"page": 0, "box": [1, 2, 3, 4]}},
}


def test_changed_fields_are_recorded_and_marked_certain():
    patch = ReceiptPatch.model_validate(
        {"total": 3.7, "merchant": {"name": "Corner Grocer"}, "items": {"0": {"category": "dairy"}}}
    )
    new, changes = apply(STORED, patch)
    assert sorted(changes) == [
        ("items[0].category", None, "dairy"),
        ("merchant.name", "CORNER GR0CER", "Corner Grocer"),
        ("total", "3.60", "3.70"),
    ]
    assert new["confidence"]["fields"] == {"total": 1.0, "merchant.name": 1.0,
                                           "items[0].category": 1.0}  # fmt: skip
    assert new["confidence"]["sources"]["total"] == "corrected"
    # What the model of this process does not know is kept; the stored dict is untouched.
    assert new["regions"] == STORED["regions"]
    assert new["items"][0]["region"] == {"page": 0}
    assert STORED["total"] == "3.60"


def test_an_equal_value_is_no_change_and_null_clears():
    new, changes = apply(STORED, ReceiptPatch.model_validate({"total": "3.6", "date": None}))
    assert changes == [("date", "2024-03-14", None)]
    assert new["date"] is None


def test_a_list_replaces_the_items():
    patch = ReceiptPatch.model_validate({"items": [{"description": "TEA", "total_price": "2"}]})
    new, changes = apply(STORED, patch)
    assert [item["total_price"] for item in new["items"]] == ["2.00"]
    assert changes[0][0] == "items"


def test_an_unknown_index_raises():
    with pytest.raises(IndexError):
        apply(STORED, ReceiptPatch.model_validate({"items": {"5": {"category": "dairy"}}}))


@pytest.mark.parametrize(
    "body",
    [{}, {"total": "abc"}, {"total": "NaN"}, {"date": "14/03/2024"}, {"currency": "zł"},
     {"items": {"0": {"category": "toys"}}}, {"merchant": {"nickname": "x"}}, {"items": None}],
)  # fmt: skip
def test_bad_bodies_are_refused(body):
    with pytest.raises(ValidationError):
        ReceiptPatch.model_validate(body)


def test_shop_keys_ignore_printing_differences():
    assert tax_id_key("781-100-20-30") == tax_id_key("7811002030") == "7811002030"
    assert phone_key("+48 61 855 12 34") == phone_key("061 855-12-34")
    assert address_key("ul. Polna 8, 60-535 Poznań") == address_key("UL POLNA 8 60 535 POZNAN")
    assert address_key("Main St") is None  # too short to name one shop
    assert shop_keys({"tax_id": None, "phone": "12", "address": None}) == []
