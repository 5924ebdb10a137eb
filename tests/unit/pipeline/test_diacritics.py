"""Polish marks put back where OCR lost them, by the word list."""

from __future__ import annotations

import pytest

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.diacritics import restore_polish, restore_row
from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.lexicon import Lexicon

KNOWN = {"długa", "długą", "słoneczna", "zakątek", "młyn", "złoty", "gora", "góra", "polna",
         "niepodległości", "świętokrzyska", "żytni", "chleb", "sklep", "źródlana"}  # fmt: skip


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Dtuga", "Długa"),  # ł read as t; the known "Długą" needs one mark more
        ("ul. Stoneczna 49/4", "ul. Słoneczna 49/4"),
        ("JASNY ZAKATEK", "JASNY ZAKĄTEK"),  # the case of the reading is kept
        ("Złoty Mtyn", "Złoty Młyn"),
        ("al. Niepodlegtosci 18", "al. Niepodległości 18"),
        ("Swietokrzyska", "Świętokrzyska"),
        ("chleb zytni", "chleb żytni"),
        ("ul. Zrédlana 34", "ul. Źródlana 34"),  # é is no Polish letter: Tesseract's ó
    ],
)
def test_lost_marks_are_put_back(read, meant):
    assert restore_polish(read, KNOWN) == meant


@pytest.mark.parametrize("text", ["Zielona Gora", "Polna 96A", "Kawasan Perindustrian", "TOTAL"])
def test_known_and_unknowable_words_stay(text):
    # "Gora" is a known word itself; no marked spelling of the others is known
    assert restore_polish(text, KNOWN) == text


def test_a_known_word_is_marked_when_its_marked_spelling_is_the_common_one():
    # web text: the marked spelling in lower, Title and UPPER case, the slip in one form
    words = ["świeży", "Świeży", "ŚWIEŻY", "swiezy", "gora", "Gora", "góra", "Góra",
             "przeszkoda", "przeszkodą", "Przeszkodą", "PRZESZKODĄ"]  # fmt: skip
    known = Lexicon.from_words(words)
    assert (known.forms("Swiezy"), known.forms("świeży"), known.forms("sklep")) == (1, 3, 0)
    assert restore_polish("SWIEZY Sad", known) == "ŚWIEŻY Sad"
    # equally common: as read; a final ą is a noun's case, both are words
    assert restore_polish("Zielona Gora", known) == "Zielona Gora"
    assert restore_polish("przeszkoda", known) == "przeszkoda"
    # a plain set of words counts no forms: known words stay
    assert restore_polish("SWIEZY", set(words)) == "SWIEZY"


def test_ut_before_a_name_is_the_street_prefix():
    assert restore_row(["Sklep", "nr", "117", "ut.", "Długa", "50A"], KNOWN)[3] == "ul."
    assert restore_row(["ut.", "5"], KNOWN) == ["ut.", "5"]
    # the avenue's prefix with its l read as t, a street's with a comma for its dot
    assert restore_row(["at.", "Polna", "3"], KNOWN)[0] == "al."
    assert restore_row(["Sklep", "nr", "4", "ul,", "Długa", "5"], KNOWN)[3] == "ul."
    assert restore_row(["at.", "5"], KNOWN) == ["at.", "5"]


def test_polish_receipts_are_read_with_their_marks_and_others_are_not_touched():
    polish = """ZŁOTY MTYN SP. Z O.O.
ut. Dtuga 5, 30-619 Kraków
NIP 123-456-78-90
PARAGON FISKALNY
Chleb zytni 1 x4,50 4,50 A
SUMA PLN 4,50"""
    receipt = analyze_lines(lines_from_text(polish), KNOWN)
    assert receipt.language == "pl"
    assert receipt.merchant.name == "ZŁOTY MŁYN SP. Z O.O."
    assert receipt.merchant.address is not None
    assert receipt.merchant.address.startswith("ul. Długa 5")
    assert [i.description for i in receipt.items] == ["Chleb żytni"]
    english = "ZAKATEK TRADING SDN BHD\nNO 5, JALAN DTUGA\nTOTAL 4.50"
    assert "DTUGA" in (analyze_lines(lines_from_text(english), KNOWN).merchant.address or "")


def test_a_place_after_a_postcode_takes_the_marked_spelling_of_a_tie():
    # the list holds the unmarked slip of a place's name as often as the name itself
    words = ["gora", "Gora", "GORA", "góra", "Góra", "GÓRA", "torun", "Torun", "TORUN",
             "toruń", "Toruń", "TORUŃ", "zielona", "Zielona", "ZIELONA"]  # fmt: skip
    known = Lexicon.from_words(words)
    assert restore_row(["87-100", "Torun"], known) == ["87-100", "Toruń"]
    assert restore_row(["ul.", "Polna", "3,", "65-001,", "Zielona", "Gora"], known)[-1] == "Góra"
    # elsewhere a tie stays as read
    assert restore_row(["Zielona", "Gora", "3"], known) == ["Zielona", "Gora", "3"]
    assert restore_row(["Torun", "87-100"], known) == ["Torun", "87-100"]
