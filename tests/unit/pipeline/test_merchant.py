"""Merchant name, address, tax id and phone from the header."""

from __future__ import annotations

import dataclasses

import pytest

from receiptq.pipeline.analysis import analyze_lines
from receiptq.pipeline.analysis.lines import Line, lines_from_text
from receiptq.pipeline.analysis.merchant import (
    agree_spellings,
    compose_name,
    edge_marks,
    find_merchant,
    has_legal_suffix,
    header_lines,
    header_phone,
    normalize_legal_forms,
    specks,
    without_edge_marks,
)
from receiptq.pipeline.ocr import Word

MALAYSIAN = """
KEDAI RUNCIT MAJU JAYA SDN BHD
(123456-K)
NO 12, JALAN MAWAR 3, TAMAN BUNGA,
43000 KAJANG, SELANGOR.
TEL: 03-8736 1234
GST ID: 001234567890
TAX INVOICE
Date: 03/01/2019
NASI LEMAK          4.50
TOTAL               4.50
"""

POLISH = """
PIEKARNIA ZŁOTY KŁOS Sp. z o.o.
ul. Długa 15
31-147 Kraków
NIP 677-123-45-67
tel. 12 345 67 89
PARAGON FISKALNY
2024-05-12
Chleb razowy     1 x3,49      3,49 A
SUMA PLN                      3,49
"""


def test_malaysian_header():
    m = find_merchant(lines_from_text(MALAYSIAN))
    assert m.name == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert m.address == "NO 12, JALAN MAWAR 3, TAMAN BUNGA, 43000 KAJANG, SELANGOR."
    assert m.tax_id == "001234567890"
    assert m.phone == "03-8736 1234"
    assert m.name_confidence > 0.5
    assert m.address_confidence > 0.5


def test_polish_header():
    m = find_merchant(lines_from_text(POLISH))
    assert m.name == "PIEKARNIA ZŁOTY KŁOS Sp. z o.o."
    assert m.address == "ul. Długa 15 31-147 Kraków"
    assert m.tax_id == "6771234567"
    assert m.phone == "12 345 67 89"


def test_legal_form_alone_on_its_line_joins_the_line_above():
    text = """
SYARIKAT BUKIT INDAH
SDN. BHD.
LOT 5, JALAN PERDANA 2,
81200 JOHOR BAHRU, JOHOR
TEL: 07-123 4567
"""
    m = find_merchant(lines_from_text(text))
    assert m.name == "SYARIKAT BUKIT INDAH SDN. BHD."
    assert m.address == "LOT 5, JALAN PERDANA 2, 81200 JOHOR BAHRU, JOHOR"


def test_name_without_legal_form_is_the_first_text_line():
    text = """
CAFE SERI MELATI
22, JALAN SS 2/24
47300 PETALING JAYA
Tel 03-7876 5432
"""
    m = find_merchant(lines_from_text(text))
    assert m.name == "CAFE SERI MELATI"
    assert m.address == "22, JALAN SS 2/24 47300 PETALING JAYA"
    assert m.name_confidence < 0.5


def test_ocr_typos_in_legal_forms_are_repaired():
    assert normalize_legal_forms("MAJU SON 8HD") == "MAJU SDN BHD"
    assert normalize_legal_forms("Maju Sdn Bad") == "Maju Sdn Bhd"
    assert normalize_legal_forms("99 MART 5/B") == "99 MART S/B"
    assert normalize_legal_forms("99 MART S/D (519537-X)") == "99 MART S/B (519537-X)"
    # both letters read as digits: only where the form ends the name, not a size
    assert normalize_legal_forms("KEDAI MAJU 5/8 (912345-K)") == "KEDAI MAJU S/B (912345-K)"
    assert normalize_legal_forms("KEDAI MAJU 5/8") == "KEDAI MAJU S/B"
    assert normalize_legal_forms("PAIP 5/8 INCI") == "PAIP 5/8 INCI"
    assert normalize_legal_forms("GARDENIA (KL )SDN BLED") == "GARDENIA (KL ) SDN BHD"
    assert normalize_legal_forms("GROSZEK SP. 7 0.0. SP. K.") == "GROSZEK SP. Z O.O. SP. K."
    assert has_legal_suffix("Kowalski Sp. z o.o.")
    assert has_legal_suffix("ORLEN S.A.")
    assert has_legal_suffix("ACME LTD")
    assert not has_legal_suffix("THANK YOU")


def test_uk_and_us_headers():
    uk = find_merchant(
        lines_from_text("HILLTOP GROCERS\n12 Mill Lane\nLeeds LS1 4AB\nTel: 0113 496 0000\n")
    )
    assert uk.name == "HILLTOP GROCERS"
    assert uk.address == "12 Mill Lane Leeds LS1 4AB"
    us = find_merchant(
        lines_from_text("PINE MARKET\n118 Oak Ave\nDenver, CO 80203\n(303) 555-0100\n")
    )
    assert us.name == "PINE MARKET"
    assert us.address == "118 Oak Ave Denver, CO 80203"


