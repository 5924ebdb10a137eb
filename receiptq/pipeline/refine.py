"""Re-read the rows the key fields come from with a stronger line recognizer.

Tesseract's layout (rows, words, column gaps) is kept; only the text of chosen column
segments is replaced by what `receiptq.pipeline.recognize` reads in the same box. Reading
every row twice would cost too much CPU, so only these are re-read:

- the first rows of the header (merchant name and address live there);
- segments that look like a date (or what OCR left of one), and rows labelled "Date";
- below the header, in the lower 60 % of the page, the segments that hold an amount
  (totals, cash, change; item prices come along, which the arithmetic checks use).

Polish receipts are left to Tesseract's Polish model (the line recognizer's alphabet has
no Polish letters, nor £ or €: a segment where Tesseract read one keeps its reading), but
for the amounts of their summary rows (the rate block, SUMA PLN, the payment), digits the
line model reads better (`summary_segments`).
A header row whose reading holds a word no word list knows is read twice more, with other
margins, and such a word is taken from them where they read a known word in its place.
What it gains and costs: docs/extraction.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Callable, Container

import numpy as np

from receiptq.pipeline.analysis.keywords import classify
from receiptq.pipeline.analysis.layout import Layout, page_layout
from receiptq.pipeline.analysis.lines import Line, build_lines
from receiptq.pipeline.analysis.merchant import goes_on_as_address, header_lines
from receiptq.pipeline.analysis.paragon import is_paragon_summary
from receiptq.pipeline.lexicon import all_known, lexicon
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.recognize import LineReader, Reading
from receiptq.pipeline.spelling import from_views, in_doubt

#: Header rows re-read whole...
HEAD_ROWS = 6
#: ...and up to this many more below them where the address goes on (a postcode or an
#: address word: the address's last rows, under a long name or a registration row).
ADDRESS_ROWS = 3
#: Below HEAD_ROWS, a header segment with a word Tesseract is this unsure of is re-read.
WEAK_WORD = 50
#: Rows below this fraction of the page height may hold the summary amounts.
SUMMARY_FROM = 0.4
#: A reading below this confidence keeps Tesseract's words (unless word by word, below).
MIN_CONFIDENCE = 0.7
#: ...nor a reading that has fewer than this share of Tesseract's letters and digits
#: ("NO,JADUKU7EKS7," for "NO 4, JALAN DUKU DK U7/DK, SEKSYEN U7,": the line model
#: loses its way on a long crop and merges what it cannot tell apart).
MIN_KEPT = 0.6
#: Where both engines split a segment into as many words, each word comes from the more
#: confident engine, Tesseract's confidence weighted by this (it is the less calibrated).
TESSERACT_WEIGHT = 0.9
#: Engine confidence above which a same-length disagreement is not put to the word list.
SURE = 0.97
#: Readings of a segment less alike than this (difflib ratio, spaces left out) are not
#: paired word by word.
MIN_ALIGNMENT = 0.6
#: Tesseract's confidence at which its reading of a letter the line model split stands.
SURE_ENOUGH = 80
#: Tesseract's confidence below which a word is a guess (dropped where the line model,
#: reading the segment confidently, put no letters in its place).
GUESS = 10
#: A word more than this many times the segment's median height is left out of the crop's
#: height (its box took in specks or the next row).
TALL_WORD = 1.6

_AMOUNT = re.compile(r"\d[.,]\s?\d\d")
# A date, or what is left of one after Tesseract's misreadings ("3003/2018", "O4- 0d 2016").
_DATE = re.compile(r"\d\s?[./-]\s?\d|[./-]\s?(?:19|20)?\d\d\b|\d{1,2}\s?[A-Za-z]{3}\s?\d{2,4}")
#: An amount's decimal part at the end of a word ("-.02", "12,50", "RM5.25").
_DECIMAL_END = re.compile(r"[.,]\d\d$")
#: A mark between two digits: "23/1", "12.50", "04-05".
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[./:,-](?=\d)")
#: (its colon read as an s: "Dates 12/04/2019")
_DATE_LABEL = re.compile(r"(?i)\b(?:dates?|dated|tarikh|tgl)\b")


def chosen_segments(lines: list[Line], head: list[Line] | None = None) -> list[list[Word]]:
    """The column segments worth a second reading, top to bottom (``head``: the rows'
    `header_lines`, when known).

    Rows above the header's end count whether or not the header kept them: a row that
    Tesseract garbled into "noise" is just the row worth reading again.
    """
    head = header_lines(lines) if head is None else head
    head_end = head[-1].index if head else -1
    in_head = {line.index for line in head}
    chosen: list[list[Word]] = []
    seen = 0  # header rows above this one
    for line in lines:
        whole = line.index <= head_end and (
            seen < HEAD_ROWS or (seen < HEAD_ROWS + ADDRESS_ROWS and goes_on_as_address(line.text))
        )
        dated = bool(_DATE_LABEL.search(line.text))
        summary = line.index > head_end and line.rel_y > SUMMARY_FROM
        for seg in line.segments:
            text = _text(seg)
            weak = line.index <= head_end and min(w.conf for w in seg) < WEAK_WORD
            if whole or weak or dated or _DATE.search(text) or (summary and _AMOUNT.search(text)):
                chosen.append(seg)
        seen += line.index in in_head
    return chosen


def is_summary(text: str) -> bool:
    label, score = classify(text, ("total", "cash", "card", "change", "rate_sales", "tax"))
    return is_paragon_summary(text) or (label is not None and score >= 4)


def summary_segments(lines: list[Line], head: list[Line]) -> list[list[Word]]:
    """The segments that hold an amount on a Polish receipt's summary rows (the rate
    block, SUMA PLN, the payment), where the line model reads digits better than
    Tesseract; item rows keep Tesseract's reading (the line model drops the spaces between
    their numbers)."""
    head_end = head[-1].index if head else -1
    return [seg for line in lines if line.index > head_end and is_summary(line.text)
            for seg in line.segments if _AMOUNT.search(_text(seg))]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class MergeLimits:
    """The hand-set merge's thresholds (`merge_segment`), the module's constants by default;
    others are for measuring them (benchmarks/merge_grid.py)."""

    min_confidence: float = MIN_CONFIDENCE
    tesseract_weight: float = TESSERACT_WEIGHT
    guess: float = GUESS


SHIPPED_LIMITS = MergeLimits()

#: How a segment's two readings become its words: `merge_segment` or a learned chooser
#: (`receiptq.pipeline.chooser`), called with the segment, the line reading, the word list.
Merge = Callable[[list[Word], Reading, Container[str] | None], list[Word]]


#: Letters only Tesseract's Polish model writes: on a page that is not Polish they are its
#: guesses at a row it could not read, no reason to keep its reading.
POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")


def segments_to_reread(layout: Layout, alphabet: frozenset[str]) -> list[list[Word]]:
    """The segments of a reading's rows (``layout``) that the line model reads again."""
    if layout.language == "pl":
        segments = summary_segments(layout.lines, layout.header)
        dated: set[int] = set()
    else:
        segments = chosen_segments(layout.lines, layout.header)
        alphabet = alphabet | POLISH_LETTERS
        # a row labelled as the date holds digits and marks the line model writes: a
        # marked letter Tesseract read there ("Date : Mèrz/Olé") is its misreading
        dated = {id(seg[0]) for line in layout.lines if _DATE_LABEL.search(line.text)
                 for seg in line.segments}  # fmt: skip
    return [seg for seg in segments if id(seg[0]) in dated or readable(_text(seg), alphabet)]


