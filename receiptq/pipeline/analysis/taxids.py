"""Tax and registry numbers checked by their check digits, and repaired by them.

A Polish NIP (10 digits), a REGON (9 or 14 digits), a UK VAT number (9 digits) and a
German USt-IdNr (DE + 9 digits) each end with a check digit computed from the others, so a
number OCR read with one digit wrong almost never passes. Malaysian GST and SST numbers
carry no published check digit and are taken as read.

`repair_nip` puts back one digit OCR confused with a look-alike (8 read as 6 or 0, 1 as 4
or 7...) when exactly one such change makes the NIP valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)

#: Digits Tesseract reads for one another on thermal print, both ways.
LOOKALIKE_DIGITS: dict[str, str] = {
    "0": "869", "1": "47", "2": "7", "3": "89", "4": "19", "5": "68",
    "6": "058", "7": "12", "8": "0365", "9": "038",
}  # fmt: skip


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _mod11(number: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(number, weights, strict=False)) % 11


def nip_valid(text: str) -> bool:
    """Whether ``text`` (separators and a "PL" prefix allowed) is a NIP whose check digit
    is right. A remainder of 10 is never issued."""
    number = _digits(text)
    if len(number) != 10:
        return False
    check = _mod11(number, NIP_WEIGHTS)
    return check != 10 and check == int(number[9])


def regon_valid(text: str) -> bool:
    """Whether ``text`` is a REGON (9 digits, or 14 for a local unit) with a right check
    digit (a remainder of 10 counts as 0)."""
    number = _digits(text)
    weights = {9: REGON9_WEIGHTS, 14: REGON14_WEIGHTS}.get(len(number))
    if weights is None:
        return False
    if len(number) == 14 and not regon_valid(number[:9]):
        return False
    return _mod11(number, weights) % 10 == int(number[-1])


def gb_vat_valid(text: str) -> bool:
    """Whether ``text`` ("GB 123 4567 89") is a UK VAT number: weights 8..2 over the first
    seven digits plus the last two make a multiple of 97 (or of 97 after adding 55, the
    series issued since 2010)."""
    number = _digits(text)
    if len(number) == 12 and number.endswith("000"):
        number = number[:9]  # a branch suffix of zeros
    if len(number) != 9:
        return False
    total = sum(int(d) * w for d, w in zip(number, range(8, 1, -1), strict=False))
    total += int(number[7:])
    return total % 97 == 0 or (total + 55) % 97 == 0


def de_vat_valid(text: str) -> bool:
    """Whether ``text`` ("DE 145803808") is a German USt-IdNr: nine digits, the last a
    check digit by ISO 7064 MOD 11,10."""
    number = _digits(text)
    if len(number) != 9 or number[0] == "0":
        return False
    product = 10
    for d in number[:8]:
        total = (int(d) + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == int(number[8])


def repair(number: str, valid: Callable[[str], bool]) -> str | None:
    """``number`` if ``valid``; else the one number that one look-alike digit away is
    valid; else None (no change, or more than one, makes it valid)."""
    if valid(number):
        return number
    found = {
        number[:i] + alt + number[i + 1 :]
        for i, d in enumerate(number)
        if d in LOOKALIKE_DIGITS
        for alt in LOOKALIKE_DIGITS[d]
    }
    fixes = [n for n in found if valid(n)]
    return fixes[0] if len(fixes) == 1 else None


def repair_nip(text: str) -> str | None:
    """The valid NIP ``text`` reads as, or one look-alike digit from it (`repair`)."""
    number = _digits(text)
    return repair(number, nip_valid) if len(number) == 10 else None


#: "NIP" and its misreads ("N1P", "NlP", "MIP"), a "PL" prefix allowed after it.
_NIP_LABEL = re.compile(r"(?<![A-Za-z])(?:NIP|N[1lI|]P|MIP)(?![A-Za-z])\W{0,4}(?:PL)?\s?", re.I)
#: Ten digits as a NIP is printed: "526-10-37-737", "526-103-77-37", "5261037737" (a
#: separator read as "=" or a space).
_NIP_DIGITS = re.compile(r"(?<![\d-])(\d{3}[-=‑ ]?\d{2,3}[-=‑ ]?\d{2}[-=‑ ]?\d{2,3})(?![\d-])")
#: ...and without a label only in the printed groups, which nothing else on a receipt has.
_NIP_GROUPS = re.compile(
    r"(?<![\d-])(?:PL\s?)?(\d{3}-\d{3}-\d{2}-\d{2}|\d{3}-\d{2}-\d{2}-\d{3})(?![\d-])"
)
_GST = re.compile(
    r"\b(?:GST|SST|TAX)\s*(?:REG(?:ISTRATION)?\.?)?\s*(?:ID|NO)?\.?\s*[:#.]?\s*"
    r"([A-Z]?\d[\d\s-]{8,16}\d)",
    re.IGNORECASE,
)
_GB_VAT = re.compile(r"\bVAT\s*(?:REG(?:ISTRATION)?\.?)?\s*(?:NO|NUMBER)?\.?\s*[:#.]?\s*"
                     r"(?:GB\s?)?(\d{3}\s?\d{4}\s?\d{2})\b", re.IGNORECASE)  # fmt: skip


def nip_candidates(text: str) -> list[tuple[str, bool]]:
    """The NIPs a row may print, as (ten digits, labelled): after a "NIP" label, or in the
    printed groups of one without it."""
    out: list[tuple[str, bool]] = []
    for label in _NIP_LABEL.finditer(text):
        if m := _NIP_DIGITS.match(text, label.end()):
            out.append((_digits(m[1]), True))
    out += [(_digits(m[1]), False) for m in _NIP_GROUPS.finditer(text)
            if (_digits(m[1]), True) not in out]  # fmt: skip
    return [(n, labelled) for n, labelled in out if len(n) == 10]


def find_nip(texts: list[str]) -> tuple[str | None, bool]:
    """The seller's NIP among ``texts`` (rows top to bottom) and whether its check digit
    holds: the first valid labelled one, else the first valid in NIP groups, else the
    first labelled one as read."""
    found = [c for t in texts for c in nip_candidates(t)]
    for want_label in (True, False):
        for number, labelled in found:
            if labelled == want_label and nip_valid(number):
                return number, True
    labelled_numbers = [n for n, has_label in found if has_label]
    return (labelled_numbers[0], False) if labelled_numbers else (None, False)


def find_tax_id(texts: list[str]) -> str | None:
    """NIP (Polish tax id, digits only, `find_nip`), else a GST/SST registration number,
    else a UK VAT number whose check digits hold."""
    if (nip := find_nip(texts)[0]) is not None:
        return nip
    for t in texts:
        if m := _GST.search(t):
            return re.sub(r"[\s-]", "", m[1])
    for t in texts:
        if (m := _GB_VAT.search(t)) and gb_vat_valid(m[1]):
            return "GB" + _digits(m[1])
    return None
