"""The merchant's name and address composed from the rows the field model chose."""

from __future__ import annotations

from collections.abc import Container

from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.merchant import (
    MerchantInfo,
    address_row_text,
    compose_address,
    compose_name,
    fix_word_letters,
    normalize_legal_forms,
)
from receiptq.pipeline.fields.model import Choice


def name_text(rows: list[Line], known: Container[str] | None = None) -> str | None:
    """The merchant's name as written from ``rows``."""
    return compose_name([normalize_legal_forms(fix_word_letters(r.text)) for r in rows], known)


def apply_choice(
    choice: Choice, lines: list[Line], info: MerchantInfo, known: Container[str] | None
) -> None:
    """Put the model's name and address into ``info`` where it chose rows for them; the
    confidence is the model's, times the least confident row's OCR (a misread letter makes
    the whole name wrong)."""
    if choice.name_rows:
        rows = [lines[i] for i in choice.name_rows]
        name = name_text(rows, known)
        if name:
            info.name = name
            info.name_confidence = choice.name_p * min(r.conf for r in rows)
    if choice.address_rows:
        rows = [lines[i] for i in choice.address_rows]
        address = compose_address([address_row_text(r.text) for r in rows], rows, known)
        if address:
            info.address = address
            info.address_confidence = choice.address_p * min(r.conf for r in rows)
