"""Recognising a shop again: its tax id, phone number or address, normalised so that the
same shop printed or read a little differently gives the same key."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MIN_PHONE_DIGITS = 7
PHONE_DIGITS = 9  # the last nine: a country or trunk prefix printed or not
MIN_ADDRESS_CHARS = 10  # shorter is too common to name one shop ("MAIN ST")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tax_id_key(value: str | None) -> str | None:
    key = re.sub(r"[^0-9a-z]", "", _folded(value or ""))
    return key if len(key) >= 5 and any(ch.isdigit() for ch in key) else None


def phone_key(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else None


def address_key(value: str | None) -> str | None:
    """Letters and digits, case, accents and punctuation ignored."""
    key = " ".join(re.findall(r"[0-9a-z]+", _folded(value or "").replace("ł", "l")))
    return key if len(key) >= MIN_ADDRESS_CHARS else None


def shop_keys(merchant: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(kind, key) for each of tax id, phone and address the merchant has."""
    merchant = merchant or {}
    found = [
        ("tax_id", tax_id_key(merchant.get("tax_id"))),
        ("phone", phone_key(merchant.get("phone"))),
        ("address", address_key(merchant.get("address"))),
    ]
    return [(kind, key) for kind, key in found if key]
