"""Line items, and the whole analysis on English and Polish text."""

from __future__ import annotations

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.amounts import respace_numbers
from receiptq.pipeline.analysis.items import (
    ParsedItem,
    extract_items,
    is_summary_row,
    parse_item_line,
)
from receiptq.pipeline.analysis.language import detect_currency, detect_language, detect_payment
from receiptq.pipeline.analysis.lines import lines_from_text


def test_polish_item_rows():
    item = parse_item_line("Mleko 2%         2 x2,99      5,98 A")
    assert (item.description, item.quantity, item.unit_price, item.total_price) == (
        "Mleko 2%",
        "2",
        "2.99",
        "5.98",
    )
    item = parse_item_line("Ser żółty 0,352 kg x 39,90 14,04 C")
    assert item.quantity == "0.352"
    assert item.unit_price == "39.90"
    assert item.total_price == "14.04"


def test_english_item_rows():
    item = parse_item_line("2 X TEH TARIK @ 2.20        4.40")
    assert item.total_price == "4.40"
    assert item.unit_price == "2.20"
    assert item.quantity == "2"
    assert "TEH TARIK" in item.description
    assert parse_item_line("THANK YOU") is None


def test_description_on_the_row_above_its_numbers():
    lines = lines_from_text(
        """
9556789012345 PENSIL 2B KOTAK
   1 PC  *   9.00   0.00    9.00
TOTAL                       9.00
"""
    )
    items = extract_items(lines, 0, 2)
    assert len(items) == 1
    assert items[0].description == "PENSIL 2B KOTAK"  # the barcode is no part of the name
    assert items[0].total_price == "9.00"


def test_language_currency_payment():
    assert detect_language("PARAGON FISKALNY\nSUMA PLN 12,07\nGotówka") == "pl"
    assert detect_language("TAX INVOICE\nTOTAL 12.00\nCASH\nTHANK YOU") == "en"
    assert detect_currency("SUMA 12,07 zł", "pl") == "PLN"
    assert detect_currency("TOTAL RM 12.00", "en") == "MYR"
    assert detect_currency("TOTAL 12.00\nJALAN BESAR SDN BHD", "en") == "MYR"
    assert detect_currency("Total €4.50", "en") == "EUR"
    assert detect_currency("LAKESIDE MART\nAustin, TX 78747", "en") == "USD"
    assert detect_currency("LAKESIDE MART\nAustin,TX 78747", "en") == "USD"  # spaces lost
    assert detect_currency("INVOICE NO 12\nREF AT 12345", "en") is None  # not after a town
    # the town row lost: a North American phone number says USD; other countries' do not
    assert detect_currency("PINE TAVERN\n(303) 555-0100\nTotal 23.36", "en") == "USD"
    assert detect_currency("PINE TAVERN\n303-555-0100\nTotal 23.36", "en") == "USD"
    assert detect_currency("KEDAI MAJU\nTEL: (012) 345-6789\nTotal 23.36", "en") is None
    assert detect_currency("KEDAI MAJU\nTEL: 03-8736 1234\nTotal 23.36", "en") is None
    # the pound signs lost to OCR: the VAT number or the postcode says GBP
    assert detect_currency("KINGSWAY STORES\nVAT No: GB 373 8926 97\nTOTAL 48.49", "en") == "GBP"
    assert detect_currency("197 Victoria Street\nBristol BS1 6DG\nTOTAL 48.49", "en") == "GBP"
    # one stray mark against the country's evidence is noise; marks printed twice are not
    bakery = "SERI BAKERIES (KL) SDN BHD\nLot 8, Jalan Merpati 17/1\nTOTAL £41.44"
    assert detect_currency(bakery, "en") == "MYR"
    assert detect_currency("JALAN BESAR SDN BHD\nTOTAL €4.50\nCASH €5.00", "en") == "EUR"
    assert detect_payment(["VISA **** 1234", "CASH 0.00"]) == "card"
    assert detect_payment(["Gotówka 20,00"]) == "cash"


