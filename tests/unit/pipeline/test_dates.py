"""Date and time parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receiptq.pipeline.analysis.dates import parse_date, parse_dates, parse_time, pick_date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Date : 25/12/2018 8:13:39 PM", "2018-12-25"),
        ("29-12-2017", "2017-12-29"),
        ("05-02-18 12:01", "2018-02-05"),
        ("2024-05-12 14:33", "2024-05-12"),
        ("Data: 12.05.2024", "2024-05-12"),
        ("09 Apr 2018 18:26", "2018-04-09"),
        ("9-APR-18", "2018-04-09"),
        ("12 maja 2024", "2024-05-12"),
        ("3 września 2023", "2023-09-03"),
        ("Apr 9, 2018", "2018-04-09"),
        ("March 15 2019", "2019-03-15"),
        ("Sep 1 '16 7:45 PM", "2016-09-01"),
        ("CHK 4821 SEP01'16 07:45PM", "2016-09-01"),
        ("12/31/2019", "2019-12-31"),  # month-first only when day-first is impossible
        ("20180312", "2018-03-12"),
        ("Date: 25 / 12 / 2018", "2018-12-25"),
        # what OCR makes of a date printed beside a time
        ("23- -03-18 18:09 SH01", "2018-03-23"),  # a separator read twice
        ("25-06-1811:25 SH01 B003", "2018-06-25"),  # the space before the time lost
        ("17:4518/05/18", "2018-05-18"),  # ... and before the date
        ("Date:2019/03/0716:42:05", "2019-03-07"),  # a year-first date and its time
        ("Order No. 200044223/09/2019 06:02 PM", "2019-09-23"),  # glued to a number
        ("#48213015/11/2018 9:14", "2018-11-15"),
        ("14/08/195:41:07 PM", "2019-08-14"),  # a glued time of one-digit hour
    ],
)
def test_parse_date_formats(text, iso):
    assert parse_date(text) == dt.date.fromisoformat(iso)


@pytest.mark.parametrize(
    "text",
    [
        "ORD #07 -REG #19- abc",
        "TOTAL 12.30",
        "Tel 03-2093 7358",
        "1.000 x 9.00",
        "31/02/2018",
        "4518/05/18",  # digits glued before it that are no time
        "25-06-181125",  # ... or after it
        "1234505/2018",  # glued digits with one separator are no date
        "Tel 0312345/06/2018",  # no day 45
        "Date: 14-08-201 10:12:44",  # a year cut short (201x) is not 2020
        "14 Aug 201 10:12",
    ],
)
def test_not_dates(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("25/12/2018 8:13:39 PM", "20:13:39"),
        ("12:05 AM", "00:05:00"),
        ("2024-05-12 14:33", "14:33:00"),
        ("Godz. 09:07", "09:07:00"),
        ("TOTAL 12.30", None),
        ("12.05.24", None),
    ],
)
def test_parse_time(text, time):
    assert parse_time(text) == time


def test_pick_date_prefers_labelled_purchase_date_over_expiry():
    date, time, conf = pick_date(
        [
            "KEDAI MAJU SDN BHD",
            "Voucher valid until 31/12/2019",
            "Date: 03/01/2019  Time: 10:15",
            "TOTAL 12.00",
        ]
    )
    assert date == dt.date(2019, 1, 3)
    assert time == "10:15:00"
    assert conf > 0.5


@given(st.text(max_size=60))
def test_date_parsers_never_raise(text):
    for c in parse_dates(text):
        assert 1990 <= c.date.year <= 2039
    parse_time(text)


@given(st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_round_trip_common_formats(d):
    for text in (
        d.isoformat(),
        d.strftime("%d/%m/%Y"),
        d.strftime("%d-%m-%Y"),
        d.strftime("%d.%m.%Y"),
        d.strftime("%d %b %Y"),
        d.strftime("%d %B %Y"),
        d.strftime("%b %d, %Y"),
    ):
        assert parse_date(text) == d, text


def test_us_receipts_read_month_first():
    lines = ["CORNER PANTRY", "Denver, CO 80237", "04/05/2023 14:02", "TOTAL $12.00"]
    assert pick_date(lines, month_first=True)[0] == dt.date(2023, 4, 5)
    assert pick_date(lines)[0] == dt.date(2023, 5, 4)
    # An impossible month-first reading still falls back to day-first.
    assert pick_date(["25/04/2023"], month_first=True)[0] == dt.date(2023, 4, 25)


def test_a_fiscal_printers_date_with_a_misread_digit_is_repaired():
    # the time after it says it is the printer's "YYYY-MM-DD HH:MM"
    assert parse_date("2924-04-20 07:20 nr wydr. 14390") == dt.date(2024, 4, 20)
    assert parse_date("125-03-18 15:56 nr wydr. 42143") == dt.date(2025, 3, 18)
    assert parse_date("2024-68-13 11:06 nr wydr. 57993") == dt.date(2024, 8, 13)
    # without a time, or a month no misreading explains, nothing
    assert parse_date("2924-04-20") is None
    assert parse_date("2024-45-13 11:06") is None
    # a date read right elsewhere beats the repaired one
    lines = ["2924-04-20 07:20 nr wydr. 14390", "Data: 2024-04-21 07:20"]
    assert pick_date(lines)[0] == dt.date(2024, 4, 21)


def test_a_day_first_date_with_one_separator_lost_is_repaired():
    assert parse_date("RECEIPT #: CS00633860 DATE: 2504/2017") == dt.date(2017, 4, 25)
    assert parse_date("25/042017 14:03") == dt.date(2017, 4, 25)
    # numbers that make no date, or run on into more digits and separators, are none
    assert parse_date("INVOICE 1234/2017") is None
    assert parse_date("10299/102/2018") is None
    # and it yields to a date read whole
    assert pick_date(["DATE: 2504/2017", "26/04/2017 10:00"])[0] == dt.date(2017, 4, 26)
