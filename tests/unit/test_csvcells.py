"""The one spreadsheet-safety rule for every CSV receiptq writes."""

from __future__ import annotations

import pytest

from receiptq.csvcells import text_cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(start):
    assert text_cell(start + "SUM(A1)") == "'" + start + "SUM(A1)"


@pytest.mark.parametrize("value", ["CORNER GROCER LTD", "12 High St", "a=b", "'quoted", " =x"])
def test_plain_text_is_kept(value):
    assert text_cell(value) == value


def test_nothing_is_an_empty_cell():
    assert text_cell(None) == "" and text_cell("") == ""
