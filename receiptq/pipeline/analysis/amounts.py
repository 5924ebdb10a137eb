"""Money amounts: parse them, label them, and decide which one is the total.

No single rule finds the total on real receipts: "TOTAL" also labels quantities and tax,
the rounded total sits below the unrounded one, and OCR misreads labels. So every amount
that could be the total becomes a candidate scored by its label, its position (totals sit
low on the page) and arithmetic that ties amounts together (subtotal + tax, cash - change,
the item sum, an amount repeated as the amount paid).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from receiptq.pipeline.analysis.keywords import MIN_LABEL_SCORE, classify
from receiptq.pipeline.analysis.lines import Line

#: An amount with exactly two decimals; thousands separated by "," or " " (Polish) allowed.
#: OCR's letter O inside digits is accepted and read as 0.
AMOUNT_RE = re.compile(
    r"(?:(?<![\w.,/:-])(?P<neg>-\s?)?"
    r"|(?<=--))"  # a dashed leader ("Rounded --15.90") is no minus sign
    r"(?P<cur>RM|R[HN](?=\d)|MYR|PLN|USD|EUR|GBP|SGD|ZŁ|ZL|\$|€|£)?\s?"  # RH, RN: RM misread
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?=[.,]\d\d\b)|[\dO]*\d[\dO]*"
    r"|(?<=-)(?=[.,]\d\d))"  # "-.02": a rounding adjustment without its zero
    r"(?P<sep>[.,])(?P<dec>[\dO]{2})"
    r"(?P<trail>-)?"
    r"(?![\d.,]*\d|\s?%)",
    re.IGNORECASE,
)

_MAX_AMOUNT = Decimal("1000000")


def parse_amount(text: str) -> Decimal | None:
    """The single money amount in ``text`` ("RM 9.00", "12,30 zł", "1,234.50"), or None."""
    found = find_amounts(text)
    return found[0][0] if len(found) == 1 else None


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """Every money amount in ``text`` as (value, start, end); never raises."""
    out: list[tuple[Decimal, int, int]] = []
    for m in AMOUNT_RE.finditer(text):
        integer = m["int"].replace(",", "").replace(" ", "").upper().replace("O", "0") or "0"
        decimals = m["dec"].upper().replace("O", "0")
        if not integer.isdigit() or not decimals.isdigit():
            continue
        try:
            value = Decimal(f"{int(integer)}.{decimals}")
        except (InvalidOperation, ValueError):
            continue
        if value >= _MAX_AMOUNT:
            continue
        if m["neg"] or m["trail"]:
            value = -value
        out.append((value, m.start(), m.end()))
    return out


def format_amount(value: Decimal | None) -> str | None:
    """Decimal string with two places ("12.30"), the receipt model's money format."""
    return None if value is None else str(value.quantize(Decimal("0.01")))


@dataclass
class Amount:
    """An amount seen on a line, with what labels it."""

    value: Decimal
    line: int
    label: str | None
    label_len: int
    rel_y: float
    right: bool  # the last amount on its line (amount columns are at the right)
    cut: bool = False  # one decimal only ("Total Payable: 41.4"): a digit lost, no amount


@dataclass
class Totals:
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    rounding: Decimal | None = None
    cash: Decimal | None = None
    change: Decimal | None = None
    confidence: float = 0.0
    amounts: list[Amount] = field(default_factory=list)


#: A times sign and a unit price, its two decimals run into the digits of what follows.
_PRICE_RUN_ON = re.compile(r"([x×X*@]\s?\d{1,6}[.,]\d{2})(?=-?\d)")


def respace_numbers(text: str) -> str:
    """An item row's numbers with the space put back after the unit price where the line
    model ran it into the line's value ("1x3,593,59C" -> "1x3,59 3,59C", "1x1.751.75SR"):
    a unit price has two decimals, so the value starts right after them."""
    return _PRICE_RUN_ON.sub(r"\1 ", text)


#: A count in brackets beside a label: "SUBTOTAL (9 items)", "RAZEM (3 szt.)".
_BRACKETED_COUNT = re.compile(r"[(\[]\s*\d{1,4}\s*[^\W\d_]{0,6}\.?\s*[)\]]")


