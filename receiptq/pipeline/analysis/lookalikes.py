"""Characters OCR confuses with their look-alikes, put back where the context tells.

Both recognizers write a digit for a letter of the same shape inside a word, and the
reverse inside a number: "L0T 1851", "INV0ICE", "Peta1ing", "12O0". Only the unambiguous
cases are changed: a zero between two letters of the same case is the letter O, an O
between two digits is zero, a one between two lower-case letters is an l and an l
before a digit after a digit or slash a one ("7/l18B"), an exclamation
mark after capitals, with capitals going on after it, is an I ("DAMA! SG BESI"); a US
state before its ZIP and a UK postcode's area are letters ("Denver, c0 80289", "Y01 9HY").
A one between
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
    (re.compile(r"(?<=[\d/])l(?=\d)"), "1"),  # "7/l18B"
    (re.compile(r"^0(?=[a-z]{2})"), "O"),  # "0ak Ave"
    (re.compile(r"(?<=^[A-Z])I(?=[a-z])"), "l"),  # "BIk G": a capital I inside a Title word
    (re.compile(r"(?<=[A-Z]{2})!(?=[A-Z])"), "I"),
)
#: "DAMA!" before another word in capitals on its row ("DAMA! SG BESI"): an I.
_BANG_END = re.compile(r"(?<=[A-Z]{2})!$")
#: A US state before its ZIP code, after the town's comma ("Denver, c0 80289"): letters.
_STATE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0]{2}$")
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
#: The outward half of a UK postcode before its inward half ("Y01 9HY"): a single-letter
#: area has no district 0, so that zero is the area's second letter.
_UK_OUTWARD = re.compile(r"^[A-Z]0\d$")
_UK_INWARD = re.compile(r"^\d[A-Z]{2}$")


def restore(text: str) -> str:
    """``text`` with look-alike digits and letters put back by their neighbours."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def restore_words(ocr: OcrResult) -> OcrResult:
    """``ocr`` with every word's text restored (the same object when nothing changed)."""
    words = []
    for i, w in enumerate(ocr.words):
        t = restore(w.text)
        nxt = ocr.words[i + 1] if i + 1 < len(ocr.words) else None
        if nxt is not None and _same_row(w, nxt):
            t = _in_context(t, ocr.words[i - 1] if i else None, nxt, w)
        words.append(w if t == w.text else dataclasses.replace(w, text=t))
    if all(a is b for a, b in zip(words, ocr.words, strict=True)):
        return ocr
    return dataclasses.replace(ocr, words=words)


def _same_row(a, b) -> bool:
    return (a.block, a.par, a.line) == (b.block, b.par, b.line)


def _in_context(text: str, prev, nxt, word) -> str:
    """``text`` (of ``word``) restored by the words on either side of it on its row."""
    if nxt.text[:1].isupper():
        text = _BANG_END.sub("I", text)
    if _UK_OUTWARD.match(text) and _UK_INWARD.match(nxt.text):
        return text[0] + "O" + text[2]
    if (
        _STATE.match(text)
        and _ZIP.match(nxt.text)
        and prev is not None
        and _same_row(prev, word)
        and prev.text.endswith(",")
    ):
        return text.upper().replace("0", "O")
    return text
