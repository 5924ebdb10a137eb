"""Receipt language, currency and payment method.

These three are decided by vocabulary rather than layout: a Polish fiscal receipt says
PARAGON FISKALNY, SUMA PLN, PTU and uses Polish letters; currency shows as a code or sign
(PLN, zł, RM, $, €) or follows from the language and legal forms (Sp. z o.o., SDN BHD).
"""

from __future__ import annotations

import re
import unicodedata

from receiptq.pipeline.analysis.keywords import squash

_PL_WORDS = re.compile(
    r"\b(?:PARAGON|FISKALNY|SUMA|PTU|NIP|SPRZEDAZ|SPRZEDAŻ|GOTOWKA|GOTÓWKA|RESZTA|KASA|"
    r"KASJER|RAZEM|ZAPLATY|ZAPŁATY|RABAT|SZT|ZŁ|ZL|PLN|UL|SP|FAKTURA|KARTA|OPODATK|NETTO|"
    r"BRUTTO|DZIĘKUJEMY|DZIEKUJEMY|ZAPRASZAMY|SKLEP|ILOŚĆ|CENA|WARTOŚĆ|NIEFISKALNY)\b",
    re.IGNORECASE,
)
_EN_WORDS = re.compile(
    r"\b(?:TOTAL|CASH|CHANGE|THANK|YOU|TAX|INVOICE|RECEIPT|QTY|AMOUNT|PRICE|ITEM|SUBTOTAL|"
    r"PLEASE|AGAIN|DATE|TIME|CASHIER|PAYMENT|ROUNDING|DISCOUNT|GOODS|SOLD|NOT|THE|AND)\b",
    re.IGNORECASE,
)
_PL_LETTERS = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")


def detect_language(text: str) -> str:
    """ISO 639-1 code: "pl" when Polish vocabulary outweighs English, else "en"."""
    pl = len(_PL_WORDS.findall(text)) + 0.5 * len(_PL_LETTERS.findall(text))
    en = len(_EN_WORDS.findall(text))
    return "pl" if pl > en else "en"


def fold_diacritics(text: str) -> str:
    """ASCII letters for a non-Polish receipt: the eng+pol model sometimes reads "l" as
    "ł" or "a" as "ą" in English words."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_CURRENCY_MARKS = (
    ("PLN", re.compile(r"\bPLN\b|\bzł\b|\bZŁ\b|\d\s?zł", re.IGNORECASE)),
    ("MYR", re.compile(r"\bRM\s?\d|\bRM\b|\bMYR\b")),
    ("EUR", re.compile(r"€|\bEUR\b")),
    ("GBP", re.compile(r"£|\bGBP\b")),
    ("SGD", re.compile(r"\bSGD\b|\bS\$")),
    ("USD", re.compile(r"\bUSD\b|US\$")),
)
_MALAYSIA = re.compile(
    r"\bSDN\.?\s?BHD\b|\bBHD\b|\bMALAYSIA\b|\bJALAN\b|\bJLN\b|\bTAMAN\b|\bSELANGOR\b|\bJOHOR\b|"
    r"\bKUALA\s+LUMPUR\b",
    re.IGNORECASE,
)


#: The 50 US state codes and DC.
_US_STATES = (
    r"A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
    r"S[CD]|T[NX]|UT|V[AT]|W[AIVY]"
)
#: "Denver, CO 80237": a US state code followed by a ZIP code (the line model often drops
#: the spaces: "Austin,TX 78747").
_US_ADDRESS = re.compile(rf"(?:,\s*|\s)(?:{_US_STATES})\s?\d{{5}}(?:-\d{{4}})?\b")


def detect_currency(text: str, language: str) -> str | None:
    """ISO 4217 code from currency marks, else from language and place names."""
    for code, rx in _CURRENCY_MARKS:
        if rx.search(text):
            return code
    if language == "pl":
        return "PLN"
    if _MALAYSIA.search(text):
        return "MYR"
    if "$" in text or _US_ADDRESS.search(text):
        return "USD"
    return None


_CARD = ("VISA", "MASTERCARD", "MASTER", "CREDITCARD", "DEBITCARD", "KARTA", "AMEX", "MAESTRO")


def detect_payment(line_texts: list[str]) -> str | None:
    """ "card", "cash" or None, from the payment lines (card wins: cash lines are common
    labels on card receipts, e.g. "CASH 0.00")."""
    card = cash = False
    for t in line_texts:
        s = squash(t)
        if any(k in s for k in _CARD) or re.search(r"\bCARD\b|\bKARTA\b", t, re.IGNORECASE):
            card = True
        if re.search(r"\bCASH\b|\bTUNAI\b|GOT[OÓ]WKA", t, re.IGNORECASE):
            cash = True
    if card:
        return "card"
    if cash:
        return "cash"
    return None
