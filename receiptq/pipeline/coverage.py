"""Rows of text Tesseract's layout analysis left out, found on the page and read alone.

Tesseract first splits a page into blocks and lines, then reads them. On some pages its
layout analysis drops whole runs of rows: a Polish fiscal receipt's right-aligned
quantity rows ("0,751 x4,99   3,75 C" under each item's name) vanish from the output,
though each reads well when cropped. So after the page is read, character-sized ink is
smeared into line pieces (`preprocess.line_pieces`, as for cropping), and every piece below the
header that reaches into the price column and that no word Tesseract returned overlaps
is read again on its own as a single line (psm 7); its words, read again by the line
model where it can (`refine.reread_segment`), are added in page coordinates when they
read as an amount row. Rows are rebuilt from word positions (`analysis.lines.build_lines`),
so the added words take their places in the rows. `reread.read_page` runs this on Polish
receipts only (on English ones it found nothing worth its cost: docs/extraction.md).

The top of a page is the other place its layout analysis drops rows: the shop's name in
large or bold print, a first row above a logo. `read_uncovered_head` reads the text-shaped
pieces above the first row Tesseract returned (large print smeared at its own size) with
the line model, and adds those it reads confidently as words.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from receiptq.pipeline.analysis.amounts import find_amounts
from receiptq.pipeline.analysis.dates import parse_dates
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrEngine, OcrResult, Word
from receiptq.pipeline.preprocess import ink_mask, line_pieces
from receiptq.pipeline.recognize import LineReader
from receiptq.pipeline.refine import merge_segment, readable, reread_segment, spread_words

#: A piece at least this many character heights wide is worth reading (a lone mark is not).
MIN_WIDTH = 3.0
#: ...and at most this many character heights high (taller: a logo, a stamp, a picture).
MAX_HEIGHT = 2.5
#: A piece is read again when Tesseract's words cover less than this share of it.
COVERED = 0.2
#: Only pieces below this share of the page's height (the header's logos and stamps are
#: what Tesseract rightly leaves out there)...
HEAD_SHARE = 0.15
#: ...that reach past this share of its width (the price column) are read again.
RIGHT_SHARE = 0.6
#: At most this many pieces a page are read again (each is a small OCR call).
MAX_PIECES = 24


def uncovered_pieces(
    page: np.ndarray, ocr: OcrResult, anywhere: bool = False
) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the line pieces of ``page`` that none of ``ocr``'s words covers,
    top to bottom, below the header and reaching the price column unless ``anywhere``;
    at most `MAX_PIECES`."""
    ink = ink_mask(page)
    found = line_pieces(ink)
    if found is None:
        return []
    pstats, med = found
    covered = _covered(ink.shape, ocr)
    out = []
    height, width = page.shape[:2]
    for x, y, w, h, _ in pstats:
        if w < MIN_WIDTH * med or h > MAX_HEIGHT * med:
            continue
        if not anywhere and (y < HEAD_SHARE * height or x + w < RIGHT_SHARE * width):
            continue  # the header's logos and stamps; text far from the price column
        if covered[y : y + h, x : x + w].mean() < COVERED:
            out.append((int(x), int(y), int(w), int(h)))
    return _rows(out)[:MAX_PIECES]


def _covered(shape: tuple[int, ...], ocr: OcrResult) -> np.ndarray:
    """A mask of ``shape`` set where ``ocr``'s words lie."""
    covered = np.zeros(shape[:2], np.uint8)
    for w in ocr.words:
        if w.text.strip():
            covered[max(0, w.top) : w.bottom, max(0, w.left) : w.right] = 1
    return covered


