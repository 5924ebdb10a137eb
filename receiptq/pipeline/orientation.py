"""A page turned a quarter, half or three quarters (and no EXIF tag to say so) found and
turned upright.

Asked only when the first reading of the page is weak: upright pages, the usual case,
cost nothing more. Then Tesseract's orientation detection (OSD) tells the text's axis
(upright or upside down, or sideways), and a band across the middle of the page is read
both ways up along that axis: the turn whose band holds clearly more characters in
confident words wins. On generated receipts OSD found the axis every time but put the
text upside down on one noisy page in six; reading the text itself tells which way up it
is. Without OSD (no osd.traineddata) all four turns are read. Figures and the command:
docs/extraction.md ("Pages turned sideways or upside down").
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from receiptq.pipeline.ocr import OcrEngine, Word, tessdata_dir

#: A word counts when Tesseract is at least this confident of it (0-100)...
CONFIDENT = 60
#: ...and it has at least this many letters or digits.
MIN_WORD = 2
#: A reading whose letters and digits are at least this share in confident words, and at
#: least this many, is upright. A sideways page reads as stray pairs of letters and digits,
#: some confident (52 of 83 on a generated receipt, the key rows' second reader adding
#: to it); the upright generated receipts read 198 to 690. Below either, the page is
#: checked, which costs time, never a wrong turn.
UPRIGHT_SHARE = 0.6
UPRIGHT_CHARS = 100
#: The band read in each turn: this share of the page's height, about its middle.
BAND = (0.35, 0.65)
#: A turn is taken only when its band holds this many confident characters...
MIN_CHARS = 20
#: ...and, where the page as it is was a candidate, this many times its band's.
MARGIN = 1.5
#: Pages (and bands) smaller than this (px) hold no line of text to go by.
MIN_SIDE = 16
TURNS = (0, 90, 180, 270)  # degrees counterclockwise
AXES = {0: (0, 180), 90: (90, 270)}  # the turns along the axis OSD sees, by turn % 180


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def confident_chars(words: Iterable[Word]) -> tuple[int, int]:
    """(letters and digits in confident words, letters and digits in all words)."""
    confident = total = 0
    for word in words:
        n = _letters(word.text)
        total += n
        if word.conf >= CONFIDENT and n >= MIN_WORD:
            confident += n
    return confident, total


def looks_upright(words: Iterable[Word]) -> bool:
    """Most of what was read, read with confidence: no need to look for a turn."""
    confident, total = confident_chars(words)
    return confident >= UPRIGHT_CHARS and confident >= UPRIGHT_SHARE * total


def turned(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` (a multiple of 90) counterclockwise."""
    return np.ascontiguousarray(np.rot90(image, k=(degrees // 90) % 4))


def band_score(image: np.ndarray, engine: OcrEngine) -> int:
    """Confident characters read in the middle band of ``image``."""
    height = image.shape[0]
    top, bottom = (round(height * share) for share in BAND)
    if bottom - top < MIN_SIDE:
        return 0
    reading = engine.read(np.ascontiguousarray(image[top:bottom]), psm=6)
    return confident_chars(reading.words)[0]


def detect_turn(image: np.ndarray) -> int | None:
    """Tesseract's OSD: the degrees counterclockwise that would stand the text upright,
    or None when it cannot tell (too little text, or no osd.traineddata)."""
    folder = tessdata_dir()
    if folder is None or not (Path(folder) / "osd.traineddata").is_file():
        return None
    try:
        import tesserocr
    except ImportError:
        return _pytesseract_turn(image)
    from PIL import Image

    api = getattr(_local, "osd", None)
    if api is None:
        api = _local.osd = tesserocr.PyTessBaseAPI(
            path=folder, lang="osd", psm=tesserocr.PSM.OSD_ONLY
        )
    api.SetImage(Image.fromarray(np.ascontiguousarray(image)))
    try:
        found = api.DetectOrientationScript()
    finally:
        api.Clear()
    return None if not found else int(found["orient_deg"]) % 360


_local = threading.local()  # a thread's OSD engine, kept loaded (prefork: one per process)


def _pytesseract_turn(image: np.ndarray) -> int | None:
    import pytesseract

    try:
        found = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:  # too few characters
        return None
    return int(found["orientation"]) % 360


def upright_turn(image: np.ndarray, engine: OcrEngine) -> int:
    """How many degrees counterclockwise to turn ``image`` (gray) so its text stands
    upright. Along the axis OSD sees: sideways, the better way up of the two; upright or
    upside down, 180 only when it reads clearly better than the page as it is."""
    if min(image.shape[:2]) < MIN_SIDE:
        return 0  # no line of text fits
    detected = detect_turn(image)
    candidates = TURNS if detected is None else AXES[detected % 180]
    scores = {degrees: band_score(turned(image, degrees), engine) for degrees in candidates}
    best = max(candidates, key=lambda degrees: scores[degrees])
    if best == 0 or scores[best] < MIN_CHARS:
        return 0
    if 0 in scores and scores[best] < MARGIN * scores[0]:
        return 0
    return best
