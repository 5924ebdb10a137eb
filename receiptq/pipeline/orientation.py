"""A page photographed turned any way: the angle of its text rows, and the page turned
upright both ways along them.

Deskewing (`preprocess.estimate_skew`) levels a page turned a few degrees. A receipt
photographed lying across the table (30 degrees, 120 degrees) reads as no text at all.
Its rows still print as parallel bands of ink, so the angle that makes them horizontal
is the one whose row profile is sharpest, searched over a half turn; whether the page
is then upright or upside down only a reading can tell, so both are read
(`run.upright`) and the one with more confident words is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from receiptq.pipeline.ocr import OcrEngine, OcrResult
from receiptq.pipeline.preprocess import character_stats, ink_mask

#: The angle is searched on a copy whose longer side is this (px)...
WORK_SIZE = 1200
#: Fewer character-sized blobs than this tell no angle.
MIN_CHARACTERS = 40
#: At most this many characters are compared (each with each).
MAX_CHARACTERS = 1500
#: Below this turn (degrees) the page is level enough for deskewing: no turn is tried.
MIN_TURN = 8.0


#: A word read with at least this confidence (0-100) counts as read: a page upside down
#: or turned reads as many words, few of them confidently.
CONFIDENT = 60
#: A reading with fewer confident words than this, or a mean confidence below
#: MIN_MEAN_CONFIDENCE (an upright receipt reads above 0.7 but for 5 % of photos; one
#: upside down, about 0.6), may be of a page turned: it is read turned too.
MIN_CONFIDENT_WORDS = 20
MIN_MEAN_CONFIDENCE = 0.7


#: The band of a rendering read to tell which way up it reads better: this share of its
#: height, about its middle (a receipt's middle is its item rows).
PROBE_BAND = 0.3


def probe_rows(height: int) -> tuple[int, int]:
    """The rows [top, bottom) of the band `probe` reads of a rendering ``height`` px tall."""
    return round(height * (0.5 - PROBE_BAND / 2)), round(height * (0.5 + PROBE_BAND / 2))


def probe(image: np.ndarray, ocr: OcrEngine) -> int:
    """Confident words of three letters or digits or more (`long_words`) Tesseract reads in
    the middle band of the rendering ``image``: a page on its side reads as many confident
    single letters, which would outnumber the words of a faint upright page."""
    top, bottom = probe_rows(image.shape[0])
    band = image[top:bottom]
    return long_words(ocr.read(band)) if band.size else 0


def band_words(reading: OcrResult) -> int:
    """`probe`'s score of the page a whole ``reading`` was read from, without reading it
    again: its `long_words` whose middle lies in the band `probe` would read."""
    top, bottom = probe_rows(reading.height)
    return long_words(
        OcrResult(
            words=[w for w in reading.words if top <= w.top + w.height / 2 < bottom],
            width=reading.width,
            height=reading.height,
        )
    )


#: ...or with fewer words of three letters or digits or more read confidently than this:
#: a page lying on its side reads as rows of confident single letters ("e", "O", "NAN").
MIN_LONG_WORDS = 20


def long_words(ocr: OcrResult) -> int:
    """Confidently read words of three letters or digits or more."""
    return sum(
        1 for w in ocr.words if w.conf >= CONFIDENT and sum(c.isalnum() for c in w.text) >= 3
    )


def may_be_turned(ocr: OcrResult) -> bool:
    return (
        confident_words(ocr) < MIN_CONFIDENT_WORDS
        or ocr.mean_confidence < MIN_MEAN_CONFIDENCE
        or long_words(ocr) < MIN_LONG_WORDS
    )


def confident_words(ocr: OcrResult) -> int:
    """Words of a reading that hold a letter or digit and were read confidently."""
    return sum(1 for w in ocr.words if w.conf >= CONFIDENT and any(c.isalnum() for c in w.text))


@dataclass(frozen=True)
class Rows:
    """What a page's characters tell of its text rows (`text_rows`)."""

    #: The turn (degrees counter-clockwise, in [-90, 90)) that makes the rows horizontal.
    angle: float
    #: Characters whose nearest neighbour lies along the rows (within `ROW_SPREAD`
    #: degrees) per one whose nearest neighbour lies across them.
    along: float


