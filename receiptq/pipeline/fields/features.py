"""Features of a reading's rows, amounts and dates, for the field model.

Each candidate (a header row for the merchant's name and address, an amount for the
total, a parsed date for the purchase date) becomes one row of numbers the trained
model scores. The features describe the candidate's place on the page, its size, the
shape of its text, the labels near it and, for amounts, the arithmetic that ties it to
the others. Nothing here names a shop or a value: a feature must mean the same on a
receipt from a shop never seen.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from receiptq.pipeline.analysis import merchant as mr
from receiptq.pipeline.analysis.amounts import (
    Amount,
    collect_amounts,
    find_amounts,
    label_text,
)
from receiptq.pipeline.analysis.dates import (
    _DATE_LABEL,
    _NOT_PURCHASE,
    DateCandidate,
    parse_dates,
    parse_time,
)
from receiptq.pipeline.analysis.keywords import LABELS, classify, squash
from receiptq.pipeline.analysis.lines import Line

#: Rows from the top that may hold the merchant's name or address.
HEADER_ROWS = 30

#: Label classes as numbers (0: no label), for the amount and row features.
LABEL_IDS = {name: i + 1 for i, name in enumerate(LABELS)}

_WEB = re.compile(r"@|WWW|HTTP|\.COM\b|\.MY\b|\.PL\b", re.IGNORECASE)
_REG_PAREN = re.compile(r"[\(\[][^()\[\]]*\d{3,}[^()\[\]]*[\)\]]?")
_QTY = re.compile(r"\d\s*[xX@*]\s*\d|\bQTY\b", re.IGNORECASE)
_CURRENCY = re.compile(r"\bRM\b|\$|£|€|\bPLN\b|\bZŁ\b|\bMYR\b", re.IGNORECASE)
ORDERS = ("ymd", "dmy", "mdy", "named", "compact", "repaired")


def _shape(text: str) -> list[float]:
    """Length and character classes of a text."""
    chars = [c for c in text if not c.isspace()]
    n = max(len(chars), 1)
    letters = [c for c in chars if c.isalpha()]
    return [
        float(len(chars)),
        float(len(text.split())),
        len(letters) / n,
        sum(c.isdigit() for c in chars) / n,
        sum(c.isupper() for c in letters) / max(len(letters), 1),
        sum(not c.isalnum() for c in chars) / n,
    ]


def _row_flags(text: str) -> list[float]:
    fixed = mr.normalize_legal_forms(mr.fix_word_letters(text))
    label, score = classify(label_text(text))
    return [
        float(mr.has_legal_suffix(fixed)),
        float(bool(mr._STRONG_FORM.search(fixed))),
        float(bool(mr._FORM_START.match(fixed))),
        float(mr._is_registration(text)),
        float(mr._is_contact(text)),
        float(bool(mr._ADDRESS_WORDS.search(text))),
        float(bool(mr._POSTCODE.search(text))),
        float(bool(mr._BUILDING_WORDS.search(text))),
        float(bool(mr._HOUSE_NUMBER.match(text))),
        float(bool(mr._PHONE_LIKE.search(text))),
        float(bool(mr._STOP.search(text))),
        float(bool(parse_dates(text))),
        float(parse_time(text) is not None),
        float(mr._has_money(text)),
        float(len(find_amounts(text))),
        float(LABEL_IDS.get(label, 0) if label else 0),
        float(score),
        float(bool(_WEB.search(text))),
        float(bool(_REG_PAREN.search(text))),
        float(text.rstrip().endswith(",")),
        float(text.count("(") - text.count(")")),
    ]


ROW_FLAG_NAMES = [
    "legal", "strong_form", "form_start", "registration", "contact", "address_word",
    "postcode", "building", "house_number", "phone_like", "stop", "date", "time", "money",
    "amounts", "label", "label_score", "web", "reg_paren", "ends_comma", "open_paren",
]  # fmt: skip
SHAPE_NAMES = ["chars", "words", "letters", "digits", "upper", "punct"]
#: Flags also given for the rows above and below.
_NEIGHBOUR = ("legal", "registration", "contact", "address_word", "postcode", "money")
_NEIGHBOUR_AT = [ROW_FLAG_NAMES.index(n) for n in _NEIGHBOUR]

ROW_FEATURES = (
    ["index", "text_index", "height_rank", "from_first_money", "before_money", "rel_y",
     "height", "width", "left",
     "centre", "conf", "min_conf", "noise", "from_first_legal", "from_first_postcode",
     "from_first_contact"]
    + SHAPE_NAMES + ROW_FLAG_NAMES
    + [f"up_{n}" for n in _NEIGHBOUR] + ["up_chars", "up_height"]
    + [f"down_{n}" for n in _NEIGHBOUR] + ["down_chars", "down_height"]
    + ["rules_name", "rules_address"]
)  # fmt: skip


@dataclass
class RulePicks:
    """What the hand-written rules chose on the same reading: one more opinion the trees
    weigh (they learn where the rules are right, on shops the rules never saw)."""

    name: str | None = None
    address: str | None = None
    total: Decimal | None = None
    date: dt.date | None = None


def _norm(text: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def _within(row: str, text: str) -> float:
    """1 when the row's letters and digits stand in ``text``, else 0."""
    return float(bool(row) and row in text)