def label_text(text: str) -> str:
    """A line's text with the amounts removed: what remains is its label. A count in
    brackets is no part of it: squashed, "SUBTOTAL (9 items)" holds TOTALITEMS, a longer
    spelling (of the item count) than SUBTOTAL."""
    return _BRACKETED_COUNT.sub(" ", AMOUNT_RE.sub(" ", text))


#: An amount at the end of a total row with one of its two decimals lost.
_CUT_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,6}[.,]\d)\W*$")
#: An amount read with a space beside its separator ("SUMA PLN 46, 74", "KARTA 46 ,74"),
#: taken only at the end of a summary row.
_SPACED_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,6})(?: [.,] ?| ?[.,] )(\d{2})\W*$")
_SUMMARY_LABELS = ("total", "rounded_total", "subtotal", "tax", "cash", "card", "change",
                   "rate_sales")  # fmt: skip


#: A percentage on a row: a tip guide's options each have one.
_PERCENT = re.compile(r"\d\s?%")
#: A tip named on its row ("Tip 18% = 5.60  Total 39.19").
_TIP_WORD = re.compile(r"(?i)\b(?:tips?|gratuity)\b")


def tip_guide_rows(
    lines: list[Line], labels: list[str | None], found: list[list[tuple[Decimal, int, int]]]
) -> set[int]:
    """Rows of a US check's tip guide: under its heading ("Suggested Tip:"), the rows of
    its options, each a percentage, the tip and the total with it ("18% = 5.60  Total
    39.19"; one whose percentage OCR lost or put on a row of its own still has two
    amounts), up to the first row with one amount and no percentage; and any row naming
    a tip beside a percentage and two amounts. Their totals are what the bill would come
    to with a tip, not the bill. ``labels`` and ``found``: each row's label class
    (`classify`) and amounts (`find_amounts`)."""
    rows: set[int] = set()
    in_guide = False
    for i, line in enumerate(lines):
        amounts = found[i]
        percent = bool(_PERCENT.search(line.text))
        if labels[i] == "tip_guide" and not amounts:
            in_guide = True
            continue
        if in_guide:
            split = i > 0 and bool(_PERCENT.search(lines[i - 1].text)) and not found[i - 1]
            in_guide = percent or not amounts or len(amounts) >= 2 or split
        if in_guide or (percent and len(amounts) >= 2 and _TIP_WORD.search(line.text)):
            rows.add(i)
    return rows


def collect_amounts(lines: list[Line]) -> list[Amount]:
    """Amounts on every line, labelled by their own line or, failing that, the line above;
    a tip guide's amounts are labelled "tip_guide" (`tip_guide_rows`).

    A label with its amount on the next line ("TOTAL" / "9.00") is common on narrow
    receipts and when OCR splits a row.
    """
    out: list[Amount] = []
    labels = [classify(label_text(line.text)) for line in lines]
    rows = [find_amounts(line.text) for line in lines]
    guide = tip_guide_rows(lines, [label for label, _ in labels], rows)
    for i, line in enumerate(lines):
        found = rows[i]
        label, llen = ("tip_guide", 0) if i in guide else labels[i]
        if label is None and i > 0 and not rows[i - 1]:
            label, llen = labels[i - 1]
            if llen < MIN_LABEL_SCORE:
                label = None  # a product's name a letter from a label ("toaletowy": TOTAL)
            llen -= 2  # a label one line up is weaker evidence
        if not found and label in _SUMMARY_LABELS and (sp := _SPACED_AMOUNT.search(line.text)):
            found = [(Decimal(f"{sp[1]}.{sp[2]}"), sp.start(), sp.end())]
        m = (
            None
            if found or label not in ("total", "rounded_total")
            else _CUT_AMOUNT.search(line.text)
        )
        if m:
            value = Decimal(m[1].replace(",", "."))
            out.append(Amount(value, i, label, llen, line.rel_y, True, cut=True))
        for k, (value, _, _) in enumerate(found):
            out.append(
                Amount(
                    value=value,
                    line=i,
                    label=label,
                    label_len=llen,
                    rel_y=line.rel_y,
                    right=k == len(found) - 1,
                )
            )
    return out


_LABEL_WEIGHT = {
    "rounded_total": 12.0,
    "total": 10.0,
    "subtotal": 4.0,
    "cash": 3.0,
    "card": 4.0,
    None: 0.0,
}


