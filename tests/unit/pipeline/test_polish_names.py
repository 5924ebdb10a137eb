"""A Polish shop's name: its legal form as OCR misreads it, a chain's name from its NIP."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.analysis.polish_names import chain_name, chains, normalize_polish_forms
from receiptq.pipeline.analysis.taxids import nip_valid


@pytest.mark.parametrize(
    ("read", "want"),
    [
        ("ZIP Sp, Z 0,0", "ZIP Sp. z o.o."),
        ("DECATHLON Sp. 2 0.0.", "DECATHLON Sp. z o.o."),
        ("Lid] sp. z*0:0. sp. ks.", "Lid] sp. z o.o. sp. k."),
        ("Big Star Limited Spółka z 0.0.", "Big Star Limited Spółka z o.o."),
        ("SKLEP SP. Z O.O.", "SKLEP SP. Z O.O."),
        ("SPORT 2000 SP 2", "SPORT 2000 SP 2"),  # no form: left alone
        ("Jasny Kosz Sp. 0.0.", "Jasny Kosz Sp. z o.o."),  # the z lost (a row of its own)
        ("DYSK SP 0.00", "DYSK SP 0.00"),  # an amount, no form
        ("JASNY RYNEK POLSKA S_ a.", "JASNY RYNEK POLSKA S.A."),  # S.A. misread at a row's end
        ("Dysk S. A", "Dysk S.A."),
        ("S.A. RYNEK", "S.A. RYNEK"),  # opening the row: left as read
    ],
)
def test_legal_forms_put_back(read, want):
    assert normalize_polish_forms(read) == want


def test_every_chain_has_a_valid_nip_and_a_public_source():
    path = resources.files("receiptq") / "data" / "chains_pl.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and len(rows) == len(chains())
    for row in rows:
        assert nip_valid(row["nip"]), row
        assert row["source"].startswith("https://"), row


def test_a_chains_name_only_over_a_logo_or_a_misreading_of_it():
    nip, name = next(iter(chains().items()))
    assert chain_name(nip, "4\\- 306 D From", has_form=False) == name  # a logo's noise
    assert chain_name(nip, None, has_form=False) == name
    misread = name.replace("o.o.", "0.0,")[:-1] + "s."
    assert chain_name(nip, misread, has_form=True) == name
    assert chain_name(nip, "PIEKARNIA ZŁOTY KŁOS Sp. z o.o.", has_form=True) is None
    assert chain_name("1234563218", "exampletext", has_form=False) is None  # no such chain


def test_a_receipt_whose_name_is_a_logo():
    nip, name = next(iter(chains().items()))
    text = f"~~ ## ~~\nul. Długa 5\n30-001 Kraków\nNIP {nip}\n2024-03-05\nSUMA PLN 3,00\n"
    assert analyze_lines(lines_from_text(text)).merchant.name == name
