"""Amount parsing and total selection."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receiptq.pipeline.analysis.amounts import (
    extract_totals,
    find_amounts,
    format_amount,
    label_text,
    parse_amount,
)
from receiptq.pipeline.analysis.lines import lines_from_text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9.00", "9.00"),
        ("RM 9.00", "9.00"),
        ("RM9.00", "9.00"),
        ("RH367.10", "367.10"),  # RM with its M misread
        ("$8.20", "8.20"),
        ("12,30 zł", "12.30"),
        ("45,60 A", "45.60"),
        ("1,234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("-0.02", "-0.02"),
        ("1O.5O", "10.50"),
        ("TotalAmtRounded --15.90", "15.90"),  # a dashed leader, not a minus sign
        ("----- 9.00", "9.00"),
    ],
)
def test_parse_amount(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(
    "text",
    ["25/12/2018", "12.05.2024", "2024-05-12", "8:13:39", "GST 6%", "23,00%", "qty 1.000", "abc"],
)
def test_not_amounts(text):
    assert find_amounts(text) == []


@given(st.text(max_size=60))
def test_find_amounts_never_raises(text):
    for value, start, end in find_amounts(text):
        assert 0 <= start < end <= len(text)
        assert abs(value) < 1_000_000


@given(st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False))
def test_format_and_parse_round_trip(value):
    text = format_amount(value)
    assert parse_amount(text) == value
    assert parse_amount(text.replace(".", ",") + " zł") == value


def totals(text: str, item_sum: Decimal | None = None):
    return extract_totals(lines_from_text(text), item_sum)


def test_rounded_total_wins_over_unrounded():
    t = totals(
        """
KF MODELLING CLAY         9.03
Total :                   9.03
Rounding Adjustment :    -0.03
Rounded Total (RM):       9.00
Cash                     10.00
CHANGE                    1.00
"""
    )
    assert t.total == Decimal("9.00")
    assert t.cash == Decimal("10.00")
    assert t.change == Decimal("1.00")
    assert t.rounding == Decimal("-0.03")


def test_an_adjustment_printed_without_its_zero_rounds_the_total():
    t = totals(
        """
Total Sales (Inclusive GST) RM 177.22
Rounding Adjustment RM -.02
Rounding RM 177.20
CREDIT RM 177.20
"""
    )
    # "Rounding RM 177.20" is the rounded total with "Total" misread, not the adjustment
    assert (t.total, t.rounding) == (Decimal("177.20"), Decimal("-0.02"))
    assert parse_amount("-.02") == Decimal("-0.02")
    assert parse_amount(".02") is None  # a speck and two digits is no amount


def test_items_whose_tax_at_a_common_rate_is_printed_make_the_bill_no_total_shows():
    body = """
(T02) STEAMED FISH 2.0 6.00 12.00
(F01) FRIED RICE 1.0 13.00 13.00
(V02) MIXED GREENS 1.0 10.00 10.00
(B03) ICED LEMON TEA 2.0 2.50 5.00
(R05) FRIED RICE + 1.0 12.40 12.40
Discount : 0.00
Total GST : {tax}
Rounding : 0.00
"""
    # the total row was lost; 52.40 holds 2.97 of 6 % GST
    assert totals(body.format(tax="2.97"), Decimal("52.40")).total == Decimal("52.40")
    # prices before tax: 50.00 and 6 % on top
    assert totals("Total GST : 3.00\nCash 60.00", Decimal("50.00")).total == Decimal("53.00")
    # a tax no common rate explains proves nothing
    assert totals(body.format(tax="3.61"), Decimal("52.40")).total != Decimal("52.40")
    # items a row short whose sum fits a rate by chance: the subtotal and the card say no
    for stated in ("SUBTOTAL 18.25", "VISA DEBIT 18.25"):
        short = f"{stated}\nTOTAL 263359\nVAT 0.79"  # 13.10 + 6 % is 13.89
        assert totals(short, Decimal("13.10")).total == Decimal("18.25")
    # and a printed total stays the total
    printed = body.format(tax="2.97") + "TOTAL 53.40\n"
    assert totals(printed, Decimal("52.40")).total == Decimal("53.40")


def test_ocr_typo_labels_and_cash_minus_change():
    t = totals(
        """
NASI LEMAK                 4.50
TEH TARIK                  2.20
SUB T0TAL                  6.70
GST 6%                     0.40
T0TAL                      7.10
CASH                      10.00
CHANGE                     2.90
Total Qty: 2
"""
    )
    assert t.total == Decimal("7.10")
    assert t.subtotal == Decimal("6.70")
    assert t.tax == Decimal("0.40")


def test_total_without_label_is_cash_minus_change():
    t = totals(
        """
