"""Choosing between two readings of the same receipt."""

from __future__ import annotations

from receiptq.pipeline.analysis.layout import page_layout
from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.reread import merge_readings, needs_second_pass, unpriced_summary
from receiptq.receipt import Confidence, Merchant, Receipt


def reading(name, address, date, total, conf):
    return Receipt(
        merchant=Merchant(name=name, address=address),
        date=date,
        total=total,
        confidence=Confidence(
            fields={
                "merchant.name": conf[0],
                "merchant.address": conf[1],
                "date": conf[2],
                "total": conf[3],
            }
        ),
    )


def test_second_pass_only_when_a_key_field_is_weak():
    assert not needs_second_pass(reading("A", "B", "2024-05-12", "1.00", (0.8, 0.7, 0.9, 0.9)))
    assert needs_second_pass(reading("A", "B", "2024-05-12", "1.00", (0.8, 0.7, 0.9, 0.3)))
    assert needs_second_pass(Receipt())


def test_a_name_without_a_legal_form_read_surely_is_not_weak():
    # an unlabelled name scores 0.4 x its rows' OCR confidence (merchant.py)
    assert not needs_second_pass(reading("A", "B", "2024-05-12", "1.00", (0.4, 0.7, 0.9, 0.9)))
    assert needs_second_pass(reading("A", "B", "2024-05-12", "1.00", (0.38, 0.7, 0.9, 0.9)))
    assert not needs_second_pass(reading("A", "B", "2024-05-12", "1.00", (0.8, 0.45, 0.9, 0.9)))


def test_merge_takes_each_field_from_the_more_confident_reading():
    first = reading("MAJU SON 8HD", "JALAN 1", "2024-05-12", "9.60", (0.3, 0.7, 0.9, 0.4))
    second = reading("MAJU SDN BHD", "JALAU 1", "2024-05-21", "9.00", (0.8, 0.5, 0.6, 0.7))
    merged = merge_readings(first, second)
    assert merged.merchant.name == "MAJU SDN BHD"
    assert merged.merchant.address == "JALAN 1"
    assert merged.date == "2024-05-12"
    assert merged.total == "9.00"
    assert merged.confidence.fields["total"] == 0.7
    assert first.total == "9.60"  # inputs are not modified


def test_about_as_confident_readings_are_settled_by_the_word_list():
    known = {"plaza", "cempaka", "damansara", "heights", "kuala", "lumpur"}
    first = reading("X", "Plaza Cempaka, Damansara Heights", None, None, (0.9, 0.70, 0, 0))
    second = reading("X", "Plaza Cempaka, Darnansara Heights", None, None, (0.9, 0.74, 0, 0))
    assert merge_readings(first, second).merchant.address == second.merchant.address
    merged = merge_readings(first, second, known=known)
    assert merged.merchant.address == "Plaza Cempaka, Damansara Heights"
    assert merged.confidence.fields["merchant.address"] == 0.70
    # far more confident, the second reading wins whatever the list says
    much = reading("X", "Plaza Cempaka, Darnansara Heights", None, None, (0.9, 0.95, 0, 0))
    assert merge_readings(first, much, known=known).merchant.address == much.merchant.address


def test_about_as_confident_addresses_go_to_the_fuller_reading():
    short = reading("X", "SELANGOR DARUL EHSAN", None, None, (0.9, 0.47, 0, 0))
    full = reading("X", "NO.7, JALAN SS9/3, SELANGOR DARUL EHSAN", None, None, (0.9, 0.39, 0, 0))
    assert merge_readings(short, full).merchant.address == full.merchant.address
    assert merge_readings(full, short).merchant.address == full.merchant.address
    # names are not: the longer one is often the name with noise read beside it
    named = reading("h Yam Fresh", None, None, None, (0.40, 0, 0, 0))
    plain = reading("Yam Fresh", None, None, None, (0.45, 0, 0, 0))
    assert merge_readings(plain, named).merchant.name == "Yam Fresh"
    # less confident by more than CLOSE but within FULLER_CLOSE, it still wins: the rows
    # it adds are the faint ones that pulled its confidence down
    fuller = reading("X", full.merchant.address, None, None, (0.9, 0.35, 0, 0))
    assert merge_readings(short, fuller).merchant.address == fuller.merchant.address
    # far less confident, the fuller address does not win
    weak = reading("X", "NO.7, JALAN SS9/3, SELANGOR DARUL EHSAN", None, None, (0.9, 0.2, 0, 0))
    assert merge_readings(short, weak).merchant.address == short.merchant.address


def _layout(text: str):
    return page_layout(lines_from_text(text), restore=False)


def test_a_summary_label_with_no_amount_says_the_price_column_was_dropped():
    shop = "CORNER GROCERY\n12 Oak St\nOAT BISCUITS 3.10\nLEMONADE 2L 5.00\n"
    assert unpriced_summary(_layout(shop + "SUBTOTAL\nTAX 8.000%\nTHANK YOU\n"))
    # every amount dropped: the summary's labels are all that is left
    bare = "CORNER GROCERY\n12 Oak St\nOAT BISCUITS\nLEMONADE 2L\n"
    bare += "SUBTOTAL\nTAX 8.25%\nTOTAL\nVISA\n"
    assert unpriced_summary(_layout(bare))
    assert not unpriced_summary(_layout(shop + "SUBTOTAL 8.10\nTAX 0.65\nTOTAL 8.75\n"))
    # an amount on the row under its label is that label's (a two-row summary)
    assert not unpriced_summary(_layout(shop + "TOTAL\n8.75\n"))
    # the header's "TAX INVOICE" and a total's label with its amount are no sign of it
    assert not unpriced_summary(_layout("CORNER GROCERY\nTAX INVOICE\nOAT 3.10\nTOTAL 3.10\n"))