def test_a_restaurant_checks_point_of_sale_fields_are_no_name_nor_address():
    # the name printed as a logo, which OCR returns no text for
    check = find_merchant(lines_from_text("Station: 2\nServer: Jess\nCheck #4876\nTable 15\n"))
    assert check.name is None and check.address is None
    # under the name and address they end the address
    under = find_merchant(
        lines_from_text("PINE TAVERN\n118 Oak Ave\nDenver, CO 80203\nTable 15 Guests: 4\n")
    )
    assert under.name == "PINE TAVERN"
    assert under.address == "118 Oak Ave Denver, CO 80203"
    # a name that opens with such a word and no number is still a name
    assert find_merchant(lines_from_text("STATION CAFE\n118 Oak Ave\n")).name == "STATION CAFE"


def test_a_greeting_before_the_name_is_no_part_of_it():
    welcome = find_merchant(lines_from_text("WELCOME TO PINE TAVERN\n118 Oak Ave\n"))
    assert welcome.name == "PINE TAVERN"
    assert welcome.address == "118 Oak Ave"


def test_town_on_the_row_after_a_trailing_postcode():
    m = find_merchant(
        lines_from_text(
            "SINAR MAS TRADING SDN BHD\nNO 3, JALAN BUNGA 2, TAMAN INDAH, 11900\n"
            "BAYAN LEPAS, PULAU PINANG.\nTEL: 04-123 4567\n"
        )
    )
    assert m.address == "NO 3, JALAN BUNGA 2, TAMAN INDAH, 11900 BAYAN LEPAS, PULAU PINANG."


def test_an_address_that_ends_a_line_with_a_comma_goes_on_past_the_postcode():
    text = """SELVAM HOLDINGS SDN. BHD. (912377-T)
NO.7, 8 & 21, JALAN PASAR,
39200 SERIMBUN, -
BUKIT MERAWAN,
PAHANG
GST Reg.: 009912377001
Date : 11/05/2019"""
    m = find_merchant(lines_from_text(text))
    assert m.address is not None and m.address.endswith("BUKIT MERAWAN, PAHANG")
    # without the comma, a line after the postcode that is no place word ends it
    m = find_merchant(lines_from_text(text.replace("SERIMBUN, -", "SERIMBUN")))
    assert m.address is not None and m.address.endswith("39200 SERIMBUN")


def test_the_outlet_line_just_above_the_contact_details_belongs_to_the_address():
    text = """MAJU MART S/B (912388-X)
LOT P.T. 4127, JALAN MERPATI,
TAMAN CEMPAKA
41150 KLANG, SELANGOR
{outlet}
GST ID.NO:000912388001
INVOICE NO:10001/101/T0001"""
    m = find_merchant(lines_from_text(text.format(outlet="1402-TMN SERI")))
    assert m.address is not None and m.address.endswith("41150 KLANG, SELANGOR 1402-TMN SERI")
    # the lot number (33198) is no postcode: the address runs on to the real one
    m = find_merchant(
        lines_from_text(text.replace("4127", "33198").format(outlet="KOTA RAYA CITY MALL"))
    )
    assert m.address is not None and m.address.endswith("SELANGOR KOTA RAYA CITY MALL")
    # a line that is no place (an amount, a document title) does not join it
    for other in ("GUEST CHECK", "27 x 5.50"):
        m = find_merchant(lines_from_text(text.format(outlet=other)))
        assert m.address is not None and m.address.endswith("41150 KLANG, SELANGOR"), other
    # ...nor does a place line with more header rows after it before the contact details
    m = find_merchant(lines_from_text(text.format(outlet="KOTA RAYA CITY MALL\nSELAMAT DATANG")))
    assert m.address is not None and m.address.endswith("41150 KLANG, SELANGOR")


def test_the_country_is_the_last_row_of_an_address():
    """An outlet line printed after the country belongs to the shop, not its address."""
    text = """KEDAI SINARAN SDN BHD
NO 3, JALAN MERBAH 2,
54321 KOTA RAYA, {country}
PASAR SERI OUTLET
TEL: 03-1234 5678"""
    m = find_merchant(lines_from_text(text.format(country="MALAYSIA")))
    assert m.address == "NO 3, JALAN MERBAH 2, 54321 KOTA RAYA, MALAYSIA"
    m = find_merchant(lines_from_text(text.format(country="SELANGOR")))  # a state: goes on
    assert m.address == "NO 3, JALAN MERBAH 2, 54321 KOTA RAYA, SELANGOR PASAR SERI OUTLET"


@pytest.mark.parametrize(
    "first",
    [
        "HQ ADD: LOT 42, JALAN MERBAH 2,",
        "C Lot 42, JALAN MERBAH 2,",
        "Co-Rg:12345-D LOT 42, JALAN MERBAH 2,",
    ],
)
def test_a_label_or_a_speck_before_the_addresss_opener_is_left_out(first):
    m = find_merchant(lines_from_text(f"KEDAI SINARAN SDN BHD\n{first}\n54321 KOTA RAYA\n"))
    assert m.address is not None and m.address.upper() == "LOT 42, JALAN MERBAH 2, 54321 KOTA RAYA"