ITEM A                     3.00
ITEM B                     2.50
CASH                      10.00
CHANGE                     4.50
"""
    )
    assert t.total == Decimal("5.50")


def test_a_payment_row_is_the_amount_tendered_not_the_total():
    t = totals(
        """
ITEM A                    15.90
Subtotal :                15.90
TotalAmtRounded         --15.90
Payment :                 50.00
Change Due :              34.10
"""
    )
    assert t.cash == Decimal("50.00") and t.change == Decimal("34.10")
    assert t.total == Decimal("15.90")


def test_the_grand_total_under_a_gst_summary_sums_its_parts():
    # the items' sum and a repeated amount both point at a part; the arithmetic does not
    t = totals(
        """
WHOLEMEAL        2.78  3     8.34
JUMBO            2.97  4    11.88
Total 0% supplies:          26.61
CR-VANILLA       0.72 20    14.40
Total 6% supplies (excl. GST): 14.40
GST:                         0.86
Total 6% supplies (Inc. GST): 15.26
Total 0% supplies:          26.61
Total Payable:              41.87
""",
        item_sum=Decimal("26.61"),
    )
    assert t.total == Decimal("41.87")


@pytest.mark.parametrize("printed", ["1.87", "4.87", "41.8", "418.7"])
def test_a_grand_total_read_a_digit_short_is_restored_from_its_parts(printed):
    receipt = """
WHOLEMEAL        2.78  3     8.34
JUMBO            2.97  4    11.88
Total 0% supplies:          26.61
Total 6% supplies (Inc. GST): 15.26
Total 0% supplies:          26.61
Total Payable:              {printed}
"""
    t = totals(receipt.format(printed=printed), item_sum=Decimal("26.61"))
    if printed == "418.7":  # as many digits as the sum: no digit lost, nothing to restore
        assert t.total == Decimal("26.61")
    else:  # "41.8": one decimal lost, read by no amount pattern, still one digit short
        assert t.total == Decimal("41.87")
    # a total the parts do not explain stays as printed
    t = totals(receipt.format(printed="9.99"), item_sum=Decimal("26.61"))
    assert t.total in (Decimal("9.99"), Decimal("26.61"))
    assert t.total != Decimal("41.87")


def test_a_total_row_of_columns_is_not_the_total():
    t = totals(
        """
SUB-TOTAL (EX)              16.98
ROUNDING                     0.00
TOTAL 0i018.00
CASH                        18.00
CHANGE                       0.00
GST SUMMARY    AMOUNT   TAX
SR 6.00        16.98    1.02
TOTAL:         16.98    1.02
"""
    )
    assert t.total == Decimal("18.00")


def test_cash_paid_exactly_confirms_the_rounded_total():
    t = totals(
        """
ITEM A                     15.00
ITEM B                     47.00
Total (Excluding GST):     62.00
GST Payable:                3.72
Total (Inclusive of GST):  65.72
Rounding Adj               -0.02
TOTAL:                     65.70
CASH                       65.70
"""
    )
    assert t.total == Decimal("65.70")


def test_polish_fiscal_receipt_total():
    t = totals(
        """
PARAGON FISKALNY
Chleb razowy     1 x3,49      3,49 A
Mleko 2%         2 x2,99      5,98 A
Sprzed. opod. PTU A          9,47
Kwota A 23,00%               1,77
Suma PTU                     1,77
SUMA PLN                     9,47
Gotówka                     20,00
Reszta                      10,53
"""
    )
    assert t.total == Decimal("9.47")
    assert t.tax == Decimal("1.77")
    assert t.change == Decimal("10.53")


def test_label_on_the_line_above_its_amount():
    t = totals(
        """
COFFEE                      5.90
TOTAL
                            5.90
VISA                        5.90
"""
    )
    assert t.total == Decimal("5.90")
    assert t.confidence > 0.3


def test_a_misread_total_line_is_made_up_from_subtotal_service_charge_tax_and_rounding():
    text = """1 HOUSE BEER 12 GLASSES   150.00
1 LAGER 12 GLASSES        145.00
SUB TOTAL                 295.00
SERVICE CHARGE 10%         29.50
GST 6%                     19.47
ROUNDING ADJ               -0.02
Fo ahinay Amount ex
"""
    lines = lines_from_text(text)
    assert extract_totals(lines, Decimal("295.00")).total == Decimal("343.95")
    # a readable total that the parts add up to is confirmed, not replaced
    readable = text.replace("Fo ahinay Amount ex", "TOTAL AMOUNT   343.95")
    assert extract_totals(lines_from_text(readable), Decimal("295.00")).total == Decimal("343.95")
    # with no service charge printed, nothing is made up
    plain = text.replace("SERVICE CHARGE 10%         29.50\n", "")
    assert extract_totals(lines_from_text(plain), Decimal("295.00")).total != Decimal("314.45")


def test_the_paid_amount_less_the_change_is_the_total_when_the_total_row_is_lost():
    text = """Teal Am incl GST 6%         8.48
