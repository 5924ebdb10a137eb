"""Characters OCR confuses with their look-alikes, put back where the context tells.

Both recognizers write a digit for a letter of the same shape inside a word, and the
reverse inside a number: "L0T 1851", "INV0ICE", "Peta1ing", "12O0". Only the unambiguous
cases are changed: a zero between two letters of the same case is the letter O, an O
between two digits is zero, a one between two lower-case letters is an l. A one between
capitals could be I or L, and a five S; those stay as read.
"""

from __future__ import annotations

import dataclasses
import re

from receiptq.pipeline.ocr import OcrResult

_RULES = (
    (re.compile(r"(?<=[A-Z])0(?=[A-Z])"), "O"),
    (re.compile(r"(?<=[a-z])0(?=[a-z])"), "o"),
    (re.compile(r"(?<=\d)[Oo](?=\d)"), "0"),
    (re.compile(r"(?<=[a-z])1(?=[a-z])"), "l"),
)


def restore(text: str) -> str:
    """``text`` with look-alike digits and letters put back by their neighbours."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def restore_words(ocr: OcrResult) -> OcrResult:
    """``ocr`` with every word's text restored (the same object when nothing changed)."""
    words = [w if (t := restore(w.text)) == w.text else dataclasses.replace(w, text=t)
             for w in ocr.words]  # fmt: skip
    if all(a is b for a, b in zip(words, ocr.words, strict=True)):
        return ocr
    return dataclasses.replace(ocr, words=words)
