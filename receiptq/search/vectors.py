"""A saved receipt as a vector: its text and facts hashed into n-gram buckets
(receiptq.pipeline.embed), folded, unit length (docs/search.md)."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from receiptq.pipeline.embed import DIM, embed

# The hashed n-gram vector (embed.DIM buckets) folded to INDEX_DIM buckets: summing
# blocks of a hashed vector is the same hashing trick with fewer buckets (crc32 & 2047,
# then mod 256 == crc32 & 255). An eighth of the memory and time per vector; duplicates
# still score far above look-alikes (docs/search.md). Changing this or the text below
# changes EMBEDDER: rows of an older embedder are ignored and re-indexed.
INDEX_DIM = 256
EMBEDDER = f"ngram1-fold{INDEX_DIM}"
# What a receipt says (merchant, address, items) and its facts (date, time, total) weigh
# half each in the cosine. The same receipt photographed twice agrees on both; the same
# weekly basket at the same shop agrees on the first only (and maybe the total).
CONTENT_WEIGHT = 0.5**0.5
FACTS_WEIGHT = 0.5**0.5

_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def _fact_word(prefix: str, value: Any) -> str:
    """A date, time or total as a word that embed() keeps (it drops digits): its digits'
    crc32 spelt in letters. Equal values give the same word; different values unrelated
    words, so 14/03 and 15/03 do not look alike the way their digits would."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if not digits:
        return ""
    return prefix + format(zlib.crc32(f"{prefix}:{digits}".encode()), "08x").translate(_LETTERS)


def receipt_texts(receipt: dict[str, Any]) -> tuple[str, str]:
    """(content, facts) of a saved receipt (its JSON): merchant name, address and item
    descriptions; date, time and total as words."""
    merchant = receipt.get("merchant") or {}
    content = [merchant.get("name") or "", merchant.get("address") or ""]
    content += [(item or {}).get("description") or "" for item in receipt.get("items") or []]
    facts = [
        _fact_word(prefix, receipt.get(key))
        for prefix, key in (("qd", "date"), ("qt", "time"), ("qs", "total"))
    ]
    return " ".join(p for p in content if p), " ".join(p for p in facts if p)


def receipt_vectors(receipts: list[dict[str, Any]]) -> np.ndarray:
    """(n, INDEX_DIM) float32, rows unit length (or zero when a receipt has no text)."""
    texts = [t for r in receipts for t in receipt_texts(r)]
    both = embed(texts).reshape(len(receipts), 2, DIM)
    mixed = CONTENT_WEIGHT * both[:, 0] + FACTS_WEIGHT * both[:, 1]
    folded = mixed.reshape(len(receipts), DIM // INDEX_DIM, INDEX_DIM).sum(axis=1)
    norms = np.linalg.norm(folded, axis=1, keepdims=True)
    return (folded / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def receipt_vector(receipt: dict[str, Any]) -> np.ndarray:
    return receipt_vectors([receipt])[0]
