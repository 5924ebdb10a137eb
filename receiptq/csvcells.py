"""CSV cells a spreadsheet shows as text: the one rule for every CSV receiptq writes."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str | None) -> str:
    """Text from outside (read off a receipt, a file name) as a CSV cell. A spreadsheet runs
    a cell starting with = + - @ (or a tab/CR) as a formula, so it gets a leading
    apostrophe; None is an empty cell."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
