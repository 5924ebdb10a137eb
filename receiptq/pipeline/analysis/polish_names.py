"""A Polish shop's name: its legal form as OCR misreads it, and a chain's registered name
known from its NIP.

"Sp. z o.o." comes out of thermal print as "Sp, Z 0,0", "Sp. 2 0.0." or "sp. z*0:0."; put
back, it marks the row as the company's name (`merchant.has_legal_suffix`).

Where the name is a logo (Lidl, Tesco), what is printed under it is an address, and the
name read is noise. A few big chains' NIPs are public facts, listed in
`receiptq/data/chains_pl.csv` with the public page each comes from: a receipt whose NIP
(valid by its check digit) is one of them gets that chain's registered name when the name
read has no legal form or is a misreading of that one.
"""

from __future__ import annotations

import csv
import difflib
import re
from functools import cache
from importlib import resources

#: "Sp. z o.o." / "Spółka z o.o." with its dots read as commas or colons, z as 2 or 7 or
#: lost, the o's as zeros, a speck between ("z*0:0.", "Sp. 0.0.").
_SP_ZOO = re.compile(
    r"\b(?P<sp>[Ss][Pp]|[Ss]p[óo][łl]ka|SP[ÓO][ŁL]KA)[.,]?\s?(?:[Zz27]\s?)?[*.,]?\s?"
    r"[0Oo][.,:]\s?[0Oo](?:[.,:]|(?=\s|$))"
)
#: "S.A." ending a name with its dot read as an underscore or a comma, its A in lower
#: case or its last dot lost ("S_ a.", "S,A", "S. A").
_SA = re.compile(r"(?<=\w )S\s?[._,]\s?[Aa]\.?(?=\W*$)")
#: "sp. k." / "sp. j." with a speck after it ("Sp. ks.").
_SP_K = re.compile(r"\b(?P<sp>[Ss][Pp])[.,]\s?(?P<form>[kj])[s.,]{0,2}(?=\s|$)")
#: A chain's name is taken over the one read when the two are this alike (difflib ratio of
#: their letters) or the one read has no legal form.
SAME_NAME = 0.6


def normalize_polish_forms(text: str) -> str:
    """``text`` with the Polish company forms OCR misread put back: "Sp, Z 0,0" ->
    "Sp. z o.o.", "Sp. 2 0.0." and "Sp. 0.0." -> "Sp. z o.o.", "Sp. ks." -> "Sp. k.",
    "S_ a." -> "S.A."."""

    def zoo(m: re.Match) -> str:
        dot = "." if len(m["sp"]) == 2 else ""  # "Sp. z o.o.", "Spółka z o.o."
        return m["sp"] + dot + (" Z O.O." if m["sp"].isupper() else " z o.o.")

    text = _SA.sub("S.A.", _SP_ZOO.sub(zoo, text))
    return _SP_K.sub(lambda m: f"{m['sp']}. {m['form']}.", text)


@cache
def chains() -> dict[str, str]:
    """NIP (10 digits) -> the chain's registered name, from the package's data file."""
    path = resources.files("receiptq") / "data" / "chains_pl.csv"
    with path.open(encoding="utf-8") as f:
        return {row["nip"]: row["name"] for row in csv.DictReader(f)}


def chain_name(nip: str | None, read: str | None, has_form: bool) -> str | None:
    """The registered name of the chain with ``nip``, when the name ``read`` is a logo's
    noise (no legal form) or a misreading of it; else None."""
    name = chains().get(nip or "")
    if name is None:
        return None
    if not read or not has_form:
        return name
    ratio = difflib.SequenceMatcher(None, _letters(read), _letters(name)).ratio()
    return name if ratio >= SAME_NAME else None


def _letters(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())
