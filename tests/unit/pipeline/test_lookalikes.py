"""Look-alike digits and letters put back by their neighbours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.analysis.lookalikes import restore, restore_words
from receiptq.pipeline.ocr import OcrResult, Word


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("L0T 1851-A", "LOT 1851-A"),
        ("INV0ICE", "INVOICE"),
        ("Inv0ice", "Invoice"),
        ("Peta1ing", "Petaling"),
        ("12O0.5O", "1200.5O"),  # the trailing O has no digit after it: left alone
        ("1-300-80-AE0N", "1-300-80-AEON"),
        ("JIAW!EI", "JIAWIEI"),
        ("7/l18B", "7/118B"),
        ("0ak", "Oak"),
        ("BIk G", "Blk G"),
    ],
)
def test_lookalikes_are_put_back(read, meant):
    assert restore(read) == meant


@pytest.mark.parametrize(
    "text", ["100.00", "U13/X", "7/118B", "S0up 5", "L1T", "SDN BHD", "B0", "SALE!", "AIK", "Ipoh"]
)
def test_what_the_context_does_not_decide_stays(text):
    # a zero between letters of different case, a one between capitals (I or L?), digits
    assert restore(text) == text


@given(st.text(alphabet="0O1lI5SAbcxyz-/ .", max_size=20))
def test_restoring_is_idempotent_and_keeps_the_length(text):
    once = restore(text)
    assert len(once) == len(text)
    assert restore(once) == once


def test_analysis_reads_the_restored_words():
    words = [
        Word("KEDAI", 95, 10, 10, 50, 20), Word("MAJU", 95, 70, 10, 40, 20),
        Word("SDN", 95, 120, 10, 30, 20), Word("BHD", 95, 160, 10, 30, 20),
        Word("L0T", 90, 10, 40, 30, 20), Word("5,", 95, 50, 40, 20, 20),
        Word("JALAN", 95, 80, 40, 50, 20), Word("Peta1ing", 80, 140, 40, 80, 20),
        Word("47400", 95, 230, 40, 50, 20), Word("SELANGOR", 95, 290, 40, 80, 20),
    ]  # fmt: skip
    ocr = OcrResult(words=words, width=400, height=400)
    assert restore_words(ocr).words[4].text == "LOT"
    receipt = analyze(ocr)
    assert receipt.merchant.address is not None
    assert "LOT 5" in receipt.merchant.address and "Petaling" in receipt.merchant.address
    clean = OcrResult(words=[w for w in words if w.text.isalpha()], width=400, height=400)
    assert restore_words(clean) is clean


def test_an_exclamation_mark_after_capitals_is_an_i_when_capitals_follow_on_its_row():
    words = [
        Word("MEDAN", 95, 10, 10, 50, 20, line=1), Word("DAMA!", 80, 70, 10, 50, 20, line=1),
        Word("SG", 95, 130, 10, 20, 20, line=1), Word("SALE!", 90, 10, 40, 50, 20, line=2),
        Word("THANK", 95, 10, 70, 50, 20, line=3), Word("YOU!", 95, 70, 70, 40, 20, line=3),
        Word("12.00", 95, 120, 70, 50, 20, line=3),
    ]  # fmt: skip
    out = [w.text for w in restore_words(OcrResult(words=words, width=400, height=400)).words]
    # the end of a row, or a number after it: an exclamation mark
    assert out == ["MEDAN", "DAMAI", "SG", "SALE!", "THANK", "YOU!", "12.00"]


def test_us_states_and_uk_postcode_areas_are_letters_before_their_codes():
    def row(*texts):
        words = [Word(t, 90, 10 + 60 * i, 10, 50, 20, line=1) for i, t in enumerate(texts)]
        ocr = OcrResult(words=words, width=400, height=400)
        return [w.text for w in restore_words(ocr).words]

    assert row("Denver,", "c0", "80289") == ["Denver,", "CO", "80289"]
    assert row("Columbus,", "0H", "43254") == ["Columbus,", "OH", "43254"]
    assert row("York", "Y01", "9HY") == ["York", "YO1", "9HY"]
    # without the town's comma, or the code after it, nothing says it is a state
    assert row("Denver", "c0", "80289") == ["Denver", "c0", "80289"]
    assert row("Denver,", "c0", "8028") == ["Denver,", "c0", "8028"]
    assert row("BL0", "9HY") == ["BL0", "9HY"]  # a two-letter area's district 0