@pytest.mark.parametrize(
    "first",
    [
        "LOT NO. 42, JALAN MERBAH 2,",  # an opener before the opener
        "PLAZA SERI, NO. 42, JALAN MERBAH 2,",  # a place before the number
        "TINGKAT 1, KOMPLEKS SERI NO 42 JALAN MERBAH 2,",
    ],
)
def test_what_stands_before_the_opener_stays_when_it_is_address(first):
    m = find_merchant(lines_from_text(f"KEDAI SINARAN SDN BHD\n{first}\n54321 KOTA RAYA\n"))
    assert m.address == f"{first} 54321 KOTA RAYA"


def test_a_region_word_split_in_two_after_the_postcode_is_address():
    m = find_merchant(
        lines_from_text(
            "KEDAI SINARAN SDN BHD\nNO 9, JALAN MERBAH 2,\n54321 KOTA RAYA\nSe langor\n"
        )
    )
    assert m.address == "NO 9, JALAN MERBAH 2, 54321 KOTA RAYA Se langor"


def test_a_registration_number_after_an_unlabelled_name_is_not_part_of_it():
    m = find_merchant(
        lines_from_text("99 SPEEDY MART (519537-X)\nLOT 12, JALAN MERPATI,\n41150 KLANG\n")
    )
    assert m.name == "99 SPEEDY MART"
    assert m.address == "LOT 12, JALAN MERPATI, 41150 KLANG"


def test_a_row_that_ends_with_a_registration_number_is_the_name_even_with_a_place_in_it():
    text = "Kedai Maju Malaysia (123456-A)\nLot 12, Plaza Mawar\n43000 Kajang\n"
    m = find_merchant(lines_from_text(text))
    assert m.name == "Kedai Maju Malaysia"
    assert m.address == "Lot 12, Plaza Mawar 43000 Kajang"
    # a registration line with its label is no name: the name is found as before
    text = "KEDAI MAJU\nCO. REG NO. (761834-D)\nNO 3, JALAN MAWAR\n43000 KAJANG\n"
    assert find_merchant(lines_from_text(text)).name == "KEDAI MAJU"


def test_a_name_that_opens_with_its_form_goes_on_to_the_next_line():
    text = "RESTAURANT MEIWAH\nMEIWAH HOUSE\n009912345-K\n13, JLN TASIK MERAH 8\n57000 KL\nINVOICE"
    m = find_merchant(lines_from_text(text))
    assert m.name == "RESTAURANT MEIWAH MEIWAH HOUSE"
    # "57000 KL" is a postcode and a town, not a registration number
    assert m.address == "13, JLN TASIK MERAH 8 57000 KL"
    # a name whose form ends it is complete: the line below is something else
    m = find_merchant(lines_from_text(text.replace("RESTAURANT MEIWAH", "MEIWAH SDN BHD")))
    assert m.name == "MEIWAH SDN BHD"


def test_specks_after_the_address_are_left_out():
    for tail in (" -", " s."):
        m = find_merchant(
            lines_from_text(
                f"MAJU SDN BHD\nNO. 31G, JALAN SETIA\n40170 SETIA ALAM{tail}\nTEL 03-1234 5678"
            )
        )
        assert m.address == "NO. 31G, JALAN SETIA 40170 SETIA ALAM"
    m = find_merchant(lines_from_text("MAJU SDN BHD\nNo 3, Jalan Setia\n40170 Setia Alam ab\n"))
    assert m.address == "No 3, Jalan Setia 40170 Setia Alam ab"  # not all capitals: kept


def test_an_address_that_opens_with_a_house_number_ends_an_unlabelled_name():
    m = find_merchant(
        lines_from_text(
            "KOPI & CAFE\n21, SS9/2A,\nDAMANSARA INDAH\nGST ID : 009912300001\nTABLE : BAR 7\n"
        )
    )
    assert m.name == "KOPI & CAFE"
    assert m.address == "21, SS9/2A, DAMANSARA INDAH"


def test_a_legal_form_in_a_column_of_its_own_stays_with_the_name():
    lines = lines_from_text("Jasny Spichlerz Sp.    z 0.0. Sp. k.\nul. Długa 177A\n90-001 Łódź\n")
    assert lines[0].segment_texts() == ["Jasny Spichlerz Sp.", "z 0.0. Sp. k."]  # two columns
    m = find_merchant(lines)
    assert m.name == "Jasny Spichlerz Sp. z o.o. Sp. k."
    assert m.address == "ul. Długa 177A 90-001 Łódź"


