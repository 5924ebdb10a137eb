"""Text -> vector for receipt item descriptions, computed entirely by our own code.

Why not a language model: workers must run offline with nothing to download, and receipt
lines are short, abbreviated, uppercase and full of OCR errors, where whole-word models do
poorly anyway. What survives an OCR error or a till abbreviation is most of a word's
*character n-grams*: "MLEK0" still shares "<ml", "mle", "lek" with "MLEKO". So a description
becomes a bag of character 3-5-grams of its words (each word padded with "<" and ">" so that
starts and ends count), plus the word itself, hashed with a sign into DIM buckets (the
"hashing trick": no vocabulary to ship, any string has a vector) and L2-normalised, so the
inner product of two vectors is their cosine similarity.

Before that the text is normalised so that differences that carry no meaning vanish:
case, Polish diacritics ("ŻYTNI" == "ZYTNI", which many tills print), punctuation and
abbreviation dots, sizes and counts ("500G", "1,5L", "3,2%", "9PK", "4X440ML"), and common
OCR confusions inside words (0->o, 1->l, 2->z, 4->a, 5->s, 8->b, "rn"->"m"). Every function
here is pure and deterministic across processes (crc32, never Python's salted ``hash``).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import lru_cache

import numpy as np

DIM = 2048  # a power of two (the size chosen: docs/categorization.md)
NGRAM_MIN, NGRAM_MAX = 3, 5

# Letters NFKD does not decompose: Polish "ł" and a few others met on receipts.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae"})

# A size, weight, volume, percentage or pack count, optionally a multipack ("4X440ML",
# "6x1,5l"). Only whole tokens, so the "0" inside an OCR-garbled "MLEK0" is not touched.
_UNIT = (
    r"(?:%|kg|g|gr|mg|ml|cl|dl|l|ltr|pt|pint|pints|pk|pck|pack|szt|x|s|rolek|rol|wash|"
    r"tor|tab|caps|m|cm|mm|w)"
)
_SIZE = re.compile(rf"(?<![\w])(?:\d+x)?\d+(?:[.,]\d+)?\s?{_UNIT}?(?![\w])\.?")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGIT_FOLD = str.maketrans({"0": "o", "1": "l", "2": "z", "4": "a", "5": "s", "8": "b"})
# Tokens that only say how something is sold, not what it is.
# fmt: off
_STOP = frozenset({
    "kg", "g", "gr", "ml", "cl", "l", "ltr", "pt", "pint", "pk", "pack", "szt", "op", "opak",
    "waga", "each", "ea", "x", "wash",
})
# fmt: on


def normalize(text: str) -> str:
    """Reduce a receipt line to the lowercase ASCII words that identify the product.

    "MLEKO UHT 3,2% 1L" -> "mleko uht", "CHLEB ŻYTNI 500G" -> "chleb zytni",
    "PŁYN D/NACZYŃ" -> "plyn naczyn". An empty result means there is nothing to match on.
    """
    s = unicodedata.normalize("NFKD", text.translate(_FOLD))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = _SIZE.sub(" ", s)
    words = []
    for w in _NON_ALNUM.split(s):
        if not w or w.isdigit():
            continue
        if not w.isalpha():  # letters and digits mixed: OCR confusions, then drop the rest
            w = "".join(c for c in w.translate(_DIGIT_FOLD) if not c.isdigit())
        w = w.replace("rn", "m")
        if len(w) > 1 and w not in _STOP:
            words.append(w)
    return " ".join(words)


@lru_cache(maxsize=65536)
def _word_features(word: str, dim: int = DIM) -> tuple[tuple[int, float], ...]:
    """Signed hashed features of one word (indices below ``dim``, a power of two): its
    padded 3-5-grams and the word itself.

    Each word's features are scaled to unit length so that a long modifier
    ("TRUSKAWKOWY") does not outweigh the short head noun it describes ("JOGURT").
    """
    padded = f"<{word}>"
    grams = [
        padded[i : i + n]
        for n in range(NGRAM_MIN, NGRAM_MAX + 1)
        for i in range(len(padded) - n + 1)
    ]
    grams.append(f"w:{word}")
    acc: dict[int, float] = {}
    for g in grams:
        h = zlib.crc32(g.encode())
        idx = h & (dim - 1)
        acc[idx] = acc.get(idx, 0.0) + (1.0 if h >> 31 else -1.0)
    norm = float(np.sqrt(sum(v * v for v in acc.values()))) or 1.0
    return tuple((i, v / norm) for i, v in acc.items())


def embed_one(text: str, dim: int = DIM) -> np.ndarray:
    """Vector of one description (``dim`` float32, unit length, or all zeros if nothing
    left)."""
    vec = np.zeros(dim, dtype=np.float32)
    for word in normalize(text).split():
        for idx, val in _word_features(word, dim):
            vec[idx] += val
    n = float(np.linalg.norm(vec))
    if n > 0:
        vec /= n
    return vec


def embed(texts: list[str], dim: int = DIM) -> np.ndarray:
    """Vectors of many descriptions as an (n, ``dim``) float32 array, rows L2-normalised.

    Inner products between rows are cosine similarities in [-1, 1]; a row of zeros means
    the text had no words left after normalisation ("*****", "12.30").
    """
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i] = embed_one(t, dim)
    return out