Rounding Adjustment         (0.02)
Tate! Payable Bi
Psid Amount:              100.00
Change :                   91.50
"""
    assert extract_totals(lines_from_text(text)).total == Decimal("8.50")
    # a readable total that cash - change shows was rounded: the rounded total
    readable = text.replace("Teal Am", "Total Amt")
    assert extract_totals(lines_from_text(readable)).total == Decimal("8.50")


def test_polish_sales_by_rate_and_the_card_outvote_a_misread_suma():
    text = """SPRZEDAŻ OPODATKOWANA B       20,35
PTU B 8,00 %                  1,51
SPRZEDAŻ OPODATKOWANA C       53,30
PTU C 5,00 %                  2,54
SUMA PTU                      4,05
SUMA PLN                     13,03
KARTA                        73,65
"""
    assert extract_totals(lines_from_text(text)).total == Decimal("73.65")
    # read right, SUMA stays the total
    right = text.replace("SUMA PLN                     13,03", "SUMA PLN                     73,65")
    assert extract_totals(lines_from_text(right)).total == Decimal("73.65")
    # a rate row lost: its partial sum is no candidate (the change says 147.04)
    lost = """SPRZEDAŻ OPODATKOWANA A       23,27
SPRZEDAŻ OPODATKOWANA B       15,69
PTU C 5,00 %                 35,15
GOTÓWKA                     150,00
RESZTA                        2,96
"""
    assert extract_totals(lines_from_text(lost)).total == Decimal("147.04")


def test_polish_rates_whose_ptu_checks_out_give_the_total_when_suma_is_misread():
    text = """SPRZEDAŻ OPODATKOWANA A     28,37
PTU A 23,00 %                5,30
SPRZEDAŻ OPODATKOWANA C     28,98
PTU C 5,00 %                 1,38
SUMA PTU                     6,68
SUMA PLN                    37,35
GOTÓWKA                     60,00
RESZTA                      2705
"""
    assert extract_totals(lines_from_text(text)).total == Decimal("57.35")
    # a tax that is not its rate's share: the rows are not trusted, SUMA stands
    wrong = text.replace("PTU A 23,00 %                5,30", "PTU A 23,00 %                5,90")
    assert extract_totals(lines_from_text(wrong)).total == Decimal("37.35")
    # a rate lost with its PTU row: the taxes no longer add up to SUMA PTU
    rate_c = "SPRZEDAŻ OPODATKOWANA C     28,98\nPTU C 5,00 %                 1,38\n"
    lost = text.replace(rate_c, "")
    assert extract_totals(lines_from_text(lost)).total == Decimal("37.35")


def test_an_amount_with_a_space_beside_its_separator_ends_a_summary_row():
    text = "SPRZEDAŻ OPODATKOWANA A 18,47\nPTU A 23,00 % 3,45\nSUMA PLN 46, 74\nKARTA 46 ,74\n"
    assert extract_totals(lines_from_text(text)).total == Decimal("46.74")
    # ...not inside an item row ("2 x 3 ,50" is no 3.50 total)
    assert find_amounts("Bułka 2 x 3 ,50") == []


def test_abbreviated_rate_rows_are_checked_too():
    text = """Sprzed. opod. A              28,37