@pytest.mark.parametrize(
    ("lines", "address"),
    [
        ("i ul. Lipowa 103\n80-384 Gdańsk", "ul. Lipowa 103 80-384 Gdańsk"),
        (
            "1 NO 48, JALAN MEGAH 12,\n53100 KUALA LUMPUR",
            "NO 48, JALAN MEGAH 12, 53100 KUALA LUMPUR",
        ),
        ("62 Victoria Street j York YO1 3EX", "62 Victoria Street, York YO1 3EX"),
        ("ul. Ogrodowa 170 zł 51-121 Wrocław", "ul. Ogrodowa 170 51-121 Wrocław"),
        ("ul. Polna 110A 3\n65-206 Zielona Góra 8", "ul. Polna 110A 65-206 Zielona Góra"),
        ("ul. Polna 114 A\n80-456 Gdańsk", "ul. Polna 114 A 80-456 Gdańsk"),  # may be 114A
        ("G 5, JALAN SETIA\n40170 SETIA ALAM", "G 5, JALAN SETIA 40170 SETIA ALAM"),  # a block
        ("NO 27, JALAN MAWAR,\n47301 i PETALING JAYA", "NO 27, JALAN MAWAR, 47301 PETALING JAYA"),
        ("on NO 62, JALAN MAWAR,\n31400 faa IPOH", "NO 62, JALAN MAWAR, 31400 IPOH"),
        ("No 6, Jalan Mawar,\n31400 Ipoh, on", "No 6, Jalan Mawar, 31400 Ipoh, on"),  # not caps
        ("ul. Ogrodowa 43 sej 80-264 Gdańsk", "ul. Ogrodowa 43 80-264 Gdańsk"),
        ("Z | al. Lipowa 80A\n93-464 Łódź", "al. Lipowa 80A 93-464 Łódź"),
    ],
)
def test_specks_around_the_address_words_are_left_out(lines, address):
    m = find_merchant(lines_from_text(f"MAJU SDN BHD\n{lines}\nTel: 0113 496 0000\n"))
    assert m.address == address


def test_the_registered_company_under_a_trade_name_is_the_merchant():
    text = """KEDAI TEH SERI & CO.
Dimiliki oleh MAJU F&B SDN. BHD.
(912399-T)
LOT NO.: 3F-12 & 3FK-20, 3RD FLOOR
TEL: 03-1234 5678"""
    assert find_merchant(lines_from_text(text)).name == "Dimiliki oleh MAJU F&B SDN. BHD."
    # a registered company first stays the name
    text = text.replace("KEDAI TEH SERI & CO.", "MAJU JAYA SDN BHD")
    assert find_merchant(lines_from_text(text)).name == "MAJU JAYA SDN BHD"


def test_a_name_broken_over_three_lines_at_its_forms():
    text = "HUP SENG HARDWARE\nENTERPRISE (SERI\nALAM) SDN BHD\n(912311-X)\nNO. 9-G, JALAN SERI\n"
    m = find_merchant(lines_from_text(text))
    assert m.name == "HUP SENG HARDWARE ENTERPRISE (SERI ALAM) SDN BHD"
    assert m.address == "NO. 9-G, JALAN SERI"


def test_a_legal_form_read_as_sun_bho_still_joins_the_name_it_closes():
    text = "BINTANG TIMUR HARDWARE\nTRADING (KAJANG\nBARU) SUN BHO\n(123456-A)\nNO. 8, JALAN MAWAR"
    m = find_merchant(lines_from_text(text))
    assert m.name == "BINTANG TIMUR HARDWARE TRADING (KAJANG BARU) SDN BHD"
    assert m.address == "NO. 8, JALAN MAWAR"


def test_a_company_registration_line_is_not_the_name():
    text = "MEKAR CRAFT\n8, JALAN PUDU,\n55100 KUALA LUMPUR\nCompany Req No. 7549514\n"
    m = find_merchant(lines_from_text(text))
    assert m.name == "MEKAR CRAFT"
    assert m.address == "8, JALAN PUDU, 55100 KUALA LUMPUR"


def test_a_name_with_a_speck_after_its_registration_number_keeps_its_form():
    m = find_merchant(lines_from_text("77 MINI MART S/B (123456-X) ‘\nLOT 12, JALAN MERPATI,\n"))
    assert m.name == "77 MINI MART S/B"


def test_a_registration_number_inside_an_address_line_is_left_out():
    text = "MAJU TELCO SDN BHD\nLOT G 12, (123456-7)\nMEGAH SHOPPING CENTRE,\n47800 SELANGOR\n"
    assert find_merchant(lines_from_text(text)).address == (
        "LOT G 12, MEGAH SHOPPING CENTRE, 47800 SELANGOR"
    )


def test_a_long_id_number_ends_the_address_even_beside_an_address_word():
    text = "MAJU SDN BHD\nLOT 5, JALAN MERPATI,\nTAMAN MAWAR\n057 ID. NO : 000123456789\nINVOICE"
    assert find_merchant(lines_from_text(text)).address == "LOT 5, JALAN MERPATI, TAMAN MAWAR"