def _label_and_place(a: Amount, label: str | None) -> float:
    """A total candidate's score from its label (and how specific it is) and its height on
    the page, before any arithmetic."""
    s = _LABEL_WEIGHT[label]
    if label in ("total", "rounded_total"):
        s += min(a.label_len, 14) * 0.3
    return s + 2.0 * a.rel_y + 0.5


def _last(amounts: list[Amount], label: str) -> Decimal | None:
    vals = [a.value for a in amounts if a.label == label and a.right and a.value >= 0]
    return vals[-1] if vals else None


def _is_rounded_from(a: Amount, labelled: list[Amount], rounding: Decimal) -> bool:
    """Whether ``a`` is an earlier labelled total plus the rounding adjustment.

    A printed negative adjustment has a known direction; an unsigned one may go either way.
    """
    if rounding == 0:
        return False
    deltas = (rounding,) if rounding < 0 else (rounding, -rounding)
    return any(b.line < a.line and a.value == b.value + d for b in labelled for d in deltas)


#: Cash totals are rounded to this step (Malaysia's 5 sen; a rounding to 10 is one too).
ROUNDING_STEP = Decimal("0.05")


def _rounded_below(amounts: list[Amount]) -> tuple[Amount, Decimal] | None:
    """A labelled total and the amount due after the rounding adjustment printed on the
    row right under it, when that lands on a multiple of `ROUNDING_STEP` (an unsigned
    adjustment goes the way that does)."""
    for r in amounts:
        if r.label != "rounding" or not r.right or not 0 < abs(r.value) < ROUNDING_STEP:
            continue
        above = [a for a in amounts if a.line == r.line - 1 and a.right and a.label == "total"]
        for a in above:
            deltas = (r.value,) if r.value < 0 else (r.value, -r.value)
            for d in deltas:
                if (a.value + d) % ROUNDING_STEP == 0:
                    return a, a.value + d
    return None


def _sums_parts(a: Amount, labelled: list[Amount]) -> bool:
    """Whether ``a`` is the sum of two labelled totals on different rows above it: the
    grand total under a GST summary ("Total 0% supplies" + "Total 6% supplies (incl.)"),
    one of them negative where goods were returned ("Total 0% supplies: -4.20")."""
    above = [b for b in labelled if b.line < a.line and b.value != 0 and b.value != a.value]
    return any(
        b.line != c.line and b.value + c.value == a.value
        for i, b in enumerate(above)
        for c in above[i + 1 :]
    )


def _one_digit_lost(seen: Decimal, full: Decimal) -> bool:
    """Whether ``seen`` is ``full`` with one digit dropped ("8.41" for 68.41, "41.4" for
    41.44): OCR loses the faint first or a thin digit of a bold total."""
    a, b = str(seen).replace(".", ""), f"{full:.2f}".replace(".", "")
    return len(b) == len(a) + 1 and any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


def _restored_totals(amounts: list[Amount], labelled: list[Amount]) -> dict[Decimal, Amount]:
    """Grand totals read with a digit lost, restored by arithmetic: the sum of two
    labelled totals above it (the parts of a GST summary) that the printed total is one
    digit short of. Maps each restored value to the amount it replaces."""
    out: dict[Decimal, Amount] = {}
    for a in amounts:
        if a.label not in ("total", "rounded_total") or not a.right or a.value <= 0:
            continue
        above = [b for b in labelled if b.line < a.line and b.value != 0]
        for i, b in enumerate(above):
            for c in above[i + 1 :]:
                whole = b.value + c.value
                if b.line != c.line and whole > 0 and _one_digit_lost(a.value, whole):
                    out.setdefault(whole, a)
    return out


#: "SPRZEDAŻ OPODATKOWANA A 28,37" and "PTU A 23,00 % 5,30": a rate's letter, its
#: percentage and the tax at it.
_RATE_LETTER = re.compile(r"OPOD\w*\W+([A-G])\b", re.IGNORECASE)  # also "Sprzed. opod. A"
_PTU_RATE = re.compile(r"\bPTU\W+([A-G])\W+(\d{1,2})[.,](\d{2})\s?%", re.IGNORECASE)
_SUMA_PTU = re.compile(r"\bSUMA\W+PTU\b", re.IGNORECASE)