def test_analyze_polish_receipt_end_to_end():
    receipt = analyze_lines(
        lines_from_text(
            """
PIEKARNIA ZŁOTY KŁOS Sp. z o.o.
ul. Długa 15
31-147 Kraków
NIP 677-123-45-67
PARAGON FISKALNY
2024-05-12            nr wydr. 012345
Chleb razowy     1 x3,49      3,49 A
Mleko 2%         2 x2,99      5,98 A
Bułka kajzerka   4 x0,65      2,60 B
Sprzed. opod. PTU A          9,47
Kwota A 23,00%               1,77
Sprzed. opod. PTU B          2,60
Kwota B 8,00%                0,19
Suma PTU                     1,96
SUMA PLN                    12,07
Gotówka                     20,00
Reszta                       7,93
14:33
"""
        )
    )
    assert receipt.total == "12.07"
    assert receipt.tax == "1.96"
    assert receipt.date == "2024-05-12"
    assert receipt.time == "14:33:00"
    assert receipt.currency == "PLN"
    assert receipt.language == "pl"
    assert receipt.payment_method == "cash"
    assert receipt.merchant.tax_id == "6771234567"
    assert [i.description for i in receipt.items] == ["Chleb razowy", "Mleko 2%", "Bułka kajzerka"]
    assert [i.total_price for i in receipt.items] == ["3.49", "5.98", "2.60"]
    assert all(i.category is None for i in receipt.items)


def test_analyze_english_receipt_with_ocr_typos():
    receipt = analyze_lines(
        lines_from_text(
            """
KEDAI BUKU CAHAYA ENTERPRISE
NO 7, JALAN MELATI 2,
81100 JOHOR BAHRU, JOHOR
Date : 25/12/2019 8:13:39 PM
NOTEBOOK A5          2 X 3.50      7.00
PEN BLUE             1 X 1.52      1.52
SUB T0TAL                          8.52
Rour ding Adj                     -0.02
Rounded T0tal (RM):                8.50
CASH                              10.00
CHANGE                             1.50
"""
        )
    )
    assert receipt.total == "8.50"
    assert receipt.subtotal == "8.52"
    assert receipt.date == "2019-12-25"
    assert receipt.time == "20:13:39"
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA ENTERPRISE"
    assert receipt.merchant.address == "NO 7, JALAN MELATI 2, 81100 JOHOR BAHRU, JOHOR"
    assert receipt.currency == "MYR"
    assert len(receipt.items) == 2
    assert receipt.confidence.fields["total"] > 0.5


def test_us_address_means_dollars_and_month_first_dates():
    receipt = analyze_lines(
        lines_from_text(
            "PINE MARKET\n118 Oak Ave\nDenver, CO 80203\n04/05/2023 8:32 AM\n"
            "MILK 1GAL            3.49\nTOTAL                3.49\n"
        )
    )
    assert receipt.currency == "USD"
    assert receipt.date == "2023-04-05"
    assert receipt.time == "08:32:00"
    assert receipt.merchant.address == "118 Oak Ave Denver, CO 80203"


def test_the_taxed_sales_at_a_rate_end_the_items():
    receipt = analyze_lines(
        lines_from_text(
            """ZIELONY KOSZYK Sp. z o.o.
ul. Polna 1, 15-003 Białystok
PARAGON FISKALNY
Kawa mielona 250g         1 x18,99  18,99 A
Pomidory               0,283 x7,59   2,15 C
SPRZEDAŻ OPODATKOWANA A            18,99
SPRZEDAŻ OPODATKOWANA C             2,15
SUMA PLN                           21,14
"""
        )
    )
    assert [i.description for i in receipt.items] == ["Kawa mielona 250g", "Pomidory"]


def test_a_tax_code_after_the_line_total_and_a_one_read_as_l_are_not_the_name():
    assert parse_item_line("Pork Sausages 8pk £2.99 Z").description == "Pork Sausages 8pk"
    assert parse_item_line("TOOTHPASTE 100ML 2.49 T").description == "TOOTHPASTE 100ML"
    assert parse_item_line("Granulated Sugar lkg 1.29Z").description == "Granulated Sugar 1kg"
    # a letter before the price is the name's
    assert parse_item_line("Vitamin C 4.99").description == "Vitamin C"


