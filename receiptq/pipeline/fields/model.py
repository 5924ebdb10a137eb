"""The field model: which rows are the merchant's name and address, which amount is the
total and which date the purchase date, chosen by gradient-boosted trees over the
features of `receiptq.pipeline.fields.features`.

The trees are LightGBM text models trained by `scripts/train_fields.py` and shipped in
the package (`receiptq/data/fields/`), loaded once per process where the setting
`field_model` asks for them (off by default: on folds split by shop the rules still choose
better, docs/extraction.md). A missing model file leaves that field to the rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.fields.features import (
    RulePicks,
    amount_candidates,
    date_candidates,
    row_features,
)

if TYPE_CHECKING:
    import lightgbm  # imported where the models are loaded: most processes never need it

MODEL_DIR = Path(__file__).resolve().parents[2] / "data" / "fields"
#: The models, one file each: rows of the name, rows of the address, the total, the date.
KINDS = ("company", "address", "total", "date")

#: A row is part of the name or address when the model gives it at least this...
ROW_IN = 0.5
#: ...and the block may grow over a neighbour this likely (a weak row between two sure ones).
ROW_EXTEND = 0.35
MAX_NAME_ROWS = 3
MAX_ADDRESS_ROWS = 6


@dataclass
class Choice:
    """What the model chose on one reading, with its probabilities as confidences."""

    name_rows: list[int] = field(default_factory=list)
    name_p: float = 0.0
    address_rows: list[int] = field(default_factory=list)
    address_p: float = 0.0
    total: Decimal | None = None
    total_p: float = 0.0
    date: dt.date | None = None
    date_line: int | None = None
    date_p: float = 0.0


class FieldModel:
    """The four boosters; `choose` scores a reading's candidates with them."""

    def __init__(self, boosters: dict[str, lightgbm.Booster], use_rules: bool = True) -> None:
        self.boosters = boosters
        self.use_rules = use_rules  # trained with the rules' picks among the features

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> FieldModel:
        import lightgbm

        boosters = {}
        for kind in KINDS:
            path = directory / f"{kind}.txt"
            if path.is_file():
                boosters[kind] = lightgbm.Booster(model_str=path.read_text(encoding="utf-8"))
        return cls(boosters)

    def _predict(self, kind: str, x: np.ndarray) -> np.ndarray | None:
        booster = self.boosters.get(kind)
        if booster is None or len(x) == 0:
            return None
        return np.asarray(booster.predict(x, num_threads=1), dtype=float)

    def choose(
        self,
        lines: list[Line],
        item_sum: Decimal | None = None,
        month_first: bool = False,
        rules: RulePicks | None = None,
    ) -> Choice:
        out = Choice()
        rules = rules if self.use_rules else None
        rows = row_features(lines, rules)
        pc = self._predict("company", rows)
        pa = self._predict("address", rows)
        if pc is not None:
            out.name_rows = block(pc, MAX_NAME_ROWS)
            out.name_p = float(pc[out.name_rows].mean()) if out.name_rows else 0.0
        if pa is not None:
            if pc is not None:  # a row is the name's or the address's, not both
                pa = np.where(np.isin(np.arange(len(pa)), out.name_rows), 0.0, pa)
            out.address_rows = block(pa, MAX_ADDRESS_ROWS)
            out.address_p = float(pa[out.address_rows].mean()) if out.address_rows else 0.0
        amounts = amount_candidates(lines, item_sum, rules)
        pt = self._predict("total", np.asarray([c.features for c in amounts], dtype=np.float32))
        if pt is not None:
            best = int(np.argmax(pt))
            out.total, out.total_p = amounts[best].amount.value, float(pt[best])
        dates = date_candidates(lines, month_first, rules)
        pd = self._predict("date", np.asarray([c.features for c in dates], dtype=np.float32))
        if pd is not None:
            best = int(np.argmax(pd))
            out.date, out.date_line, out.date_p = (
                dates[best].date,
                dates[best].line,
                float(pd[best]),
            )
        return out


def block(p: np.ndarray, max_rows: int) -> list[int]:
    """The contiguous rows around the likeliest one: it, and its neighbours while they
    are likely enough, at most ``max_rows``; none when even the likeliest is unlikely."""
    if len(p) == 0:
        return []
    top = int(np.argmax(p))
    if p[top] < ROW_IN:
        return []
    first = last = top
    while last - first + 1 < max_rows:
        up = p[first - 1] if first > 0 else -1.0
        down = p[last + 1] if last + 1 < len(p) else -1.0
        if max(up, down) < ROW_EXTEND:
            break
        if down >= up:
            last += 1
        else:
            first -= 1
    return list(range(first, last + 1))


@functools.lru_cache(maxsize=1)
def field_model() -> FieldModel | None:
    """The shipped model, loaded once per process; None when no model file is there."""
    model = FieldModel.load()
    return model if model.boosters else None


__all__ = ["Choice", "FieldModel", "block", "field_model"]