def rates_check_out(lines: list[Line], amounts: list[Amount]) -> bool:
    """Whether each rate's sales row has a PTU row whose tax is that rate's share of the
    sales (gross x r / (100 + r), to the grosz), one PTU row for each, and the taxes add
    up to the SUMA PTU row: the rows were read right, digit for digit, and none was lost."""
    last = {a.line: a.value for a in amounts if a.right}
    sales: dict[str, Decimal] = {}
    taxes: dict[str, tuple[Decimal, Decimal]] = {}
    tax_total = None
    for i, line in enumerate(lines):
        if i not in last:
            continue
        if m := _PTU_RATE.search(line.text):
            taxes[m[1].upper()] = (Decimal(f"{m[2]}.{m[3]}"), last[i])
        elif m := _RATE_LETTER.search(line.text):
            sales[m[1].upper()] = last[i]
        elif _SUMA_PTU.search(line.text):
            tax_total = last[i]
    if not sales or sales.keys() != taxes.keys() or tax_total is None:
        return False
    if sum((tax for _, tax in taxes.values()), Decimal(0)) != tax_total:
        return False
    cent = Decimal("0.01")
    return all(
        abs((sales[k] * rate / (100 + rate)).quantize(cent) - tax) <= cent
        for k, (rate, tax) in taxes.items()
    )


#: Labels of amounts that state the bill: what a total made up from the items must match.
_STATED_BILL = ("total", "rounded_total", "card")
#: Sales tax, GST and VAT rates (percent) common enough to check a tax against.
COMMON_TAX_RATES = (5, 6, 7, 8, 10, 20, 23)


def _taxed_item_sum(item_sum: Decimal | None, tax: Decimal | None) -> Decimal | None:
    """The bill the items make when ``tax`` is their tax at a common rate: the item sum
    itself when prices include the tax (54.50 with 3.08 of 6 % in it), the sum plus the
    tax when they do not (50.00 + 3.00); None when no rate explains the tax."""
    if item_sum is None or tax is None or item_sum <= 0 or tax <= 0:
        return None
    cent = Decimal("0.01")
    for rate in COMMON_TAX_RATES:
        if abs((item_sum * rate / (100 + rate)).quantize(cent) - tax) <= cent / 2:
            return item_sum
        if abs((item_sum * rate / 100).quantize(cent) - tax) <= cent / 2:
            return item_sum + tax
    return None


