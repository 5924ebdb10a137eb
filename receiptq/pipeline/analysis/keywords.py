"""Find receipt keywords in OCR text that is often misread.

OCR turns TOTAL into T0TAL or TOTA1, splits ROUNDING into "Rour ding", and drops Polish
diacritics (SUMA PLN, ZAPŁATA as ZAPLATA). Labels are therefore matched on a "squashed"
form of the line (upper case, letters only, look-alike digits read as letters, diacritics
folded) with an approximate substring search that allows about one error per five letters.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

#: Digits and marks that OCR confuses with letters, read as the letter in label context.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I", "$": "S", "€": "E"})
_FOLD = str.maketrans({"Ł": "L", "ł": "L"})

#: Label classes and their spellings (English, Polish, Malay where receipts use it).
#: The longest matching spelling decides a line's class, so "SUBTOTAL" beats "TOTAL".
LABELS: dict[str, tuple[str, ...]] = {
    "total": (
        "TOTAL",
        "GRANDTOTAL",
        "NETTOTAL",
        "NETTTOTAL",
        "TOTALAMOUNT",
        "TOTALAMT",
        "TOTALSALES",
        "TOTALPAYABLE",
        "TOTALPAYMENT",
        "AMTPAYABLE",
        "PAYABLE",
        "AMOUNTDUE",
        "AMOUNTPAYABLE",
        "TOTALDUE",
        "BALANCEDUE",
        "AMOUNTTOBEPAID",
        "TOBEPAID",
        "TOTALINCLGST",
        "TOTALINCLUSIVEGST",
        "TOTALINCGST",
        "TOTALGSTINCL",  # "TOTAL (GST INCL)": the bill, not its tax ("TOTALGST")
        "TOTALGSTINCLUSIVE",
        "TOTALRM",
        "JUMLAH",
        "SUMA",
        "SUMAPLN",
        "RAZEM",
        "RAZEMPLN",
        "DOZAPLATY",
        "NALEZNOSC",
    ),
    "rounded_total": (
        "ROUNDEDTOTAL",
        "TOTALROUNDED",
        "ROUNDTOTAL",
        "TOTALAFTERROUNDING",
        "TOTALAFTERADJ",
        "AFTERROUNDING",
        "ROUNDEDAMOUNT",
        "NETAMOUNT",
        "NETAMT",
    ),
    "subtotal": (
        "SUBTOTAL",
        "SUBTOT",
        "TOTALEXCLGST",
        "TOTALEXCLUDINGGST",
        "TOTALBEFOREGST",
        "TOTALEXGST",
        "TOTALSALESEXCLGST",
        "TOTALSALESEXCLUDINGGST",
        "AMOUNTEXCLGST",
        "SUMANETTO",
        "WARTOSCNETTO",
    ),
    "tax": (
        "GST",
        "SST",
        "TAX",
        "VAT",
        "TOTALGST",
        "GSTPAYABLE",
        "TOTALTAX",
        "TAXTOTAL",
        "GSTTOTAL",
        "SERVICETAX",
        "PTU",
        "SUMAPTU",
        "KWOTAPTU",
        "INCLUDEDINTOTAL",  # "VAT 20% included in total 1.50": a part of the total
    ),
    "rounding": ("ROUNDING", "ROUNDINGADJ", "ROUNDINGADJUSTMENT", "ROUNDADJ", "ZAOKRAGLENIE"),
    # a US check's automatic gratuity (large parties) is billed like a service charge
    "service": ("SERVICECHARGE", "SERVICECHG", "SVCCHARGE", "SVCCHG", "SERVICECHRG", "GRATUITY"),
    # Polish fiscal receipts: the gross sales at each PTU rate, which add up to SUMA
    "rate_sales": ("SPRZEDAZOPODATKOWANA", "SPRZEDOPOD", "SPRZEDAZOPOD"),
    "cash": (
        "CASH",
        "TUNAI",
        "GOTOWKA",
        "CASHRECEIVED",
        "CASHTENDERED",
        "TENDERED",
        "PAID",
        "PAYMENT",
        "PAIDAMOUNT",
        "AMOUNTPAID",
        "AMOUNTTENDERED",
    ),
    "card": (
        "CARD",
        "CREDITCARD",
        "DEBITCARD",
        "VISA",
        "MASTERCARD",
        "MASTER",
        "KARTA",
        "KARTAPLATNICZA",
        "PLATNOSCKARTA",
        "AMEX",
    ),
    "change": ("CHANGE", "BALANCE", "CHANGEDUE", "RESZTA", "BAKI"),
    "discount": ("DISCOUNT", "DISC", "RABAT", "UPUST", "SAVINGS", "YOUSAVE"),
    "count": (
        "TOTALQTY",
        "TOTALQUANTITY",
        "TOTALITEMS",
        "TOTALITEM",
        "NOOFITEMS",
        "ITEMCOUNT",
        "TOTALNOOFITEMS",
        "QTY",
        "ILOSC",
    ),
    "deposit": ("DEPOSIT", "VOUCHER"),
    # the heading of a US check's table of tips and the totals with them (not the bill)
    "tip_guide": (
        "SUGGESTEDTIP",
        "SUGGESTEDTIPS",
        "SUGGESTEDGRATUITY",
        "TIPGUIDE",
        "GRATUITYGUIDE",
        "TIPSUGGESTIONS",
    ),
}


#: A label that scores less (`classify`) may be chance inside a product's name: a
#: five-letter label a letter off scores 2 ("Śmietana 18%" holds TANAI, a letter from
#: TUNAI, cash; "Papier toaletowy" holds TOALE, a letter from TOTAL).
MIN_LABEL_SCORE = 3


def squash(text: str) -> str:
    """Upper-case letters only, diacritics folded and look-alike digits read as letters."""
    text = text.translate(_FOLD).translate(_LOOKALIKES)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.upper() if "A" <= c <= "Z")


def max_errors(keyword: str) -> int:
    """Edits tolerated in a keyword: none below five letters, then one per five."""
    return len(keyword) // 5


@lru_cache(maxsize=65536)
def fuzzy_find(keyword: str, text: str) -> int | None:
    """Smallest edit distance of ``keyword`` to any substring of ``text``, if tolerable.

    Returns None when the best distance exceeds ``max_errors(keyword)``.
    """
    if keyword in text:
        return 0
    k = max_errors(keyword)
    if k == 0 or len(text) < len(keyword) - k:
        return None
    best = substring_distance(keyword, text)
    return best if best <= k else None


def substring_distance(pattern: str, text: str) -> int:
    """Edit distance of ``pattern`` to its best-matching substring of ``text`` (Sellers'
    problem), by Myers' bit-parallel algorithm: one pass over ``text`` with a few integer
    operations a character, instead of a row of the dynamic-programming table (the
    keyword matcher was the analysis stage's largest cost)."""
    m = len(pattern)
    if m == 0:
        return 0
    mask, high = (1 << m) - 1, 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, c in enumerate(pattern):
        peq[c] = peq.get(c, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    best = m
    for c in text:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = (ph << 1) & mask  # no carry into the lowest bit: a match may start anywhere
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
        best = min(best, score)
    return best


def classify(text: str, classes: tuple[str, ...] | None = None) -> tuple[str | None, int]:
    """The label class whose longest spelling matches ``text``, and that spelling's length.

    An exact match of a spelling outranks a fuzzy match of one up to two letters longer.
    """
    s = squash(text)
    if not s:
        return None, 0
    best: tuple[str | None, float] = (None, 0.0)
    for name, spellings in LABELS.items():
        if classes is not None and name not in classes:
            continue
        for kw in spellings:
            d = fuzzy_find(kw, s)
            if d is None:
                continue
            score = len(kw) - 2.5 * d
            if score > best[1]:
                best = (name, score)
    return best[0], int(best[1])


def has_word(text: str, keyword: str) -> bool:
    """Whether ``keyword`` (letters only) occurs, with OCR tolerance, in ``text``."""
    return fuzzy_find(squash(keyword), squash(text)) is not None