def refine(
    page: np.ndarray,
    ocr: OcrResult,
    engine: LineReader | None,
    layout: Layout | None = None,
    merge: Merge | None = None,
) -> OcrResult:
    """`ocr` with the chosen segments read again by the line recognizer ``engine`` and
    merged (by ``merge``, by default `merge_segment`); `ocr` itself when there is no
    recognizer. `page` is the image `ocr` was read from (same coordinates); ``layout`` is
    `ocr`'s rows as read (`page_layout` without restoring), when the caller has it."""
    if engine is None or not ocr.words:
        return ocr
    layout = layout or page_layout(build_lines(ocr), restore=False)
    lines = layout.lines
    segments = segments_to_reread(layout, engine.alphabet)
    if not segments:
        return ocr
    readings = engine.read([crop_segment(page, seg) for seg in segments])
    known = lexicon()
    if known is not None:
        readings = _with_views(page, segments, readings, layout, engine, known)
    merge = merge or merge_segment
    replaced: dict[int, list[Word]] = {}
    for seg, reading in zip(segments, readings, strict=True):
        merged = merge(seg, reading, known)
        if merged != seg:  # new text, or the confidence both engines agree on
            replaced[id(seg[0])] = merged
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


#: Other crops of a header row with a word no list knows: its margin doubled and halved.
VIEW_MARGINS = (0.5, 0.125)