def text_rows(gray: np.ndarray) -> Rows | None:
    """The angle of the text rows of ``gray`` and how clearly they are rows; None when
    there are too few characters to tell.

    Each character's nearest neighbour is mostly the next letter of its row (letters sit
    closer together than rows), so the most common direction from a character to its
    nearest neighbour is the rows' (O'Gorman's docstrum). Fixed-pitch printing lines its
    letters up in columns too, which is why the profile of the rows cannot tell the rows
    from the columns. Faint print breaks letters into pieces one above the other, which
    puts nearest neighbours across the rows: where the rows are not clear
    (`CLEAR_ROWS`), they are told again with each letter's pieces joined (`Rows.along`:
    the clearer of the two).
    """
    h, w = gray.shape[:2]
    f = min(1.0, WORK_SIZE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    ink = ink_mask(small)
    found = nearest_directions(ink)
    if found is None:
        return None
    stats, points, directions = found
    counts = np.bincount(directions.astype(np.int64) % 180, minlength=180).astype(np.float64)
    # smoothed around the circle of directions, so that a peak at 179/0 degrees is one
    smooth = np.convolve(np.concatenate([counts[-3:], counts, counts[:3]]), np.ones(7), "valid")
    peak = float(smooth.argmax())
    # ...then to a quarter degree: the turn about it that packs the centres into the
    # sharpest rows (this near the rows, the columns are no rival)
    band = max(1.5, float(np.median(stats[:, cv2.CC_STAT_HEIGHT])) / 3)
    fine = np.arange(peak - 3.0, peak + 3.01, 0.25)
    angle = float(max(fine, key=lambda a: row_sharpness(points, a, band)))
    along = along_rows(directions, angle)
    if along < CLEAR_ROWS:
        # pieces a pixel or two apart (on this copy) joined
        joined = nearest_directions(
            cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        )
        if joined is not None:
            along = max(along, along_rows(joined[2], angle))
    return Rows(((angle + 90.0) % 180.0) - 90.0, along)


def nearest_directions(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The character-sized components of the mask ``ink`` (at most `MAX_CHARACTERS`), their
    centres, and the direction from each to its nearest neighbour (degrees, modulo 180);
    None when there are fewer than `MIN_CHARACTERS`."""
    stats = character_stats(ink)
    if len(stats) < MIN_CHARACTERS:
        return None
    if len(stats) > MAX_CHARACTERS:
        stats = stats[np.random.default_rng(0).choice(len(stats), MAX_CHARACTERS, replace=False)]
    points = (stats[:, :2] + stats[:, 2:4] / 2.0).astype(np.float64)
    diff = points[None, :, :] - points[:, None, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    np.fill_diagonal(dist, np.inf)
    nearest = diff[np.arange(len(points)), dist.argmin(axis=1)]
    return stats, points, np.degrees(np.arctan2(nearest[:, 1], nearest[:, 0])) % 180.0


#: Nearest neighbours within this many degrees of the rows count as along them, within
#: this many of the perpendicular as across them (`along_rows`).
ROW_SPREAD = 15.0


def along_rows(directions: np.ndarray, angle: float) -> float:
    """Of ``directions`` (degrees, modulo 180), those within `ROW_SPREAD` of ``angle`` per
    one within `ROW_SPREAD` of its perpendicular (the count itself when none is)."""
    off = np.abs((directions - angle + 90.0) % 180.0 - 90.0)  # 0..90 from the rows
    return float(np.sum(off <= ROW_SPREAD)) / max(1, int(np.sum(off >= 90.0 - ROW_SPREAD)))


def row_sharpness(points: np.ndarray, direction: float, band: float) -> float:
    """How sharply ``points`` fall into rows ``band`` high that run in ``direction``
    (degrees, image axes): the sum of the squared counts a row."""
    t = np.deg2rad(direction)
    across = points[:, 1] * np.cos(t) - points[:, 0] * np.sin(t)
    counts = np.bincount(((across - across.min()) / band).astype(np.int64))
    return float(np.square(counts.astype(np.float64)).sum())


def rotate_bound(image: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    """``image`` turned by ``angle`` degrees counter-clockwise on a canvas that holds all
    of it, ``border`` outside."""
    matrix, size = bound_rotation(image.shape, angle)
    value = border if image.ndim == 2 else (border,) * image.shape[2]
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=value)  # fmt: skip


def bound_rotation(shape: tuple[int, ...], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2 x 3 matrix `rotate_bound` turns an image of ``shape`` by, and the canvas'
    (width, height)."""
    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return matrix, (nw, nh)


#: Rows this clear (`Rows.along`: nearest neighbours along them per one across) are not
#: those of a page on its side whose columns were taken for rows: no quarter turn is
#: tried (the values measured on both kinds: docs/performance.md, the `upright` step).
CLEAR_ROWS = 2.0


@dataclass(frozen=True)
class Turn:
    """A way up to try a page: turned ``angle`` degrees counter-clockwise about its centre,
    on a canvas that holds all of it. A quarter or half turn (`exact`) moves pixels
    without resampling them."""

    angle: float

    @property
    def exact(self) -> bool:
        return self.angle % 90.0 == 0.0

    def apply(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``image`` turned, and the 3 x 3 matrix that takes its pixels back to
        ``image``'s."""
        h, w = image.shape[:2]
        quarter = round(self.angle / 90.0) % 4 if self.exact else None
        if quarter == 0:
            return image, np.eye(3)
        if quarter == 1:
            back = np.array([[0.0, -1.0, w - 1], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
            return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE), back
        if quarter == 2:
            back = np.array([[-1.0, 0.0, w - 1], [0.0, -1.0, h - 1], [0.0, 0.0, 1.0]])
            return cv2.rotate(image, cv2.ROTATE_180), back
        if quarter == 3:
            back = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, h - 1], [0.0, 0.0, 1.0]])
            return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), back
        matrix = np.vstack([bound_rotation(image.shape, self.angle)[0], [0.0, 0.0, 1.0]])
        return rotate_bound(image, self.angle), np.linalg.inv(matrix)


def upright_turns(image: np.ndarray) -> list[Turn]:
    """The turns that level the text rows of ``image``, both ways up (when they nearly are
    level already: upside down, and both quarter turns unless the rows are clear, for the
    rows' angle of a page on its side is not always told)."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    rows = text_rows(gray)
    if rows is None or abs(rows.angle) < MIN_TURN:
        if rows is not None and rows.along >= CLEAR_ROWS:
            return [Turn(180.0)]
        return [Turn(180.0), Turn(270.0), Turn(90.0)]
    return [Turn(rows.angle), Turn(rows.angle + 180.0)]
