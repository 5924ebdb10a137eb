"""A Polish paragon's sales, discounts and rate block, read as fiscal printers print them."""

from __future__ import annotations

from decimal import Decimal

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.lines import lines_from_text
from receiptq.pipeline.analysis.paragon import (
    choose_values,
    is_paragon_summary,
    parse_discount,
    parse_sale,
    read_sales,
    row_value,
)

D = Decimal


def test_a_sale_row_and_its_ocr_slips():
    """The times sign read as "*", "«", "%" or "+", a space after the comma, and the rate
    letter read as a digit."""
    s = parse_sale("MASŁO EX POLS 200G.D 2 x5,99 11,98C")
    assert (s.name, s.quantity, s.unit, s.values, s.rate) == (
        "MASŁO EX POLS 200G.D",
        D(2),
        D("5.99"),
        [D("11.98")],
        "C",
    )
    assert parse_sale("KUKR ZLOC 425 ML B 2 x4,29 8, 58B").values == [D("8.58")]
    assert parse_sale("DANONKI GR/BR 4X90 1 x5,89 5,890").values == [D("5.89")]
    assert parse_sale("BABYDREAM 2 MINI 1 «19,99 19,998").values == [D("19.99")]
    assert parse_sale("PRZYPRAWA TYMIANEK X 3% 0,99 2,97 A").values == [D("2.97")]
    assert parse_sale("CEBULA LUZ 1,492 x3,99 5,95C").quantity == D("1.492")


def test_value_and_quantity_times_price_disagreeing_are_both_kept():
    s = parse_sale("ŻUREK 1,00x8,90 6,90 B")
    assert s.values == [D("6.90"), D("8.90")]


def test_the_numbers_row_under_its_name():
    sales = read_sales(["WAWEL KRÓWKA X", "0,09 * 19,90 1,79 A"])
    assert [(s.name, s.values) for s in sales] == [("WAWEL KRÓWKA X", [D("1.79")])]


def test_discounts_are_negative_lines_and_included_ones_are_not():
    assert parse_discount("Rabat 12 ZA 15,48ZL -3,60A").values == [D("-3.60")]
    assert parse_discount("Obniżka -1,00 A").values == [D("-1.00")]
    assert parse_discount("Uwzgl. rabat: -3,00 st. c 13,99") is None
    sales = read_sales(
        ["BLUZA 1 x249,99 249,99A", "Rabat -90,00", "159,99A", "SKARPETY 2 x5,00 10,00A"]
    )
    assert [s.values[0] for s in sales] == [D("249.99"), D("-90.00"), D("10.00")]


def test_the_rate_block_ends_the_sales():
    rows = (
        "SPRZEDAŻ OPODATKOWANA A 155,62",
        "PTU A 23,00 % 29,10",
        "SUMA PLN 400,83",
        "| Sprzedaż opodatk. D 16,88",
        "przedaż opodatk. B 10,49",
        "Sp. Op. B 27,76 PIU 8x 2,05",
    )
    for row in rows:
        assert is_paragon_summary(row), row
    assert not is_paragon_summary("DROŻDŻE INSTANT .A 2 x1,29 2,58A")


def test_row_value_reads_a_rate_letter_read_as_a_digit():
    assert row_value("x 4,99 4,990") == (D("4.99"), "C", 7)
    assert row_value("4,99") == (D("4.99"), None, 0)
    assert row_value("12,3456") is None


def test_the_values_that_make_suma_pln():
    sales = [parse_sale("ZUREK 1,00x8,90 6,90 B"), parse_sale("KASZA 1,00x7,98 7,90 B")]
    assert choose_values(sales, D("16.80")) == [D("8.90"), D("7.90")]
    assert choose_values(sales, None) == [D("6.90"), D("7.90")]  # as read
    assert choose_values(sales, D("99.99")) == [D("6.90"), D("7.90")]  # no combination


PARAGON = """
SKLEP SPOŻYWCZY Sp. z o.o.
ul. Długa 5, 30-001 Kraków
NIP 123-456-32-18
2024-03-05 12:01
PARAGON FISKALNY
DROŻDŻE INSTANT .A 2 x1,29 2,58A
MLEKO 3,2% 1L 2 x3,19 6,38D
JABŁKA LUZ 1,500 x2,99 4,49C
Podsuma: 13,45
Rabat JABŁKA LUZ -0,45C
SPRZEDAŻ OPODATKOWANA A 2,58
PTU A 23,00 % 0,48
SPRZEDAŻ OPODATKOWANA C 4,04
PTU C 5,00 % 0,19
SPRZEDAŻ OPODATKOWANA D 6,38
SUMA PTU 0,67
SUMA PLN 13,00
"""


def test_a_paragon_read_whole():
    receipt = analyze_lines(lines_from_text(PARAGON))
    assert receipt.total == "13.00"
    assert receipt.merchant.tax_id == "1234563218"
    assert [(i.description, i.quantity, i.total_price) for i in receipt.items] == [
        ("DROŻDŻE INSTANT .A", "2", "2.58"),
        ("MLEKO 3,2% 1L", "2", "6.38"),
        ("JABŁKA LUZ", "1.5", "4.49"),
        ("Rabat JABŁKA LUZ", None, "-0.45"),
    ]


def total_of(text: str) -> str | None:
    return analyze_lines(lines_from_text(text)).total


def test_suma_misread_is_outvoted_by_the_payment_and_the_sales():
    """SUMA PLN read wrong; the card payment and the sales agree on another sum."""
    receipt = PARAGON.replace("SUMA PLN 13,00", "SUMA PLN 18,00") + "Karta płatnicza 13,00\n"
    assert total_of(receipt) == "13.00"


def test_suma_unreadable_the_amount_paid_is_the_total():
    receipt = PARAGON.replace("SUMA PLN 13,00", "SUMA PLN SAO , 3Z") + "Karta 13,00 PLN\n"
    assert total_of(receipt) == "13.00"


def test_cash_less_change_is_the_amount_paid():
    receipt = PARAGON.replace("SUMA PLN 13,00", "SUMA PLN 18,00")
    assert total_of(receipt + "Gotówka 20,00\nReszta 7,00\n") == "13.00"
    assert total_of(receipt) == "18.00"  # nothing else read: SUMA as printed