def _with_views(
    page: np.ndarray,
    segments: list[list[Word]],
    readings: list[Reading],
    layout: Layout,
    engine: LineReader,
    known: Container[str],
) -> list[Reading]:
    """``readings`` of ``segments`` with the words no list knows in the header's rows
    taken from other crops of their rows where those read a known word in their place
    (`spelling.from_views`): a letter the print left in doubt reads one way with one
    margin and the other way with another."""
    head_end = layout.header[-1].index if layout.header else -1
    head_segments = {id(seg[0]) for line in layout.lines if line.index <= head_end
                     for seg in line.segments}  # fmt: skip
    doubtful = [
        i
        for i, (seg, reading) in enumerate(zip(segments, readings, strict=True))
        if id(seg[0]) in head_segments and any(in_doubt(w, known) for w in reading.text.split(" "))
    ]
    if not doubtful:
        return readings
    views = engine.read(
        [crop_segment(page, segments[i], margin) for margin in VIEW_MARGINS for i in doubtful]
    )
    out = list(readings)
    for k, i in enumerate(doubtful):
        others = [views[m * len(doubtful) + k].text for m in range(len(VIEW_MARGINS))]
        text = from_views(out[i].text, others, known)
        if text != out[i].text:
            words = text.split(" ")  # as many as before: words are replaced, not split
            probs = [p for _, p in out[i].words]
            if len(probs) != len(words):
                probs = [out[i].conf] * len(words)
            out[i] = Reading(text, out[i].conf, tuple(zip(words, probs, strict=True)))
    return out


def reread_segment(page: np.ndarray, seg: list[Word], engine: LineReader | None) -> list[Word]:
    """One segment of ``page`` read again by the line model ``engine`` and merged
    (`merge_segment`), whatever the receipt's language; ``seg`` itself without a
    recognizer or where Tesseract read a sign the model cannot write (`readable`)."""
    if engine is None or not seg or not readable(_text(seg), engine.alphabet):
        return seg
    return merge_segment(seg, engine.read([crop_segment(page, seg)])[0], lexicon())


def readable(text: str, alphabet: frozenset[str]) -> bool:
    """False when Tesseract saw a letter or currency sign the line model cannot write
    (£29.83 would come back as f29.83): that segment keeps Tesseract's reading. A sign
    with no amount beside it ("U13/¥" for "U13/X") is Tesseract's misreading, no reason;
    so is a marked letter inside a number ("GSÓ0833650": its Polish model's Ó for 0)."""
    for i, c in enumerate(text):
        if c in alphabet:
            continue
        kind = unicodedata.category(c)
        if kind[0] == "L":
            # the word around the letter (both patterns match, if only the empty string)
            before, after = re.search(r"\S*$", text[:i]), re.match(r"\S*", text[i + 1 :])
            word = (before[0] if before else "") + (after[0] if after else "")
            if sum(ch.isdigit() for ch in word) >= 3:
                continue
            return False
        beside_digit = re.search(r"\d\s?$", text[:i]) or re.match(r"\s?\d", text[i + 1 :])
        if kind == "Sc" and beside_digit:
            return False
    return True


def _text(seg: list[Word]) -> str:
    return " ".join(w.text for w in seg)


