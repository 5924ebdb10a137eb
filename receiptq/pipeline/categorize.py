"""Item categorization: nearest neighbours in a labelled catalog, by inner product.

Why nearest neighbours rather than a trained classifier: the catalog *is* the model. Adding a
product line that was miscategorized is a one-row CSV change that needs no training step, a
match can be explained ("looks like MLEKO UHT 1L, dairy"), and at a few thousand rows an exact
search costs well under a millisecond per item. Vectors come from
:mod:`receiptq.pipeline.embed` (hashed character n-grams), so similar spelling means similar
vector; the k nearest catalog entries vote, each weighted by its similarity, and a line that
resembles nothing in the catalog ("TOTAL", "*****", "RESZTA") gets ``None`` instead of a guess.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from importlib import resources

import numpy as np

from receiptq.pipeline.embed import DIM, embed, normalize
from receiptq.pipeline.sparse import SparseIndex
from receiptq.receipt import CATEGORIES, Item

# Receipt boilerplate that the extractor may hand over as an "item". These go into the index
# with no category, so "G0TÓWKA" or "SUMA PLN" find their own kind and come out as None,
# instead of the nearest product that happens to share a few letters ("KARTA" ~ "KARKÓWKA").
# fmt: off
NON_ITEMS: tuple[str, ...] = (
    # Polish
    "SUMA", "SUMA PLN", "RAZEM", "DO ZAPŁATY", "RESZTA", "GOTÓWKA", "KARTA", "KARTA PŁATNICZA",
    "PŁATNOŚĆ KARTĄ", "PTU", "KWOTA PTU", "SUMA PTU", "SPRZEDAŻ OPODATKOWANA", "RABAT", "OPUST",
    "PARAGON FISKALNY", "NIEFISKALNY", "NIP", "KASJER", "KASA", "NR SYS", "NR TRANSAKCJI",
    "WYDRUK", "TERMINAL", "BLIK", "PRZELEW", "DZIĘKUJEMY", "ZAPRASZAMY PONOWNIE", "ILOŚĆ", "CENA",
    "WARTOŚĆ", "ZŁ", "PLN", "KOD AUTORYZACJI", "SPRZEDAWCA", "ZWROT", "STORNO", "ANULOWANO",
    "PODSUMOWANIE", "NETTO", "BRUTTO", "PUNKTY", "KARTA STAŁEGO KLIENTA",
    # English
    "TOTAL", "SUBTOTAL", "SUB TOTAL", "BALANCE DUE", "AMOUNT DUE", "CHANGE", "CHANGE DUE", "CASH",
    "CARD", "DEBIT CARD", "CREDIT CARD", "VISA", "MASTERCARD", "CONTACTLESS", "VAT", "TAX",
    "DISCOUNT", "SAVINGS", "MULTIBUY SAVING", "LOYALTY POINTS", "THANK YOU", "PLEASE COME AGAIN",
    "AUTH CODE", "TRANSACTION", "RECEIPT", "ITEMS", "QTY", "PRICE", "CASHIER", "STORE", "TILL",
    "REFUND", "VOID", "GBP", "EUR", "USD", "TIP", "GRATUITY",
)
# fmt: on

DEFAULT_K = 7  # neighbours that vote (docs/categorization.md)
# Below this cosine similarity to the nearest catalog entry a line is "unknown": random
# letters rarely reach it, products misread by OCR mostly do (docs/categorization.md).
# Receipt boilerplate is handled by NON_ITEMS.
DEFAULT_THRESHOLD = 0.25


def load_catalog(text: str) -> list[tuple[str, str, str]]:
    """Parse catalog CSV text (name,category,lang) into rows, rejecting unknown categories."""
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        if r["category"] not in CATEGORIES:
            raise ValueError(f"unknown category {r['category']!r} for {r['name']!r}")
        rows.append((r["name"], r["category"], r["lang"]))
    return rows


def shipped_catalog() -> list[tuple[str, str, str]]:
    """The catalog shipped as package data (receiptq/data/products.csv)."""
    text = resources.files("receiptq").joinpath("data/products.csv").read_text(encoding="utf-8")
    return load_catalog(text)


class Categorizer:
    """k-NN categorizer over a labelled catalog.

    Catalog names that normalise to the same text ("MLEKO UHT 1L", "MLEKO UHT 0,5L") are
    stored once, so the k neighbours are k different products rather than k sizes of one.
    """

    def __init__(
        self,
        names: Iterable[str],
        categories: Iterable[str],
        *,
        k: int = DEFAULT_K,
        threshold: float = DEFAULT_THRESHOLD,
        dim: int = DIM,
    ) -> None:
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for name, cat in zip(names, categories, strict=True):
            if cat not in CATEGORIES:
                raise ValueError(f"unknown category {cat!r} for {name!r}")
            key = normalize(name)
            if key:
                votes[key][cat] += 1
        if not votes:
            raise ValueError("empty catalog")
        self.keys: list[str] = list(votes)
        # None labels the boilerplate entries: a line nearest to them is not an item.
        self.labels: list[str | None] = [votes[key].most_common(1)[0][0] for key in self.keys]
        for phrase in NON_ITEMS:
            key = normalize(phrase)
            if key and key not in votes:
                self.keys.append(key)
                self.labels.append(None)
        self.k = min(k, len(self.keys))
        self.threshold = threshold
        self.dim = dim  # of the vectors (`embed`)
        # Exact search over the sparse vectors: no FAISS in a worker (docs/categorization.md).
        self.index = SparseIndex(embed(self.keys, dim))

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, str, str]],
        *,
        k: int = DEFAULT_K,
        threshold: float = DEFAULT_THRESHOLD,
        dim: int = DIM,
    ) -> Categorizer:
        """Build from (name, category, lang) rows as :func:`load_catalog` returns them."""
        rows = list(rows)
        names, categories = [r[0] for r in rows], [r[1] for r in rows]
        return cls(names, categories, k=k, threshold=threshold, dim=dim)

    @classmethod
    def default(cls) -> Categorizer:
        """The categorizer over the shipped catalog, built on first use and then reused.

        Lazy so that importing this module (every API and worker process does) costs nothing;
        cached because building embeds the whole catalog (~0.15 s).
        """
        global _DEFAULT
        if _DEFAULT is None:
            with _DEFAULT_LOCK:
                if _DEFAULT is None:
                    _DEFAULT = cls.from_rows(shipped_catalog())
        return _DEFAULT

    def categorize(self, descriptions: list[str]) -> list[tuple[str | None, float]]:
        """Category and confidence for each description, in order.

        The confidence is the cosine similarity (0..1) of the closest catalog entry of the
        winning category. The category is ``None`` when even the closest entry is below the
        threshold (the float is then that best similarity), or when the vote goes to the
        receipt boilerplate entries (the float is the similarity to the closest of those).
        """
        if not descriptions:
            return []
        sims, idx = self.index.search(embed(descriptions, self.dim), self.k)
        return [self._vote(s, i) for s, i in zip(sims, idx, strict=True)]

    def neighbours(self, description: str) -> list[tuple[str, str | None, float]]:
        """The k nearest catalog entries (normalised name, category, similarity): for debugging
        a surprising category."""
        sims, idx = self.index.search(embed([description], self.dim), self.k)
        return [
            (self.keys[i], self.labels[i], float(s))
            for s, i in zip(sims[0], idx[0], strict=True)
            if i >= 0
        ]

    def _vote(self, sims: np.ndarray, idx: np.ndarray) -> tuple[str | None, float]:
        # Clamped: float32 rounding can put an exact match a hair above 1.
        best = min(max(float(sims[0]), 0.0), 1.0) if len(sims) else 0.0
        if best < self.threshold:
            return None, best
        score: dict[str | None, float] = defaultdict(float)
        top: dict[str | None, float] = {}
        for s, i in zip(sims, idx, strict=True):
            if i < 0 or s <= 0:
                continue
            cat = self.labels[i]
            # Squaring sharpens the vote: one near-identical entry beats several vague ones.
            score[cat] += float(s) ** 2
            top.setdefault(cat, float(s))
        winner = max(score, key=score.__getitem__)
        return winner, min(top[winner], 1.0)


_DEFAULT: Categorizer | None = None
_DEFAULT_LOCK = threading.Lock()


def categorize_items(items: list[Item], categorizer: Categorizer | None = None) -> list[Item]:
    """Copies of ``items`` with ``category`` filled in (``None`` where nothing matched).

    Items that already carry a category keep it: a category set upstream (by a user's
    correction, say) is better information than a nearest-neighbour guess.
    """
    out = [it.model_copy() for it in items]
    todo = [it for it in out if it.category is None]
    if todo:
        cat = categorizer or Categorizer.default()
        for it, (category, _score) in zip(
            todo, cat.categorize([t.description for t in todo]), strict=True
        ):
            it.category = category
    return out