def test_a_place_that_repeats_the_end_of_the_line_above_is_left_out():
    text = "KEDAI ROTI SDN BHD\n11, Jalan Mawar,SriMelati\nŚri Melati\nTel:03-1234 5678\n"
    assert find_merchant(lines_from_text(text)).address == "11, Jalan Mawar,SriMelati"
    # a postcode line printed twice is what the receipt says: kept
    text = "KEDAI ROTI SDN BHD\n21, Jalan Mawar, 10400 Penang.\n10400 Penang.\nTel:04-123 4567\n"
    assert find_merchant(lines_from_text(text)).address == (
        "21, Jalan Mawar, 10400 Penang. 10400 Penang."
    )


@pytest.mark.parametrize(
    ("text", "name", "address"),
    [
        (
            "KEDAI MAJU SDN BHD\n(123456-K)\nSUNRISE MALL\nLOT NO.: 3F-12, 3RD FLOOR\nTEL: 03-1234",
            "KEDAI MAJU SDN BHD",
            "SUNRISE MALL LOT NO.: 3F-12, 3RD FLOOR",
        ),
        (
            "STATION LES PINS\nAUTOROUTE CASA RABAT\n14000 KENITRA\nTel. : 05.11.22.33.44",
            "STATION LES PINS",
            "AUTOROUTE CASA RABAT 14000 KENITRA",
        ),
    ],
)
def test_a_building_or_a_road_opens_the_address(text, name, address):
    m = find_merchant(lines_from_text(text))
    assert (m.name, m.address) == (name, address)


def test_a_comma_after_the_postcode_lets_in_a_confident_place_line_only():
    head = lines_from_text("MAJU SDN BHD\nNO. 3, JALAN SETIA,\n39200 SERIMBUN,")
    town = lines_from_text("BUKIT MERAWAN")
    garbage = lines_from_text("RET NOGE ROSLO", conf=51.0)
    m = find_merchant(head + town)
    assert m.address == "NO. 3, JALAN SETIA, 39200 SERIMBUN, BUKIT MERAWAN"
    m = find_merchant(head + garbage)
    assert m.address == "NO. 3, JALAN SETIA, 39200 SERIMBUN,"


def test_an_unsure_lower_case_state_a_letter_off_ends_the_address():
    head = lines_from_text("MAJU SDN BHD\nNo.3, Jalan SS9/12,47400 Petaling Jaya")
    state = lines_from_text("setangor", conf=57.0)
    assert find_merchant(head + state).address == (
        "No.3, Jalan SS9/12,47400 Petaling Jaya selangor"
    )
    # unsure lower-case specks that are no address word stay out
    specks = lines_from_text("sebangkor", conf=57.0)
    assert find_merchant(head + specks).address == "No.3, Jalan SS9/12,47400 Petaling Jaya"


def test_a_word_an_address_prints_twice_gets_its_more_confident_spelling():
    rows = ["3RD FLR, TAMAN MELATI SC", "TAMAN MELATT CHERAS, 55100 KUALA LUMPUR"]
    lines = lines_from_text(rows[0], conf=92.0) + lines_from_text(rows[1], conf=71.0)
    assert agree_spellings(rows, lines) == [rows[0], "TAMAN MELATI CHERAS, 55100 KUALA LUMPUR"]
    # the more confident reading wins whichever row it is on
    lines = lines_from_text(rows[0], conf=60.0) + lines_from_text(rows[1], conf=80.0)
    assert agree_spellings(rows, lines) == ["3RD FLR, TAMAN MELATT SC", rows[1]]
    # two address words a letter apart are two words
    rows = ["1, BANDAR UTAMA,", "KEPONG UTARA, 52100"]
    lines = lines_from_text(rows[0], conf=95.0) + lines_from_text(rows[1], conf=60.0)
    assert agree_spellings(rows, lines) == rows


def test_a_gst_number_glued_to_its_label_is_no_address():
    text = "UL 1 GSTNO.00041761\nNo.J-8, Jalan Mawar, 50 480KL\nTEL)03 1234 5678"
    assert find_merchant(lines_from_text(text)).address == "No.J-8, Jalan Mawar, 50 480KL"


def test_the_name_printed_again_with_its_outlet_is_not_the_address():
    text = """TAX INVOICE
PIZZA HUT
GST REF NO : 001234567890
PIZZA HUT TAMAN MAWAR
30, Jln Mawar 7, Tmn Mawar
81300 Skudai, Johor
Order : 1131"""
    m = find_merchant(lines_from_text(text))
    assert (m.name, m.address) == ("PIZZA HUT", "30, Jln Mawar 7, Tmn Mawar 81300 Skudai, Johor")


