"""Re-read the rows the key fields come from with a stronger line recognizer.

Tesseract's layout (rows, words, column gaps) is kept; only the text of chosen column
segments is replaced by what `receiptq.pipeline.recognize` reads in the same box. Reading
every row twice would cost about a second of CPU a receipt, so only these are re-read:

- the first rows of the header (merchant name and address live there);
- segments that look like a date (or what OCR left of one), and rows labelled "Date";
- below the header, in the lower 60 % of the page, the segments that hold an amount
  (totals, cash, change; item prices come along, which the arithmetic checks use).

Polish receipts are left to Tesseract's Polish model: the line recognizer's alphabet has
no Polish letters (nor £ or €: a segment where Tesseract read one keeps its reading).
Measured on the SROIE dev split (docs/extraction.md): mean field accuracy 0.70 -> 0.77,
for about 0.5 s more CPU a receipt.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import numpy as np

from receiptq.pipeline.analysis.language import detect_language
from receiptq.pipeline.analysis.lines import Line, build_lines
from receiptq.pipeline.analysis.merchant import header_lines
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.recognize import Reading, recognizer

#: Header rows re-read whole.
HEAD_ROWS = 6
#: Rows below this fraction of the page height may hold the summary amounts.
SUMMARY_FROM = 0.4
#: A reading below this confidence keeps Tesseract's words (unless word by word, below).
MIN_CONFIDENCE = 0.7
#: Where both engines split a segment into as many words, each word comes from the more
#: confident engine, Tesseract's confidence weighted by this (it is the less calibrated).
TESSERACT_WEIGHT = 0.9

_AMOUNT = re.compile(r"\d[.,]\s?\d\d")
# A date, or what is left of one after Tesseract's misreadings ("3003/2018", "O4- 0d 2016").
_DATE = re.compile(r"\d\s?[./-]\s?\d|[./-]\s?(?:19|20)?\d\d\b|\d{1,2}\s?[A-Za-z]{3}\s?\d{2,4}")
_DATE_LABEL = re.compile(r"(?i)\b(?:date|dated|tarikh|tgl)\b")


def chosen_segments(lines: list[Line]) -> list[list[Word]]:
    """The column segments worth a second reading, top to bottom.

    Rows above the header's end count whether or not the header kept them: a row that
    Tesseract garbled into "noise" is just the row worth reading again.
    """
    head = header_lines(lines)
    head_end = head[-1].index if head else -1
    in_head = {line.index for line in head}
    chosen: list[list[Word]] = []
    seen = 0  # header rows above this one
    for line in lines:
        whole = line.index <= head_end and seen < HEAD_ROWS
        dated = bool(_DATE_LABEL.search(line.text))
        summary = line.index > head_end and line.rel_y > SUMMARY_FROM
        for seg in line.segments:
            text = _text(seg)
            if whole or dated or _DATE.search(text) or (summary and _AMOUNT.search(text)):
                chosen.append(seg)
        seen += line.index in in_head
    return chosen


def refine(page: np.ndarray, ocr: OcrResult) -> OcrResult:
    """`ocr` with the chosen segments read again by the line recognizer and merged
    (`merge_segment`); `ocr` itself when there is no recognizer or the receipt is Polish.
    `page` is the image `ocr` was read from (same coordinates)."""
    engine = recognizer()
    if engine is None or not ocr.words:
        return ocr
    lines = build_lines(ocr)
    if detect_language(" ".join(line.text for line in lines)) == "pl":
        return ocr
    segments = chosen_segments(lines)
    if not segments:
        return ocr
    segments = [seg for seg in segments if readable(_text(seg), engine.alphabet)]
    readings = engine.read([_crop(page, seg) for seg in segments])
    replaced: dict[int, list[Word]] = {}
    for seg, reading in zip(segments, readings, strict=True):
        words = merge_segment(seg, reading)
        if [w.text for w in words] != [w.text for w in seg]:
            replaced[id(seg[0])] = words
    if not replaced:
        return ocr
    words: list[Word] = []
    for line in lines:
        for seg in line.segments:
            words.extend(replaced.get(id(seg[0]), seg))
    return OcrResult(
        words=words,
        width=ocr.width,
        height=ocr.height,
        text=ocr.text,
        engine=f"{ocr.engine}+ppocr",
        extra={**ocr.extra, "segments_reread": len(replaced)},
    )


def readable(text: str, alphabet: frozenset[str]) -> bool:
    """False when Tesseract saw a letter or currency sign the line model cannot write
    (£29.83 would come back as f29.83): that segment keeps Tesseract's reading."""
    return all(
        c in alphabet or not (unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Sc")
        for c in text
    )


def _text(seg: list[Word]) -> str:
    return " ".join(w.text for w in seg)


def _box(seg: list[Word]) -> tuple[int, int, int, int]:
    return (
        min(w.left for w in seg),
        min(w.top for w in seg),
        max(w.right for w in seg),
        max(w.bottom for w in seg),
    )


def _crop(page: np.ndarray, seg: list[Word]) -> np.ndarray:
    x0, y0, x1, y1 = _box(seg)
    pad = max(3, (y1 - y0) // 4)
    return page[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]


def merge_segment(seg: list[Word], reading: Reading) -> list[Word]:
    """The segment's words after a second reading: word by word from the more confident
    engine when both read as many words ("Denver, CO" stays, though the line model read
    "c0"), else the line model's whole reading when it is confident, else `seg` itself."""
    if not reading.text:
        return seg
    if len(reading.words) == len(seg):
        return [
            word
            if word.conf / 100 * TESSERACT_WEIGHT >= prob
            else dataclasses.replace(word, text=text, conf=prob * 100)
            for word, (text, prob) in zip(seg, reading.words, strict=True)
        ]
    if reading.conf >= MIN_CONFIDENCE:
        return _words(seg, reading)
    return seg


def _words(seg: list[Word], reading: Reading) -> list[Word]:
    """The reading as words spread over the segment's box in proportion to their length
    (the recognizer gives no word positions; only order and column matter downstream)."""
    x0, y0, x1, y1 = _box(seg)
    tokens = reading.text.split(" ")
    span = sum(len(t) for t in tokens) + len(tokens) - 1
    out, pos = [], 0
    for token in tokens:
        left = x0 + (x1 - x0) * pos / span
        right = x0 + (x1 - x0) * (pos + len(token)) / span
        out.append(
            Word(
                text=token,
                conf=reading.conf * 100,
                left=round(left),
                top=y0,
                width=max(1, round(right - left)),
                height=y1 - y0,
                block=seg[0].block,
                par=seg[0].par,
                line=seg[0].line,
            )
        )
        pos += len(token) + 1
    return out