def _first(flags: list[list[float]], name: str) -> int:
    at = ROW_FLAG_NAMES.index(name)
    return next((i for i, f in enumerate(flags) if f[at]), len(flags) + 5)


def row_features(lines: list[Line], rules: RulePicks | None = None) -> np.ndarray:
    """One row of `ROW_FEATURES` per line of the first `HEADER_ROWS` lines."""
    rules = rules or RulePicks()
    rule_name, rule_address = _norm(rules.name), _norm(rules.address)
    rows = lines[:HEADER_ROWS]
    if not rows:
        return np.zeros((0, len(ROW_FEATURES)), dtype=np.float32)
    flags = [_row_flags(ln.text) for ln in rows]
    shapes = [_shape(ln.text) for ln in rows]
    heights = sorted(ln.height for ln in lines) or [1.0]
    median_h = max(heights[len(heights) // 2], 1.0)
    width = max(rows[0].page_width, 1)
    money_at = ROW_FLAG_NAMES.index("money")
    first_money = next((i for i, f in enumerate(flags) if f[money_at]), len(rows) + 5)
    first_legal, first_post = _first(flags, "legal"), _first(flags, "postcode")
    first_contact = _first(flags, "contact")
    noise = [mr._is_noise(ln) for ln in rows]
    text_index = [sum(not x for x in noise[:i]) for i in range(len(rows))]
    tallest = sorted({ln.height for ln in rows}, reverse=True)
    out = []
    for i, line in enumerate(rows):
        centre = (line.left + line.right) / 2 / width
        feats = [
            float(i),
            float(text_index[i]),
            float(tallest.index(line.height)),
            float(i - first_money),
            float(i < first_money),
            line.rel_y,
            line.height / median_h,
            (line.right - line.left) / width,
            line.left / width,
            abs(centre - 0.5),
            line.conf,
            min(max(w.conf, 0.0) for w in line.words) / 100.0,
            float(noise[i]),
            float(i - first_legal),
            float(i - first_post),
            float(i - first_contact),
            *shapes[i],
            *flags[i],
        ]
        for j in (i - 1, i + 1):
            if 0 <= j < len(rows):
                feats += [flags[j][k] for k in _NEIGHBOUR_AT]
                feats += [shapes[j][0], rows[j].height / median_h]
            else:
                feats += [-1.0] * (len(_NEIGHBOUR_AT) + 2)
        row = _norm(line.text)
        feats += [_within(row, rule_name), _within(row, rule_address)]
        out.append(feats)
    return np.asarray(out, dtype=np.float32)


@dataclass
class AmountCandidate:
    amount: Amount
    features: list[float]


AMOUNT_FEATURES = [
    "label", "label_len", "own_label", "rel_y", "from_end", "right", "cut", "log_value",
    "rank", "is_max", "same_value", "same_value_labelled", "cash_minus_change",
    "sum_of_items", "sub_plus_tax", "larger_below", "amounts_on_line", "percent",
    "currency", "qty", "label_below", "label_above", "after_last_total", "total_rows",
    "lines_below", "five_cents", "whole", "near_twin", "twin_larger", "cash_below",
    "rules_total",
]  # fmt: skip

_BILL_LABELS = ("total", "rounded_total")
#: Amounts closer than this are one total before and after cash rounding.
_TWIN = Decimal("0.05")


def amount_candidates(
    lines: list[Line], item_sum: Decimal | None, rules: RulePicks | None = None
) -> list[AmountCandidate]:
    """Every amount of the reading with `AMOUNT_FEATURES`."""
    rules = rules or RulePicks()
    amounts = [a for a in collect_amounts(lines) if a.value >= 0]
    if not amounts:
        return []
    n = max(len(lines), 1)
    values = sorted({a.value for a in amounts}, reverse=True)
    by_label: dict[str | None, list[Decimal]] = {}
    for a in amounts:
        by_label.setdefault(a.label, []).append(a.value)
    cash, change = by_label.get("cash", []), by_label.get("change", [])
    subs, taxes = by_label.get("subtotal", []), by_label.get("tax", [])
    own = [classify(label_text(ln.text))[0] for ln in lines]
    total_lines = [a.line for a in amounts if a.label in _BILL_LABELS]
    last_total = max(total_lines) if total_lines else -1
    out = []
    for a in amounts:
        text = lines[a.line].text
        below = lines[a.line + 1].text if a.line + 1 < n else ""
        above = lines[a.line - 1].text if a.line > 0 else ""
        feats = [
            float(LABEL_IDS.get(a.label, 0) if a.label else 0),
            float(a.label_len),
            float(own[a.line] is not None),
            a.rel_y,
            float(n - a.line),
            float(a.right),
            float(a.cut),
            float(np.log1p(float(a.value))),
            values.index(a.value) / max(len(values), 1),
            float(a.value == values[0]),
            float(sum(b.value == a.value for b in amounts)),
            float(sum(b.value == a.value and b.label in _BILL_LABELS for b in amounts)),
            float(any(c - ch == a.value for c in cash for ch in change)),
            float(item_sum is not None and item_sum == a.value),
            float(any(s + t == a.value for s in subs for t in taxes)),
            float(sum(b.value > a.value and b.line > a.line for b in amounts)),
            float(len(find_amounts(text))),
            float("%" in text),
            float(bool(_CURRENCY.search(text))),
            float(bool(_QTY.search(text))),
            float(LABEL_IDS.get(classify(label_text(below))[0] or "", 0)),
            float(LABEL_IDS.get(classify(label_text(above))[0] or "", 0)),
            float(a.line - last_total) if last_total >= 0 else -99.0,
            float(len(total_lines)),
            float(sum(1 for b in amounts if b.line > a.line)),
            float(a.value * 100 % 5 == 0),
            float(a.value == a.value.to_integral_value()),
            float(any(0 < abs(b.value - a.value) < _TWIN for b in amounts)),
            float(any(0 < a.value - b.value < _TWIN for b in amounts)),
            float(any(b.label in ("cash", "card", "change") and b.line > a.line for b in amounts)),
            float(rules.total is not None and a.value == rules.total),
        ]
        out.append(AmountCandidate(a, feats))
    return out


@dataclass
class DateCandidateRow:
    date: dt.date
    line: int
    features: list[float]


DATE_FEATURES = [
    "order", "label", "not_purchase", "index", "rel_y", "time_after", "same_date",
    "earliest", "latest", "dates_on_page", "line_has_money", "ambiguous", "year_gap",
    "rules_date",
]  # fmt: skip


def date_candidates(
    lines: list[Line], month_first: bool, rules: RulePicks | None = None
) -> list[DateCandidateRow]:
    """Every date parsed on the reading's lines (in the receipt country's order) with
    `DATE_FEATURES`."""
    found: list[tuple[int, DateCandidate, str]] = []
    for i, line in enumerate(lines):
        for c in parse_dates(line.text, month_first):
            found.append((i, c, line.text))
    if not found:
        return []
    rules = rules or RulePicks()
    dates = [c.date for _, c, _ in found]
    lo, hi = min(dates), max(dates)
    n = max(len(lines), 1)
    out = []
    for i, c, text in found:
        sq = squash(text)
        digits = re.findall(r"\d+", text[c.start : c.end])
        ambiguous = len(digits) >= 2 and all(1 <= int(d) <= 12 for d in digits[:2])
        feats = [
            float(ORDERS.index(c.order) if c.order in ORDERS else -1),
            float(bool(_DATE_LABEL.search(sq))),
            float(bool(_NOT_PURCHASE.search(sq))),
            i / n,
            lines[i].rel_y,
            float(parse_time(text[c.end :]) is not None),
            float(sum(d == c.date for d in dates)),
            float(c.date == lo),
            float(c.date == hi),
            float(len(set(dates))),
            float(mr._has_money(text)),
            float(ambiguous),
            float((hi - c.date).days),
            float(c.date == rules.date),
        ]
        out.append(DateCandidateRow(c.date, i, feats))
    return out