def test_a_price_per_kilogram_is_an_item_row_not_a_kampung():
    text = """RIVERSIDE GROCER
24 High Street
Bath BA1 4WF
Tel:01632 960888
Carrots
1.817kg@0.49/kg 0.89Z
Bagels Plain 5pk
3@1.59 4.77Z"""
    m = find_merchant(lines_from_text(text))
    assert (m.name, m.address) == ("RIVERSIDE GROCER", "24 High Street Bath BA1 4WF")
    # ...while KG before a place is still one
    m = find_merchant(lines_from_text("MAJU SDN BHD\nNO.12, JALAN DUKU,\nKG. SERI\n51200 KL"))
    assert m.address == "NO.12, JALAN DUKU, KG. SERI 51200 KL"


def _stamped(height: int, width: int):
    lines = lines_from_text("LIM KEE ENTERPRISE POSTED\n9, JALAN MERBAH 3,\n40150 SHAH ALAM")
    name = lines[0]
    stamp = name.words[-1]
    name.words[-1] = dataclasses.replace(stamp, top=stamp.top - 10, height=height, width=width)
    return find_merchant(lines).name


def test_a_stamp_across_the_name_row_is_no_part_of_the_name():
    # "POSTED" stamped in letters twice the name's height and width
    assert _stamped(height=45, width=130) == "LIM KEE ENTERPRISE"
    # a word whose box Tesseract stretched over specks is taller, not wider a letter
    assert _stamped(height=45, width=60) == "LIM KEE ENTERPRISE POSTED"


@pytest.mark.parametrize(
    ("head", "name"),
    [
        # the owner's surname on the next line goes with the name...
        (
            'P.H.U. "ZIELONY SPICHLERZ" Zofia\nKamińska\nMarket\nul. Długa 5\n60-225 Poznań',
            'P.H.U. "ZIELONY SPICHLERZ" Zofia Kamińska',
        ),
        # ...a kind of shop under a full owner's name does not
        (
            'P.H,U. "ZIELONY KOSZYK" Ewa Wiśniewska\nDelikatesy\nul. Długa 70\n65-616 Zielona Góra',
            'P.H,U. "ZIELONY KOSZYK" Ewa Wiśniewska',
        ),
    ],
)
def test_a_polish_sole_traders_name_ends_with_its_owners_surname(head, name):
    assert find_merchant(lines_from_text(head)).name == name


def test_a_fiscal_printers_print_number_is_no_address():
    # a header read so badly that only the name and the print-number row are left
    m = find_merchant(lines_from_text("Zielony Koszyk Sp. k.\nnr wydr. 57993\nPARAGON FISKALNY"))
    assert m.address is None


def test_a_five_pack_is_no_polish_limited_partnership():
    assert not has_legal_suffix("BAGELS PLAIN 5PK") and not has_legal_suffix("BAGELS PLAIN SPK")
    assert has_legal_suffix("Jasny Spichlerz Sp. k.") and has_legal_suffix("Złoty Kłos Sp.j.")
    head = (
        "MAPLE PANTRY\n5375 Washington Blvd\nColumbus, OH 43209\n(673) 555-0134\nBAGELS PLAIN 5PK"
    )
    m = find_merchant(lines_from_text(head))
    assert (m.name, m.address) == ("MAPLE PANTRY", "5375 Washington Blvd Columbus, OH 43209")


def test_an_items_name_over_its_quantity_row_is_not_the_header():
    head = 'PERNIAGAAN SERI MAJU\nNO7,3LN DUKU,SHAH ALAM.\n27" 7,5 BASIN BESAR\n400002 1.00X 21.32'
    m = find_merchant(lines_from_text(head))
    assert m.address == "NO7,JLN DUKU,SHAH ALAM."  # and 3LN is JLN
    # an address row above the first item stays the address's
    head = "KEDAI MAJU\nNO 7, JALAN UERO\n40000 SHAH ALAM\n2 x 3.50 7.00"
    assert find_merchant(lines_from_text(head)).address == "NO 7, JALAN UERO 40000 SHAH ALAM"
    # a UK till's quantity row, the price with its currency sign
    head = "KINGSWAY STORES\n197 Victoria Street\nBristol BS1 6DG\nBaby Spinach 200g\n"
    head += "2 @ £1.89 £3.78 Z"
    lines = lines_from_text(head)
    assert find_merchant(lines).address == "197 Victoria Street Bristol BS1 6DG"
    assert [line.text for line in header_lines(lines)][-1] == "Bristol BS1 6DG"


def test_a_misread_business_word_is_repaired_in_the_name():
    text = "KENANGA CONFECTIUNERY SDN BHD\nNO 8, JALAN MAWAR\n"
    assert find_merchant(lines_from_text(text)).name == "KENANGA CONFECTIONERY SDN BHD"


def _row(*words: tuple[str, int, int, int], page_width: int = 1000) -> Line:
    """A row of (text, left, width, height) words, printed letters 20 px wide, 30 high."""
    ws = [Word(t, 90.0, left, 100, width, height) for t, left, width, height in words]
    return Line(words=ws, page_width=page_width, page_height=1500, segments=[ws])


PRINTED = (("80-927", 400, 120, 30), ("Gdańsk", 545, 120, 30))


