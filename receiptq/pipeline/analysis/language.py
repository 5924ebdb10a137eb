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


#: A UK VAT registration number ("VAT No: GB 373 8926 97", "VAT Reg GB123456789").
_UK_VAT = re.compile(r"\bVAT\b[^\n\d]{0,16}\bGB\s?\d{3}", re.IGNORECASE)
#: A UK postcode, outward and inward code ("BS1 6DG", "NR2 7HZ", "SW1A 1AA").
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")

#: The 50 US state codes and DC.
_US_STATES = (
    r"A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
    r"S[CD]|T[NX]|UT|V[AT]|W[AIVY]"
)
#: "Denver, CO 80237": a US state code followed by a ZIP code (the line model often drops
#: the spaces: "Austin,TX 78747").
_US_ADDRESS = re.compile(rf"(?:,\s*|\s)(?:{_US_STATES})\s?\d{{5}}(?:-\d{{4}})?\b")
#: A North American phone number, "(303) 555-0100" or "303-555-0100": area code and
#: exchange never open with 0 or 1 (Malaysian, UK and Polish numbers open with 0 or a
#: two-digit area code).
_US_PHONE = re.compile(
    r"(?<![\d-])(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[-.])[2-9]\d{2}[-.]\d{4}(?![\d-])"
)


def detect_currency(text: str, language: str) -> str | None:
    """ISO 4217 code from currency marks and from the country the receipt's language,
    legal forms and addresses name. Where they disagree, a mark printed once is taken
    for OCR noise ("£" in a Selangor bakery's receipt), the most printed mark otherwise."""
    marks = {code: len(rx.findall(text)) for code, rx in _CURRENCY_MARKS}
    marks = {code: n for code, n in marks.items() if n}
    country = _country_currency(text, language)
    if country is not None and (country in marks or max(marks.values(), default=0) < 2):
        return country
    if marks:
        return max(marks, key=lambda code: marks[code])  # a tie: the first listed
    return country


def _country_currency(text: str, language: str) -> str | None:
    if language == "pl":
        return "PLN"
    if _MALAYSIA.search(text):
        return "MYR"
    if "$" in text or _US_ADDRESS.search(text) or _US_PHONE.search(text):
        return "USD"
    if _UK_VAT.search(text) or _UK_POSTCODE.search(text):
        return "GBP"  # the pound signs lost to OCR, the VAT number or postcode remain
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
