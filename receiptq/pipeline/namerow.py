"""A Polish receipt's name row read again by Tesseract's Polish model alone, as one line
across the page.

Two ways the first reading loses a Polish shop's name, both of the row rather than of
the rules:

- Tesseract with ``eng+pol`` lets the English model's reading of a word win, and English
  has no ł: "Kłos" comes out "Ktos" at 91 % (and the word list then makes it "Ktoś", a
  real word). The Polish model alone reads the same crop "Kłos".
- The page's layout analysis can leave the end of a faint row unread or read as a speck
  ("Sp. z o.o. O", the O at 19 %, for "Sp. z o.o. Sp. k."); the line model cannot help,
  it is shown only the boxes Tesseract found. Read as one line over the page's width, the
  row's end is there.

The second reading does not replace the row: it is merged word by word (`merge_row`), so
it only adds what it is sure of and what the first reading was not.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Container, Sequence

import numpy as np

from receiptq.pipeline.analysis.diacritics import MARKED
from receiptq.pipeline.analysis.layout import Layout
from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.merchant import has_legal_suffix, normalize_legal_forms
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrEngine, OcrResult, Word
from receiptq.pipeline.refine import segment_box

#: Page segmentation mode of one line of text.
ONE_LINE = 7
#: The name is looked for among this many rows of the header.
NAME_ROWS = 4
#: The second reading's words count at this confidence or above...
SURE = 80
#: ...and a first reading's word below this is a guess they may take the place of.
WEAK = 50
#: A word the second reading adds at the row's end is at most this many row heights from
#: the row's words (a gap as wide as between a row's columns ends it).
NEAR = 1.6


def name_row(layout: Layout) -> Line | None:
    """The row of the header that holds the name: the first with a legal form, else the
    header's first row."""
    head = layout.header[:NAME_ROWS]
    for line in head:
        if has_legal_suffix(normalize_legal_forms(line.text)):
            return line
    return head[0] if head else None


def crop_row(page: np.ndarray, line: Line) -> tuple[np.ndarray, int]:
    """The band of ``page`` that holds ``line``, the page's whole width, and its top."""
    _, y0, _, y1 = segment_box(line.words)
    pad = max(3, (y1 - y0) // 4)
    top = max(0, y0 - pad)
    return page[top : y1 + pad], top


def marks_added(first: str, second: str) -> bool:
    """Whether ``second`` is ``first`` with Polish marks put on letters the English model
    reads without them ("Ktos" / "Kłos", "Zrodlana" / "Źródlana"). A mark does not change
    a letter's case: "SŁar" for "Star" is a misreading."""
    if len(first) != len(second) or first == second:
        return False
    for a, b in zip(first, second, strict=True):
        if a == b:
            continue
        if b.lower() not in MARKED.get(a.lower(), ()) or a.isupper() != b.isupper():
            return False
    return True


def _unlikely(first: str, second: str, known: Container[str] | None) -> bool:
    """Whether the marked ``second`` is a misreading the word list (``known``) tells:
    ``first`` is a word it knows and ``second`` one it does not ("Polska" / "Pólska")."""
    if known is None:
        return False
    a, b = (re.sub(r"[\W\d_]+", "", t).lower() for t in (first, second))
    return a in known and b not in known


def _overlap(a: Word, b: Word) -> bool:
    """Whether ``a`` and ``b`` share more than half the narrower one's columns."""
    inter = min(a.right, b.right) - max(a.left, b.left)
    return inter > 0.5 * min(a.width, b.width)


def _covers(a: Word, b: Word) -> bool:
    """Whether the boxes of ``a`` and ``b`` overlap as `_overlap` and in their rows."""
    return _overlap(a, b) and min(a.bottom, b.bottom) > max(a.top, b.top)


def _sure(word: Word) -> bool:
    return word.conf >= SURE and any(c.isalnum() for c in word.text)


def merge_row(
    first: list[Word],
    second: list[Word],
    elsewhere: Sequence[Word] = (),
    known: Container[str] | None = None,
) -> list[Word]:
    """The row's words (``first``, left to right) with what the second reading
    (``second``, in the same coordinates) is sure of: a word it reads with Polish marks
    the first lacked (`marks_added`); in place of a word the first reading guessed (below
    `WEAK`), the sure words it reads there; and at either end of the row, sure words the
    first reading did not find, each within `NEAR` row heights of the last. A word of the
    second reading where the first has a word it is sure of, or where ``elsewhere`` (the
    page's other words) has one, is not taken: that place was read. Nor are marks that
    make a word the word list ``known`` has into one it has not (`_unlikely`)."""
    sure_first = [w for w in first if w.conf >= WEAK]

    def free(w: Word) -> bool:
        return not any(_overlap(w, o) for o in sure_first) and not any(
            _covers(w, o) for o in elsewhere
        )

    out: list[Word] = []
    for word in first:
        over = [w for w in second if _overlap(w, word)]
        marked = len(over) == 1 and over[0].conf >= SURE and marks_added(word.text, over[0].text)
        if marked and not _unlikely(word.text, over[0].text, known):
            out.append(dataclasses.replace(word, text=over[0].text, conf=over[0].conf))
        elif word.conf < WEAK and over and all(_sure(w) and free(w) for w in over):
            out.extend(over)
        else:
            out.append(word)
    if not out:
        return out
    rest = [w for w in second if not any(_overlap(w, o) for o in out)]
    for w in sorted((w for w in rest if w.left >= out[-1].right), key=lambda w: w.left):
        if not _sure(w) or not free(w) or w.left - out[-1].right > NEAR * out[-1].height:
            break
        out.append(w)
    for w in sorted((w for w in rest if w.right <= out[0].left), key=lambda w: -w.right):
        if not _sure(w) or not free(w) or out[0].left - w.right > NEAR * out[0].height:
            break
        out.insert(0, w)
    return out


def reread_name_row(
    page: np.ndarray, ocr: OcrResult, layout: Layout, polish: OcrEngine
) -> OcrResult:
    """``ocr`` (the reading of ``page``, its rows ``layout``) with the name row merged with
    its reading by ``polish``, Tesseract's Polish model (`merge_row`); ``ocr`` itself when
    that adds nothing."""
    line = name_row(layout)
    if line is None:
        return ocr
    crop, top = crop_row(page, line)
    if not crop.size:
        return ocr
    again = [
        dataclasses.replace(w, top=w.top + top, block=line.words[0].block,
                            par=line.words[0].par, line=line.words[0].line)
        for w in polish.read(crop, psm=ONE_LINE).words
    ]  # fmt: skip
    row = {id(w) for w in line.words}
    elsewhere = [w for w in ocr.words if id(w) not in row]
    merged = merge_row(line.words, again, elsewhere, lexicon("pol"))
    if [(w.text, w.left) for w in merged] == [(w.text, w.left) for w in line.words]:
        return ocr
    if not row <= {id(w) for w in ocr.words}:
        return ocr  # a word of the row was made anew (two halves of an amount glued)
    words: list[Word] = []
    for w in ocr.words:
        if id(w) not in row:
            words.append(w)
        elif w is line.words[0]:
            words.extend(merged)  # in the row's place: later rules read neighbours
    return dataclasses.replace(ocr, words=words, extra={**ocr.extra, "name_row_reread": 1})