def extract_totals(lines: list[Line], item_sum: Decimal | None = None) -> Totals:
    """Pick total, subtotal, tax, rounding, cash and change from the lines' amounts."""
    amounts = [a for a in collect_amounts(lines) if a.label != "tip_guide"]
    cut = [a for a in amounts if a.cut]
    amounts = [a for a in amounts if not a.cut]
    res = Totals(amounts=amounts)
    if not amounts:
        return res
    res.subtotal = _last(amounts, "subtotal")
    res.tax = _last(amounts, "tax")
    res.cash = _last(amounts, "cash")
    res.change = _last(amounts, "change")
    # ("Rounding RM177.20": a rounded total with "Total" misread, not an adjustment)
    rounding = [a.value for a in amounts if a.label == "rounding" and a.right and abs(a.value) < 1]
    res.rounding = rounding[-1] if rounding else None

    counts = Counter(a.value for a in amounts if a.value > 0)
    labelled = [a for a in amounts if a.label in ("total", "subtotal") and a.right]
    paid = (
        res.cash - res.change
        if res.cash is not None and res.change is not None and res.cash > res.change
        else None
    )
    biggest = max(a.value for a in amounts)
    row_max: dict[int, Decimal] = {}
    for a in amounts:
        row_max[a.line] = max(row_max.get(a.line, a.value), a.value)
    scores: dict[Decimal, float] = {}
    for a in amounts:
        # Only the last amount of a row can be its total: earlier ones are other
        # columns (net and tax in a GST summary, quantity and unit price in an item).
        if a.value <= 0 or not a.right:
            continue
        label = a.label
        if label == "rounding" and a.value >= 1:
            label = "rounded_total"  # "Total after rounding" with "Total" misread
        if label not in _LABEL_WEIGHT:
            continue
        s = _label_and_place(a, label)
        s += min(counts[a.value] - 1, 3) * 1.0
        if a.value == biggest:
            s += 0.5
        if paid == a.value:
            s += 6.0
        elif res.change is None and res.cash == a.value and label in ("total", "rounded_total"):
            s += 2.0  # paid exactly, no change printed: the cash row repeats the total
        if res.subtotal is not None and res.tax is not None and res.subtotal + res.tax == a.value:
            s += 3.0
        if item_sum is not None and item_sum == a.value and not (label == "subtotal" and res.tax):
            s += 2.0  # (items adding up to a subtotal a tax is added to say it is no bill)
        if _sums_parts(a, labelled):
            s += 3.0
        if res.rounding is not None:
            if _is_rounded_from(a, labelled, res.rounding):
                s += 4.0
            elif label == "rounded_total" and any(b.value != a.value for b in labelled):
                # A rounded total that no total plus rounding explains is likely misread.
                s -= 5.0 if res.rounding == 0 else 3.0
        if label == "total" and a.value < row_max.get(a.line, a.value):
            s -= 4.0  # "TOTAL: 16.98 1.02": a summary's columns (amount, tax), not the total
        if a.label is None and res.cash is not None and a.value > res.cash:
            s -= 2.0
        scores[a.value] = max(scores.get(a.value, -1e9), s)
    if (rounded := _rounded_below(amounts)) is not None and rounded[0].value in scores:
        # the amount due is the total with the adjustment printed under it, though no row
        # prints it ("TOTAL 12.42" / "ROUNDING ADJ -0.02"): it outranks the total itself
        total, due = rounded
        scores[due] = max(scores.get(due, -1e9), scores[total.value] + 1.0)
    for whole, a in _restored_totals(amounts + cut, labelled).items():
        if whole not in scores:
            # the printed total's label and place, and the arithmetic of `_sums_parts`
            base = _label_and_place(a, a.label) if a.cut else scores[a.value]
            scores[whole] = base + 3.0
    service = _last(amounts, "service")
    if service is not None and res.subtotal is not None and res.tax is not None:
        # Subtotal + service charge + tax (+ rounding) is the bill: when no amount read
        # says so, the total line was likely misread ("Fo ahinay Amount ex").
        billed = res.subtotal + service + res.tax + (res.rounding or 0)
        if billed > 0 and billed not in scores:
            scores[billed] = 10.0  # as a total label would score
        elif billed in scores:
            scores[billed] += 3.0
    taxed = _taxed_item_sum(item_sum, res.tax)
    if (
        taxed is not None
        and taxed not in scores
        and res.subtotal in (None, item_sum)
        and not any(a.label in _STATED_BILL and a.right and a.value != taxed for a in amounts)
    ):
        # No total printed legibly, but the items add up to an amount whose tax at a
        # common rate is the tax printed, and no subtotal or card payment says otherwise
        # (items a row short can match a rate by chance): that amount is the bill.
        scores[taxed] = 12.0
    by_rate = [a.value for a in amounts if a.label == "rate_sales" and a.right and a.value > 0]
    if by_rate:
        # Polish fiscal receipts print the gross sales at each PTU rate; they add up to the
        # total, and the payment (card or cash) says the same when SUMA was misread.
        rate_sum = sum(by_rate, Decimal(0))
        paid_so = any(
            a.value == rate_sum and a.label in ("card", "cash") and a.right for a in amounts
        )
        if rate_sum in scores:  # a printed amount; a row lost makes the sum no candidate
            scores[rate_sum] += 4.0 + (6.0 if paid_so else 0.0)
        elif rates_check_out(lines, amounts):
            # ...unless every rate's PTU is its share of that rate's sales: then the sum
            # is the total even where no row printed it legibly ("SUMA PLN 37,35")
            scores[rate_sum] = 16.0
    if paid is not None and paid not in scores:
        # Nothing printed reads as cash - change: the total line was likely misread.
        scores[paid] = 9.0
        if res.rounding is not None and any(
            paid == b.value + d for b in labelled for d in (res.rounding, -res.rounding)
        ):
            scores[paid] += 6.0  # ...and a total plus the rounding gives it: the rounded total
    if not scores:
        return res
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    res.total = ranked[0][0]
    top = ranked[0][1]
    margin = top - ranked[1][1] if len(ranked) > 1 else top
    res.confidence = round(min(1.0, max(0.05, top / 20.0)) * (0.6 + 0.4 * min(margin / 5, 1)), 3)
    return res