PTU A 23,00 %                5,30
SUMA PTU                     5,30
SUMA PLN                     20,37
"""
    # no payment row says 28,37: only the rate's PTU check can
    assert extract_totals(lines_from_text(text)).total == Decimal("28.37")


def test_a_count_in_brackets_is_no_part_of_the_label():
    # squashed, "SUBTOTAL (9 items)" holds TOTALITEMS: the item count's label
    text = "Bagels Plain 5pk    £1.79\nSUBTOTAL (9 items)  £29.83\nTOTAL    £29.83\n"
    totals = extract_totals(lines_from_text(text))
    assert totals.subtotal == Decimal("29.83") and totals.total == Decimal("29.83")
    assert label_text("RAZEM (3 szt.) 12,40").split() == ["RAZEM"]
    assert label_text("TOTAL (INCL GST) 12.40").split() == ["TOTAL", "(INCL", "GST)"]


@pytest.mark.parametrize(
    ("rows", "total"),
    [
        # the adjustment under the total, no rounded total printed: the amount due
        ("Total (Inclusive of GST):   12.42\nRounding Adj:   -0.02\nCHANGE   7.60", "12.40"),
        ("Total (Incl GST)   RM8.33\nRounding   RM0.02\nTotal Paid   RM10.00", "8.35"),
        # an adjustment that does not land on 5 sen is no rounding of that total
        ("Total (Incl GST)   9.61\nRounding   0.03\nThank you", "9.61"),
        # the adjustment after the payment, not under the total: the total printed
        ("TOTAL   16.27\nCASH   20.00\nROUNDING ADJUSTMENTS   0.02-", "16.27"),
    ],
)
def test_a_rounding_adjustment_under_the_total_gives_the_amount_due(rows, total):
    assert extract_totals(lines_from_text(rows)).total == Decimal(total)


def test_a_grand_total_sums_a_summary_with_goods_returned():
    text = (
        "ROTI PUTIH 2.40 5  12.00\nROTI JAGUNG 2.10 -2  -4.20\nTotal 0% supplies: -4.20\n"
        "KEK PANDAN 1.50 2  3.00\nKEK COKLAT 1.50 2  3.00\n"
        "Subtotal 6% supplies (excl. GST): 18.00\nGST: 1.08\n"
        "Total 6% supplies (Inc. GST): 19.08\nTotal 0% supplies: -4.20\nTotal Payable: 14.88\n"
        "Received above goods in good order.\nThe recipient is required to make adjustments"
    )
    assert extract_totals(lines_from_text(text)).total == Decimal("14.88")


#: A check whose tax row lost its amount: no arithmetic confirms the total.
RESTAURANT_CHECK = """2 FISH TACOS               27.90
1 ICED TEA                   3.20
Subtotal                    31.10
Sa1es Tax
Total                       33.59
Suggested Tip:
  15% = 4.67           Total 38.26
  18% = 5.60           Total 39.19
  20% = 6.22           Total 39.81
Thank you for dining with us!
"""


def test_a_suggested_tip_table_under_the_total_holds_no_total():
    assert totals(RESTAURANT_CHECK).total == Decimal("33.59")
    # its rows split by OCR ("15%" / "= 4.67 Total 38.26") are still the table's
    split = RESTAURANT_CHECK.replace("  15% = 4.67", "  15%\n= 4.67")
    assert totals(split).total == Decimal("33.59")
    # a row that names the tip beside its percentage needs no heading
    inline = "\n".join(
        line.replace("  ", "Tip ", 1) if "%" in line else line
        for line in RESTAURANT_CHECK.replace("Suggested Tip:\n", "").splitlines()
    )
    assert "Tip 18% = 5.60" in inline
    assert totals(inline).total == Decimal("33.59")


def test_a_row_after_the_tip_table_that_is_not_one_of_its_options_counts_again():
    text = RESTAURANT_CHECK.replace(
        "Thank you for dining with us!", "AMOUNT DUE                  33.59"
    ).replace("Total                       33.59\n", "")
    assert totals(text).total == Decimal("33.59")


def test_an_automatic_gratuity_is_part_of_the_bill():
    text = """3 RIBEYE STEAK              95.70
Subtotal                    95.70
Tax                          7.66
Gratuity 18% (6 guests)     17.23
Tota1 Amou
"""
    assert totals(text).total == Decimal("120.59")


def test_a_tip_option_whose_percentage_ocr_lost_is_still_in_the_table():
    lost = RESTAURANT_CHECK.replace("  20% = 6.22", "  2O = 6.22")
    assert totals(lost).total == Decimal("33.59")


def test_a_product_name_a_letter_from_a_label_lends_no_label_to_the_row_below():
    # "toaletowy" holds TOALE, a letter from TOTAL; the summary's own label was cut at
    # the paper's edge ("UMA" for SUMA), so nothing but arithmetic names the total
    text = """Chleb razowy 1 x3,49 3,49
Papier toaletowy 8 rolek
1 x11,89 11,89
Mleko 2% 2 x2,99 5,98
UMA PLN 21,36
Karta 21,36
"""
    assert totals(text).total == Decimal("21.36")


def test_a_subtotal_the_items_add_up_to_is_no_bill_when_a_tax_is_added():
    # the labels TOTAL and VISA lost (OCR dropped them): subtotal + tax, printed twice, is
    # the bill, though the items add up to the subtotal
    t = totals(
        """
OAT BISCUITS 3.10
LEMONADE 2L 5.00
SUBTOTAL 8.10
TAX 8.000% 0.65
8.75
8.75
""",
        item_sum=Decimal("8.10"),
    )
    assert (t.total, t.subtotal, t.tax) == (Decimal("8.75"), Decimal("8.10"), Decimal("0.65"))
    # with no tax the subtotal the items add up to stays the likelier bill
    t = totals("OAT BISCUITS 3.10\nLEMONADE 2L 5.00\nSUBTOTAL 8.10\n", item_sum=Decimal("8.10"))
    assert t.total == Decimal("8.10")