def _crop(
    page: np.ndarray, piece: tuple[int, int, int, int], pad: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """``piece`` (x, y, w, h) of ``page`` with ``pad`` px around it, and where it starts."""
    x, y, w, h = piece
    x0, y0 = max(0, x - pad), max(0, y - pad)
    return page[y0 : y + h + pad, x0 : x + w + pad], (x0, y0)


def _read_alone(
    page: np.ndarray, piece: tuple[int, int, int, int], engine: OcrEngine, block: int, pad: int
) -> tuple[np.ndarray, tuple[int, int], list[Word]]:
    """The crop of ``piece`` (x, y, w, h) with ``pad`` px around it, where the crop starts
    on the page, and its words as ``engine`` reads it as one line, in page coordinates, in a
    ``block`` of their own."""
    crop, (x0, y0) = _crop(page, piece, pad)
    words = [
        dataclasses.replace(
            word, left=word.left + x0, top=word.top + y0, block=block, par=0, line=0
        )
        for word in engine.read(crop, psm=7).words
        if word.text.strip()
    ]
    return crop, (x0, y0), words


def _rows(pieces: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Pieces on one row (overlapping by half their height) joined into one box: a row
    read whole reads better than its columns one by one."""
    rows: list[list[int]] = []
    for x, y, w, h in sorted(pieces, key=lambda b: (b[1], b[0])):
        for r in rows:
            overlap = min(r[1] + r[3], y + h) - max(r[1], y)
            if overlap >= 0.5 * min(h, r[3]):
                right, bottom = max(r[0] + r[2], x + w), max(r[1] + r[3], y + h)
                r[0], r[1] = min(r[0], x), min(r[1], y)
                r[2], r[3] = right - r[0], bottom - r[1]
                break
        else:
            rows.append([x, y, w, h])
    return [(x, y, w, h) for x, y, w, h in rows]


#: Where the line model ran two amounts together, or an amount and its tax letter:
#: "x4,993,75C" is "x4,99", "3,75", "C" (amounts have two decimals).
_GLUED = re.compile(r"(?<=\d[.,]\d\d)(?=\d{1,4}[.,]\d\d(?!\d)|[A-G]$)")


def _split_glued(row: list[Word]) -> list[Word]:
    """``row`` with glued amounts (and a tax letter glued to one) split into words, each
    taking its share of the word's box."""
    out: list[Word] = []
    for word in row:
        parts = _GLUED.split(word.text)
        if len(parts) == 1:
            out.append(word)
            continue
        left, total = word.left, len(word.text)
        for part in parts:
            width = max(1, round(word.width * len(part) / total))
            out.append(dataclasses.replace(word, text=part, left=left, width=width))
            left += width
    return out


#: The least mean confidence (0-100) of a row read again that is added.
MIN_ROW_CONFIDENCE = 60


def _worth_adding(row: list[Word]) -> bool:
    """A row left out is added when it reads as an amount row, read with confidence:
    what Tesseract leaves out and matters is the price column; the rest it leaves out is
    mostly logos, stamps and specks, which read as words only add noise to the header."""
    if not row:
        return False
    text = " ".join(w.text for w in row)
    return bool(find_amounts(text)) and sum(w.conf for w in row) / len(row) >= MIN_ROW_CONFIDENCE


def _dated(row: list[Word]) -> bool:
    """A row left out is added when it holds a date, read with confidence (for a reading
    that has no date: the row of its date is what its layout analysis dropped)."""
    if not row:
        return False
    text = " ".join(w.text for w in row)
    return bool(parse_dates(text)) and sum(w.conf for w in row) / len(row) >= MIN_ROW_CONFIDENCE


def _line_reads_a_date(
    page: np.ndarray, piece: tuple[int, int, int, int], lines: LineReader
) -> bool:
    """Whether the line model reads a date in ``piece`` (x, y, w, h) of ``page``."""
    crop, _ = _crop(page, piece, max(3, piece[3] // 4))
    return bool(parse_dates(lines.read([crop])[0].text))


def read_uncovered(
    page: np.ndarray,
    ocr: OcrResult,
    engine: OcrEngine,
    lines: LineReader | None,
    dates: bool = False,
) -> OcrResult:
    """``ocr`` with the words of every uncovered piece of ``page`` added: each read by
    ``engine`` as one line, then by the line model ``lines`` where there is one. ``ocr``
    itself when nothing was left out. ``dates``: the pieces anywhere on the page that hold
    a date (`_dated`) instead of the price column's amount rows (`_worth_adding`)."""
    pieces = uncovered_pieces(page, ocr, anywhere=dates)
    worth = _dated if dates else _worth_adding
    if not pieces:
        return ocr
    words = list(ocr.words)
    block = max((w.block for w in words), default=0) + 1
    added = 0
    for i, piece in enumerate(pieces):
        if dates and lines is not None and not _line_reads_a_date(page, piece, lines):
            continue  # the line model's look first: most pieces are no date, and it is cheaper
        _, _, row = _read_alone(page, piece, engine, block + i, pad=max(4, piece[3] // 2))
        # small crops read alone trip Tesseract more than whole pages: the line model
        # reads the row again, word by word where the two align (refine.merge_segment)
        row = _split_glued(reread_segment(page, row, lines))
        if not worth(row):
            continue
        words.extend(row)
        added += len(row)
    if not added:
        return ocr
    return dataclasses.replace(
        ocr, words=words, extra={**ocr.extra, "words_recovered": added, "pieces": len(pieces)}
    )


#: A row above the first one read is added when the line model reads it at least this
#: confidently (logos and specks read at well under half)...
HEAD_MIN_CONFIDENCE = 0.9
#: ...or, where the line model cannot write its letters, Tesseract at this mean (0-100)...
HEAD_MIN_TESSERACT = 80
#: ...and it holds at least this many letters (a logo reads as a few digits or marks).
HEAD_MIN_LETTERS = 3


def head_pieces(page: np.ndarray, ocr: OcrResult) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the text-shaped pieces of ``page`` above the first row of ``ocr``
    that none of its words covers, joined into rows, top to bottom; at most `MAX_PIECES`."""
    words = [w for w in ocr.words if w.text.strip()]
    if not words:
        return []
    first = min(w.top for w in words)
    row = float(np.median([w.height for w in words]))
    if first < row:
        return []  # no room for a row above the first
    # the strip down to the first row's foot: its characters give the pieces their scale
    # (and what is a character still depends on the whole page's height)
    ink = ink_mask(page[: int(first + 2 * row)])
    tallest = page.shape[0] // 8
    covered = _covered(ink.shape, ocr)
    out = []
    for large in (False, True):
        found = line_pieces(ink, large=large, tallest=tallest)
        if found is None:
            continue
        pstats, med = found
        for x, y, w, h, _ in pstats:
            if w < MIN_WIDTH * med or h > MAX_HEIGHT * med or y + h > first + med:
                continue
            if covered[y : y + h, x : x + w].mean() < COVERED:
                out.append((int(x), int(y), int(w), int(h)))
    return _rows(out)[:MAX_PIECES]


def read_uncovered_head(
    page: np.ndarray, ocr: OcrResult, engine: OcrEngine, lines: LineReader | None
) -> OcrResult:
    """``ocr`` with the rows above its first one that it left out (`head_pieces`) added,
    each read by ``engine`` as one line and by the line model ``lines``; ``ocr`` itself
    when there is no line model or nothing was added."""
    pieces = head_pieces(page, ocr) if lines is not None else []
    if lines is None or not pieces:
        return ocr
    words = list(ocr.words)
    block = max((w.block for w in words), default=0) + 1
    added = 0
    for i, piece in enumerate(pieces):
        crop, (x0, y0), seg = _read_alone(page, piece, engine, block + i, max(4, piece[3] // 4))
        box = Word(text="", conf=0.0, left=x0, top=y0, width=crop.shape[1],
                   height=crop.shape[0], block=block + i, par=0, line=0)  # fmt: skip
        text = " ".join(word.text for word in seg)
        if seg and not readable(text, lines.alphabet):
            row = seg if sum(wd.conf for wd in seg) / len(seg) >= HEAD_MIN_TESSERACT else []
        else:
            reading = lines.read([crop])[0]
            if reading.conf < HEAD_MIN_CONFIDENCE:
                continue
            row = merge_segment(seg, reading, lexicon()) if seg else spread_words([box], reading)
        if sum(c.isalpha() for wd in row for c in wd.text) < HEAD_MIN_LETTERS:
            continue
        words.extend(row)
        added += len(row)
    if not added:
        return ocr
    return dataclasses.replace(ocr, words=words, extra={**ocr.extra, "head_words_added": added})