@pytest.mark.parametrize(
    ("mark", "is_mark"),
    [
        (("A", 15, 55, 66), True),  # at the left edge, two rows high, 2.5 letters wide
        (("a", 8, 59, 30), True),  # as high as a letter, three times as wide
        (("sy", 40, 36, 48), True),  # 1.6 rows high
        (("|", 975, 20, 80), True),  # the right edge
        (("A", 15, 20, 30), False),  # at the edge but a letter of the row's size
        (("A", 200, 55, 66), False),  # out of proportion but inside the page
        (("NO", 15, 60, 66), False),  # ...at the edge, but its row goes on at once
        (("WARSZAWA", 15, 60, 66), False),  # more than three letters: a word
    ],
)
def test_a_mark_at_the_paper_edge_is_no_word_of_its_row(mark, is_mark):
    text, left, width, _ = mark
    if text == "NO":
        row = _row(mark, ("80-927", left + width + 20, 120, 30))
    else:
        row = _row(mark, *PRINTED)
    assert (edge_marks(row) == [row.words[0]]) is is_mark
    kept = without_edge_marks(row)
    assert (kept.text == row.text) is not is_mark


def _segmented(*words: tuple[str, int, int]) -> Line:
    """A row of (text, left, width) words 30 px high, each word a column segment of its own
    but the last two, which are one ("Kajang Baru,"); letters are 20 px wide."""
    ws = [Word(t, 90.0, left, 100, width, 30) for t, left, width in words]
    return Line(words=ws, page_width=1000, page_height=1500,
                segments=[[w] for w in ws[:-2]] + [ws[-2:]])  # fmt: skip


@pytest.mark.parametrize(
    ("speck", "is_speck"),
    [
        (("4", 10, 3), True),  # a digit in a box 3 px wide where a letter takes 20
        (("he", 10, 7), True),
        (("F", 10, 2), True),
        (("C", 10, 18), False),  # a letter's width: a letter
        (("1", 10, 4), False),  # narrow by nature
        (("SDN", 10, 6), False),  # three letters are a word
    ],
)
def test_a_speck_read_as_a_letter_is_no_word_of_its_row(speck, is_speck):
    row = _segmented(speck, ("43000", 100, 100), ("Kajang", 230, 120), ("Baru,", 370, 100))
    assert (specks(row) == [row.words[0]]) is is_speck
    assert (without_edge_marks(row).text == "43000 Kajang Baru,") is is_speck
    # a word alone on its row is never a speck of it
    assert specks(_row(("he", 10, 7, 30))) == []


def test_an_edge_mark_is_not_read_into_the_address():
    head = "DOBRY KLOS Sp. z o.o.\n     ul. Długa 11A\n     80-927 Gdańsk\nNIP 723-344-46-73"
    lines = lines_from_text(head)
    postcode = lines[2]  # its words start 50 px in, a letter is 10 px wide and 20 high
    mark = Word("A", 70.0, 0, postcode.top - 10, 12, 2 * postcode.words[0].height)
    lines[2] = dataclasses.replace(postcode, words=[mark, *postcode.words], page_width=400)
    assert find_merchant(lines).address == "ul. Długa 11A 80-927 Gdańsk"


def test_a_phone_number_alone_on_a_header_row_needs_no_label():
    m = find_merchant(
        lines_from_text("LAKESIDE MART\n1296 Oak Ave\nAustin, TX 78747\n(559) 555-0144\n")
    )
    assert (m.name, m.address, m.phone) == ("LAKESIDE MART", "1296 Oak Ave Austin, TX 78747",
                                            "(559) 555-0144")  # fmt: skip
    assert header_phone(["+44 1632 960006"]) == "+44 1632 960006"
    # a NIP in its groups, a date, a postcode, an id without separators are no phone
    assert header_phone(["723-344-46-73", "13.05.2024", "80-927", "000123456789"]) is None
    # a labelled number comes first
    labelled = find_merchant(lines_from_text("MART\n12 Oak Ave\n555 0100 2000\nTel: 555-0144\n"))
    assert labelled.phone == "555-0144"


@pytest.mark.parametrize(
    ("row", "name"),
    [
        ("MAJU JAYA BHD TAMAN OUTLET", "MAJU JAYA BHD"),  # the outlet after the form
        ("ROSE BAKERY S/B (KJT)", "ROSE BAKERY S/B"),  # a branch code
        ("ABC TIMBER SDN. BHD. XQ", "ABC TIMBER SDN. BHD."),
        ('"NOWAK" Sp. z o.o. ul Lipowa 3', 'NOWAK" Sp. z o.o.'),  # the street on its row
        ("Dobry Kłos Sp. z o.o. Sp. k.", "Dobry Kłos Sp. z o.o. Sp. k."),  # a form after a form
        ("Big Star Limited Spółka z o.o.", "Big Star Limited Spółka z o.o."),
    ],
)
def test_a_registered_name_ends_at_its_last_form(row, name):
    m = find_merchant(lines_from_text(f"{row}\nNO 3, JALAN MAWAR\n43000 KAJANG\n"))
    assert m.name == name