def test_a_pack_size_is_no_quantity():
    item = parse_item_line("Sparkling Water 6x500ml £3.50 A")
    assert (item.description, item.quantity) == ("Sparkling Water 6x500ml", None)
    item = parse_item_line("Jabłka Ligol 0,751 x4,99 3,75 C")
    assert (item.description, item.quantity, item.unit_price) == ("Jabłka Ligol", "0.751", "4.99")


def test_a_count_before_the_name_is_the_quantity_where_it_divides_the_amount():
    item = parse_item_line("2 Iced Tea            5.90")
    assert (item.description, item.quantity, item.unit_price) == ("Iced Tea", "2", "2.95")
    one = parse_item_line("1 Fish Tacos          13.95")
    assert (one.description, one.quantity, one.unit_price) == ("Fish Tacos", "1", "13.95")
    # a count that does not divide the amount is part of the name, as is "3 IN 1"
    assert parse_item_line("3 Coffee 10.00").description == "3 Coffee"
    assert parse_item_line("3 IN 1 COFFEE 12.00").quantity is None


def test_a_barcode_and_gst_code_row_takes_the_name_above_it():
    item = parse_item_line("j 9304496589829 ZR 16.45", "CHICKEN NUGGET 800G")
    assert (item.description, item.total_price) == ("CHICKEN NUGGET 800G", "16.45")
    assert parse_item_line("CHOCOLATE WAFER 2.10 SR").description == "CHOCOLATE WAFER"


def test_a_label_a_letter_off_inside_a_products_name_does_not_make_it_a_payment_row():
    lines = lines_from_text("Śmietana 18% 400g\n          1 x4,19   4,19 C\nTUNAI 10.00\n")
    # "ŚMIETANA 18" holds TANAI, a letter from TUNAI (cash); the real TUNAI row is no item
    items = extract_items(lines, 0, len(lines))
    assert [(i.description, i.total_price) for i in items] == [("Śmietana 18% 400g", "4.19")]


def test_a_products_name_a_letter_from_a_label_does_not_end_the_items():
    # On one row with its price, "Śmietana" (TANAI ~ TUNAI, cash) once ended the items
    # there, and every item below it was lost; a summary label a letter off without a
    # quantity x price still ends them.
    text = (
        "PARAGON FISKALNY\n"
        "Kefir 1L                 1 x3,39    3,39 C\n"
        "Śmietana 18% 400g        1 x4,49    4,49 C\n"
        "Jaja kurze L 10szt       1 x9,09    9,09 C\n"
        "SUMA PLN                           16,97\n"
        "TOTAI                              16,97\n"
    )
    receipt = analyze_lines(lines_from_text(text))
    assert [(i.description, i.total_price) for i in receipt.items] == [
        ("Kefir 1L", "3.39"),
        ("Śmietana 18% 400g", "4.49"),
        ("Jaja kurze L 10szt", "9.09"),
    ]
    assert receipt.total == "16.97"
    assert is_summary_row("TOTAI 16,97", ("total",))
    assert not is_summary_row("Śmietana 18% 400g 1 x4,49 4,49 C", ("cash",))


def test_a_unit_price_run_into_the_line_value_is_split_off():
    # the line model drops the spaces of a numbers row: "1 x 1.75 1.75 SR" read "1x1.751.75SR"
    item = parse_item_line("1184623081150 1x1.751.75SR", "CHOCOLATE WAFER")
    assert item == ParsedItem("CHOCOLATE WAFER", "1", "1.75", "1.75")
    assert respace_numbers("1x1.751.75SR") == "1x1.75 1.75SR"
    assert respace_numbers("2 @ 1.99 3.98") == "2 @ 1.99 3.98"  # spaced already
    assert respace_numbers("1.703 x 12.30 20.95 ZR") == "1.703 x 12.30 20.95 ZR"