def segment_box(seg: list[Word]) -> tuple[int, int, int, int]:
    """The segment's box; its height is that of its words of ordinary height, so a word
    whose box Tesseract stretched over specks or the next row ("pee" for BAKE, 74 px
    high among 32 px words) does not bring another row into the crop."""
    heights = sorted(w.height for w in seg)
    usual = heights[(len(heights) - 1) // 2]
    rows = [w for w in seg if w.height <= TALL_WORD * usual]
    return (
        min(w.left for w in seg),
        min(w.top for w in rows),
        max(w.right for w in seg),
        max(w.bottom for w in rows),
    )


def crop_segment(page: np.ndarray, seg: list[Word], margin: float = 0.25) -> np.ndarray:
    """The segment's box on ``page`` with a margin of ``margin`` times its height."""
    x0, y0, x1, y1 = segment_box(seg)
    pad = max(3, int((y1 - y0) * margin))
    return page[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]


def merge_segment(
    seg: list[Word],
    reading: Reading,
    known: Container[str] | None = None,
    limits: MergeLimits = SHIPPED_LIMITS,
) -> list[Word]:
    """The segment's words after a second reading.

    Word by word where the two readings can be paired: both split the segment into as
    many words ("Denver, CO" stays, though the line model read "c0"), or, for a row of
    words, the line model's letters align with Tesseract's (it often drops the spaces:
    "6,Jalan"), so each of Tesseract's words gets the letters read in its place. Each
    pair is settled by `choose`. Else the line model's whole reading when it is
    confident, else `seg` itself. ``known`` is the word list (`receiptq.pipeline.lexicon`)
    that settles disagreements, or None; ``limits`` its thresholds."""
    if not reading.text:
        return seg
    pairs: list[tuple[Word, tuple[str, float] | None]] | None
    if len(reading.words) == len(seg):
        pairs = list(zip(seg, reading.words, strict=True))
    else:
        pairs = _aligned(seg, reading) if _wordy(reading.text) else None
    if pairs is not None:
        return [
            word if other is None else choose(word, *other, known, limits.tesseract_weight)
            for word, other in pairs
            # a word Tesseract all but guessed, to which a confident line reading gave no
            # letters, was read into its neighbour ("Sek," "US," / "Sek.U3,")
            if other is not None
            or word.conf >= limits.guess
            or reading.conf < limits.min_confidence
        ]
    kept = len(_alnum(reading.text)) >= MIN_KEPT * len(_alnum(_text(seg)))
    if reading.conf >= limits.min_confidence and kept:
        return spread_words(seg, reading)
    return seg


def choose(
    word: Word,
    text: str,
    prob: float,
    known: Container[str] | None = None,
    tesseract_weight: float = TESSERACT_WEIGHT,
) -> Word:
    """Tesseract's `word`, or the line model's `text` read with mean probability `prob`.

    Where exactly one of the two spellings is a known word, that one; but a reading of the
    same length that one engine is sure of (>= `SURE`) is left to confidence: the line
    model is rarely wrong at 0.99, and names ("SANYU") are not in any word list. Otherwise
    the more confident engine, Tesseract's confidence weighted by ``tesseract_weight``.
    """
    if text == word.text:
        # two engines agreeing: as sure as the surer of them
        return dataclasses.replace(word, conf=max(word.conf, prob * 100))
    if _ampersand_as_eight(word.text, text):
        return word  # "No.2&4," / "No.284,": the line model writes & as 8
    if _split_letter(word.text, text) and word.conf >= SURE_ENOUGH:
        return word  # "Temenggung" / "Temeriggung": the line model split n into ri
    if _dropped_separator(word.text, text):
        # "-.02" / "-02": the same digits, and only Tesseract's read as an amount
        return dataclasses.replace(word, conf=max(word.conf, prob * 100))
    line_model = dataclasses.replace(word, text=text, conf=prob * 100)
    tess_conf = word.conf / 100
    if known is not None and not (len(text) == len(word.text) and max(tess_conf, prob) >= SURE):
        a, b = all_known(word.text, known), all_known(text, known)
        if a is True and b is False:
            return word
        if b is True and a is False:
            return line_model
        if a is True and b is None and _dropped_letters(text, word.text, shortest=1, lost=None):
            return word  # "Johor" / "hr": too short to look up, but letters lost
    if _dropped_letters(text, word.text):
        return word
    return word if tess_conf * tesseract_weight >= prob else line_model


def _ampersand_as_eight(tess: str, line: str) -> bool:
    """Whether the two readings differ only where Tesseract read "&" and the line model
    an 8."""
    if len(tess) != len(line) or "&" not in tess:
        return False
    return all(a == b or (a == "&" and b == "8") for a, b in zip(tess, line, strict=True))


#: A letter and the two letters it can be misread as ("n" / "ri", "m" / "rn").
SPLIT_LETTERS = {"n": "ri", "m": "rn", "d": "cl", "h": "li", "w": "vv"}


def _split_letter(tess: str, line: str) -> bool:
    """Whether ``line`` is ``tess`` with one letter read as the two letters it looks like
    ("Temenggung" / "Temeriggung"). Words are printed with whole letters, so Tesseract's
    reading stands where it is fairly sure of it."""
    if len(line) != len(tess) + 1:
        return False
    for i, c in enumerate(tess):
        pair = SPLIT_LETTERS.get(c.lower())
        if pair and line[:i] == tess[:i] and line[i + 2 :] == tess[i + 1 :]:
            return line[i : i + 2].lower() == pair
    return False


def _dropped_separator(tess: str, line: str) -> bool:
    """Whether the line model read Tesseract's word with the same letters and digits but
    without a separator of its digits: an amount's decimal point ("-.02" / "-02") or a
    mark between digits ("23:1," / "231,", where the page printed 23/1). These are faint
    dots and thin strokes it often drops, and the digits alone say nothing."""
    if _alnum(tess) != _alnum(line):
        return False
    if _DECIMAL_END.search(tess) and not _DECIMAL_END.search(line):
        return True
    return len(_DIGIT_SEPARATOR.findall(tess)) > len(_DIGIT_SEPARATOR.findall(line))


def _dropped_letters(short: str, long: str, shortest: int = 3, lost: int | None = 2) -> bool:
    """Whether ``short`` is ``long`` with letters left out ("Vilage" / "Village",
    "Heath" / "Health"): the line model's CTC decoding merges a doubled letter and drops
    faint ones, while Tesseract rarely reads a letter that is not there. ``short`` has at
    least ``shortest`` letters and digits and lacks at most ``lost`` (None: any number)."""
    short, long = _alnum(short), _alnum(long)  # "Vilage." / "Village"
    if not shortest <= len(short) < len(long):
        return False
    if lost is not None and len(long) - len(short) > lost:
        return False
    if sum(c.isalpha() for c in short) < 0.6 * len(short):
        return False  # amounts and codes: a digit more is no likelier than a digit less
    rest = iter(long)
    return all(c in rest for c in short)


def _alnum(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _wordy(text: str) -> bool:
    """Mostly letters: a row of words, not of amounts (whose digits align too easily)."""
    chars = text.replace(" ", "")
    return sum(c.isalpha() for c in chars) >= 0.5 * len(chars)


def _aligned(
    seg: list[Word], reading: Reading
) -> list[tuple[Word, tuple[str, float] | None]] | None:
    """Each of Tesseract's words with the line model's letters in the same place (and
    their mean probability), or None for a word whose place cannot be told; None when the
    two readings are too unalike to pair up (below `MIN_ALIGNMENT`)."""
    tess = "".join(w.text for w in seg)
    line = "".join(text for text, _ in reading.words)
    probs = [p for text, p in reading.words for _ in text]
    matcher = difflib.SequenceMatcher(None, tess, line, autojunk=False)
    if matcher.ratio() < MIN_ALIGNMENT:
        return None
    # Where each boundary between Tesseract's letters falls in the line model's reading:
    # exact inside runs that match or are substituted letter for letter, only at the ends
    # of other edits (so letters the line model inserted join the word before them).
    bounds: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or i2 - i1 == j2 - j1:
            bounds.update((k, j1 + k - i1) for k in range(i1, i2 + 1))
        else:
            bounds[i1], bounds[i2] = j1, j2
    pairs: list[tuple[Word, tuple[str, float] | None]] = []
    start = 0
    for word in seg:
        end = start + len(word.text)
        a, b = bounds.get(start), bounds.get(end)
        if a is None or b is None or b <= a:
            pairs.append((word, None))
        else:
            pairs.append((word, (line[a:b], sum(probs[a:b]) / (b - a))))
        start = end
    return pairs


def spread_words(seg: list[Word], reading: Reading) -> list[Word]:
    """The reading as words spread over the segment's box in proportion to their length
    (the recognizer gives no word positions; only order and column matter downstream)."""
    x0, y0, x1, y1 = segment_box(seg)
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