@pytest.mark.parametrize(
    "row",
    [
        "(AB1234567-K)",  # a bracketed registration number with a prefix...
        "(0012£45678-X)",  # ...or a misread digit
        "(CAWANGAN SERI (40211))",  # a row wholly in brackets: an outlet...
        "(77312Q4-W)",  # ...or a number
        "BR No.(912345-K)",  # a business registration number
        "27",  # a short number alone on its row: a speck read
    ],
)
def test_a_row_under_the_name_that_is_no_address_does_not_open_it(row):
    m = find_merchant(
        lines_from_text(f"KEDAI MAJU SDN BHD\n{row}\nNO.9 JALAN MERBAH 1,\n81200 JOHOR\n")
    )
    assert m.address == "NO.9 JALAN MERBAH 1, 81200 JOHOR"


def test_a_date_with_a_dotted_time_between_name_and_address_does_not_end_the_header():
    m = find_merchant(
        lines_from_text(
            "A0417\nKEDAI MAJU SDN BHD\n14 Mar 2019 17.42\n(123456-K)\nNO.9 JALAN MERBAH 1,\n"
            "81200 JOHOR\nTEH TARIK 2.50\nTOTAL 2.50\n"
        )
    )
    assert m.address == "NO.9 JALAN MERBAH 1, 81200 JOHOR"


def test_a_logo_the_names_row_repeats_is_no_part_of_the_name():
    m = find_merchant(
        lines_from_text("SINARAN\nSINARAN STATIONERY SDN BHD\nNO.9 JALAN MERBAH 1,\n81200 JOHOR\n")
    )
    assert m.name == "SINARAN STATIONERY SDN BHD"


def test_a_postcode_on_a_row_of_its_own_ends_the_address():
    head = "KEDAI BUKU MAJU\nLOT 12 & 14, PLAZA MAWAR\nNO 3, JLN BUNGA 2/7\n43000\nReg No: 0001112"
    assert find_merchant(lines_from_text(head)).address == (
        "LOT 12 & 14, PLAZA MAWAR NO 3, JLN BUNGA 2/7 43000"
    )
    # ...but a number under a full address is no part of it
    head = "KEDAI BUKU MAJU\nNO 3, JLN BUNGA 2/7\n43000 KAJANG\n123456\nTAX INVOICE"
    assert find_merchant(lines_from_text(head)).address == "NO 3, JLN BUNGA 2/7 43000 KAJANG"


def test_the_phone_after_the_address_on_its_last_row_is_left_out():
    head = (
        "KEDAI ROTI MAJU SDN BHD\nNo.5, Jalan Mawar 3/2, Taman Bunga Seri\n"
        "43000 Kajang, Selangor. Tel No.: 03-1234 5678\nwww.example.com"
    )
    assert find_merchant(lines_from_text(head)).address == (
        "No.5, Jalan Mawar 3/2, Taman Bunga Seri 43000 Kajang, Selangor"
    )
    # a contact row with no place before its label ends the address as before
    head = "KEDAI MAJU SDN BHD\nNO 12, JALAN MAWAR 3,\n43000 KAJANG\nTel: 03-8736 1234"
    assert find_merchant(lines_from_text(head)).address == "NO 12, JALAN MAWAR 3, 43000 KAJANG"


@pytest.mark.parametrize(
    ("row", "name"),
    [
        ("Dimiliki: kedai roti maju sdn bhd 1234567-A", "kedai roti maju Sdn Bhd"),  # "owned by:"
        ("Owned by: KEDAI MAJU SDN BHD", "KEDAI MAJU SDN BHD"),
        ("#000017 KEDAI MAJU (M) Sdn Bhd", "KEDAI MAJU (M) Sdn Bhd"),
        ("KEDAI ROTI MAJU t", "KEDAI ROTI MAJU"),  # a speck after capitals
        ("Kedai Roti Maju", "Kedai Roti Maju"),
    ],
)
def test_labels_numbers_and_specks_around_a_name_are_no_part_of_it(row, name):
    assert compose_name([normalize_legal_forms(row)]) == name


def test_a_speck_far_out_at_a_header_rows_end_is_no_part_of_it():
    # the edge of a photo's paper, left in the frame, read as a digit before or after a row
    text = (
        "HILLSIDE PANTRY                              3\n"
        "4                           88 Birch Rd\n"
        "Dayton, OH 45402\n"
        "MILK 1L 1.29\n"
        "TOTAL 1.29\n"
    )
    receipt = analyze_lines(lines_from_text(text), set())
    assert receipt.merchant.name == "HILLSIDE PANTRY"
    assert receipt.merchant.address == "88 Birch Rd Dayton, OH 45402"
    # a short word close to the rest of its row stays ("MART 3" may be a branch)
    near = analyze_lines(lines_from_text("HILLSIDE MART 3\n88 Birch Rd\nTOTAL 1.29\n"), set())
    assert near.merchant.name == "HILLSIDE MART 3"
