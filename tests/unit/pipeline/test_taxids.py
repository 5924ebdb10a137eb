"""Tax and registry numbers by their check digits: NIP, REGON, UK and German VAT numbers."""

from __future__ import annotations

import random

import numpy as np
import pytest

from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.analysis.taxids import (
    LOOKALIKE_DIGITS,
    NIP_WEIGHTS,
    de_vat_valid,
    find_nip,
    find_tax_id,
    gb_vat_valid,
    nip_valid,
    regon_valid,
    repair_nip,
)
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.recognize import Reading
from receiptq.pipeline.taxrow import reread_nip
from receiptq.samples.layout_pl import random_nip


def test_nip_check_digit():
    """A valid NIP passes with or without separators; any one digit changed fails (the
    weights are all below 11, so a one-digit change always moves the remainder)."""
    assert nip_valid("123-456-32-18")
    assert nip_valid("PL 1234563218")
    for i in range(10):
        for d in "0123456789":
            changed = "1234563218"[:i] + d + "1234563218"[i + 1 :]
            assert nip_valid(changed) == (changed == "1234563218")
    assert not nip_valid("123456321")  # nine digits


def test_a_remainder_of_ten_is_never_a_nip():
    def remainder(body: str) -> int:
        return sum(int(d) * w for d, w in zip(body, NIP_WEIGHTS, strict=True)) % 11

    body = next(b for b in (f"{n:09d}" for n in range(10**6, 10**6 + 200)) if remainder(b) == 10)
    assert not any(nip_valid(body + d) for d in "0123456789")


def test_regon_nine_and_fourteen_digits():
    assert regon_valid("123456785")
    assert not regon_valid("123456784")
    assert regon_valid("12345678512347")  # a local unit: its own check digit, and its firm's
    assert not regon_valid("12345678412347")


def test_other_countries_vat_numbers():
    assert gb_vat_valid("GB 980 7806 84")
    assert not gb_vat_valid("GB 980 7806 85")
    assert de_vat_valid("DE 136 695 976")
    assert not de_vat_valid("DE 136 695 977")


def test_generated_nips_are_valid():
    rng = random.Random(3)
    assert all(nip_valid(random_nip(rng)) for _ in range(200))


def test_repair_takes_the_one_lookalike_fix_or_none():
    """A repair is never a wrong number: it is the one valid NIP a look-alike digit away,
    or nothing when there are several (on generated NIPs with one look-alike misread)."""
    rng = random.Random(5)
    repaired = 0
    for _ in range(500):
        nip = random_nip(rng)
        i = rng.randrange(10)
        bad = nip[:i] + rng.choice(LOOKALIKE_DIGITS[nip[i]]) + nip[i + 1 :]
        fixed = repair_nip(bad)
        assert fixed in (nip, None) or nip_valid(fixed)
        repaired += fixed == nip
    assert repaired > 0
    assert repair_nip("1234563218") == "1234563218"


def test_find_nip_prefers_a_valid_labelled_one():
    rows = ["NIP 123-456-32-19", "NIP: 123-456-32-18", "NIP nabywcy 526-10-37-737"]
    assert find_nip(rows) == ("1234563218", True)
    assert find_nip(["NIP 123-456-32-19"]) == ("1234563219", False)  # as read
    assert find_nip(["526-10-37-737 kasa 3"]) == ("5261037737", True)  # groups, no label
    assert find_nip(["tel. 123-456-321"]) == (None, False)  # not its printed groups
    assert find_nip(["N1P 1234563218"]) == ("1234563218", True)


def test_find_tax_id_falls_back_to_gst_and_uk_vat():
    assert find_tax_id(["GST ID: 001234567890"]) == "001234567890"
    assert find_tax_id(["VAT No. GB 980 7806 84"]) == "GB980780684"
    assert find_tax_id(["VAT No. 980 7806 85"]) is None


class Readers:
    """Stand-ins for the engines that return fixed readings of a row."""

    alphabet = frozenset("0123456789-NIP: ")

    def __init__(self, line_model: str, tesseract: str) -> None:
        self.line_model, self.tesseract = line_model, tesseract

    def read(self, crops, psm: int = 4):
        if isinstance(crops, list):  # the line model: one reading a crop
            return [Reading(self.line_model, 0.99) for _ in crops]
        return OcrResult(words=[], width=1, height=1, text=self.tesseract)


@pytest.mark.parametrize(
    ("page", "line_model", "tesseract", "want"),
    [
        ("NIP 123-456-32-19", "NIP 123-456-32-18", "NIP 123-456-32-19", "1234563218"),
        ("NIP 123-456-32-19", "NIP 123-456-32-19", "NIP 123-456-32-18", "1234563218"),
        # none valid, but one look-alike digit (9 for 8) makes every reading valid alike
        ("NIP 123-456-32-19", "NIP 123-456-32-19", "NIP 123-456-32-19", "1234563218"),
        ("NIP 123-456-32-17", "NIP 123-456-32-17", "NIP 123-456-32-17", None),  # no guess
    ],
)
def test_the_nip_row_read_again(page, line_model, tesseract, want):
    """The page's reading of the row (``page``) fails its check digit; the row read again
    by the line model or by Tesseract as one line gives the valid NIP."""
    rows = lines_from_text(f"SKLEP Sp. z o.o.\n{page}\n2024-01-02")
    image = np.full((200, 400), 255, np.uint8)
    readers = Readers(line_model, tesseract)
    assert reread_nip(image, rows, readers, readers) == want
