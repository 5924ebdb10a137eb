"""Training data for the field model: candidates of our own readings, labelled by keys.

A receipt's key (company, address, date, total, as SROIE and our generated sets write
them) labels its candidates: a header row is the name's (or the address's) when most of
its characters appear, in order, in the key's name (address); an amount is the total
when it equals the key's total to the cent; a date when it is the key's date. Used by
`scripts/train_fields.py` and `benchmarks/folds.py`; nothing here runs in the service.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from receiptq.pipeline.analysis.dates import parse_dates
from receiptq.pipeline.analysis.merchant import address_row_text
from receiptq.pipeline.fields.choice import name_text
from receiptq.pipeline.fields.features import (
    AMOUNT_FEATURES,
    DATE_FEATURES,
    HEADER_ROWS,
    ROW_FEATURES,
    RulePicks,
    amount_candidates,
    date_candidates,
    row_features,
)
from receiptq.pipeline.ocr import OcrResult, Word

#: A row belongs to a key's text when this share of its characters is found there in order.
ROW_MATCH = 0.8
#: Rows shorter than this (normalized) are too short to tell whose they are.
MIN_ROW_CHARS = 2

#: LightGBM's settings: small trees, one thread and fixed seeds, so training is repeatable.
PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 5,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}
ROUNDS = 200


def norm(text: object) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(text or "").upper())


def key_total(value: object) -> Decimal | None:
    s = str(value or "").strip()
    if re.fullmatch(r"-?[^\d-]*\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    s = re.sub(r",(\d{1,2})$", r".\1", s)
    s = re.sub(r"[^\d.\-]", "", s)
    try:
        return Decimal(s).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def key_date(value: object) -> dt.date | None:
    """A key's date, day-first where it is ambiguous (SROIE's keys are Malaysian)."""
    found = parse_dates(str(value or ""))
    return found[0].date if found else None


def covered(row: str, key: str) -> float:
    """The share of ``row``'s characters found, in order, in ``key`` (both normalized)."""
    if not row or not key:
        return 0.0
    blocks = difflib.SequenceMatcher(None, row, key, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(row)


def row_labels(lines, company: str, address: str) -> tuple[list[int], list[int]]:
    """Per row: 1 where it is part of the key's company (address), else 0. A row is
    compared as the name or the address would be written from it (`receiptq.pipeline.
    fields.choice`): a registration number after a name is no part of it."""
    c, a = norm(company), norm(address)
    is_name, is_address = [], []
    for line in lines:
        as_name = norm(name_text([line]))
        as_address = norm(address_row_text(line.text))
        sc = covered(as_name, c) if len(as_name) >= MIN_ROW_CHARS else 0.0
        sa = covered(as_address, a) if len(as_address) >= MIN_ROW_CHARS else 0.0
        is_name.append(int(sc >= ROW_MATCH and sc >= sa))
        is_address.append(int(sa >= ROW_MATCH and sa > sc))
    return is_name, is_address


def load_reading(path: Path) -> OcrResult:
    """A reading stored as JSON ({"width", "height", "words": [Word fields]})."""
    d = json.loads(path.read_text(encoding="utf-8"))
    words = [Word(**w) for w in d["words"]]
    return OcrResult(words=words, width=d["width"], height=d["height"])


@dataclass
class Samples:
    """Feature rows and labels of one kind of candidate, with the receipt of each row."""

    names: list[str]
    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    group: list[str] = field(default_factory=list)

    def add(self, rows, labels, receipt: str) -> None:
        for row, label in zip(rows, labels, strict=True):
            self.x.append(list(row))
            self.y.append(int(label))
            self.group.append(receipt)

    def subset(self, keep: set[str]) -> tuple[np.ndarray, np.ndarray]:
        idx = [i for i, g in enumerate(self.group) if g in keep]
        x = np.asarray([self.x[i] for i in idx], dtype=np.float32).reshape(-1, len(self.names))
        return x, np.asarray([self.y[i] for i in idx], dtype=np.int32)


def new_samples() -> dict[str, Samples]:
    return {
        "company": Samples(ROW_FEATURES),
        "address": Samples(ROW_FEATURES),
        "total": Samples(AMOUNT_FEATURES),
        "date": Samples(DATE_FEATURES),
    }


def add_receipt(
    samples: dict[str, Samples], name: str, layout, key: dict, rules: RulePicks | None = None
) -> None:
    """Label one receipt's candidates (``layout``: its reading's
    `receiptq.pipeline.analysis.layout.Layout`; ``rules``: what the rules chose on it)."""
    from receiptq.pipeline.analysis import items_and_currency, month_first
    from receiptq.pipeline.analysis.items import item_sum

    lines = layout.lines
    items, currency = items_and_currency(layout)
    is_name, is_address = row_labels(
        lines[:HEADER_ROWS], key.get("company", ""), key.get("address", "")
    )
    rows = row_features(lines, rules)
    samples["company"].add(rows, is_name, name)
    samples["address"].add(rows, is_address, name)
    total = key_total(key.get("total"))
    amounts = amount_candidates(lines, item_sum(items), rules)
    is_total = [total is not None and c.amount.value == total for c in amounts]
    samples["total"].add([c.features for c in amounts], is_total, name)
    date = key_date(key.get("date"))
    dates = date_candidates(lines, month_first(currency), rules)
    samples["date"].add([c.features for c in dates], [c.date == date for c in dates], name)


def rule_picks(lines, known) -> RulePicks:
    """What the rules alone choose on ``lines``."""
    from receiptq.pipeline.analysis import analyze_lines

    r = analyze_lines(lines, known, model=None)
    return RulePicks(r.merchant.name, r.merchant.address, key_total(r.total), key_date(r.date))


def train(samples: Samples, keep: set[str]):
    """A LightGBM booster on the samples of the receipts in ``keep``; None when the
    labels hold one class only."""
    import lightgbm

    x, y = samples.subset(keep)
    if len(set(y.tolist())) < 2:
        return None
    data = lightgbm.Dataset(x, label=y, feature_name=list(samples.names), free_raw_data=False)
    return lightgbm.train(PARAMS, data, num_boost_round=ROUNDS)
