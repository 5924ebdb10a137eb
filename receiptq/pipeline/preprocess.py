"""Preprocessing stage: make a page image easy for Tesseract to read.

Receipts arrive as phone photos, small thermal-printer scans and whole A4 pages with a
receipt somewhere on them. Tesseract reads best when capital letters are roughly 20-40 px
tall and the page holds little besides the text, and its CPU time grows with pixel count,
so the steps are: grayscale, shrink huge pages, flatten a photographed receipt to its
paper (four corners warped upright), straighten a skewed page (deskew), crop
to the text, scale so the text reaches a good height, flatten the background
(shadows, grey thermal paper), and clear punch holes and stains.

The other switches (binarize, sharpen, thicken, stretch) measured worse as a first pass
(docs/extraction.md has the table); ``thicken`` is the second reading's rendering
(`SECOND_PASS`). They stay as keywords so that every figure in that table can be
re-measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypedDict, Unpack

import cv2
import numpy as np

from receiptq.pipeline.paper import find_paper, flatten_paper, is_slanted, paper_transform

#: Target median height in px of a character's connected component after scaling.
TARGET_CHAR_HEIGHT = 30.0
#: Pages wider than this are shrunk before any analysis (an A4 scan at 600 dpi is 4961).
MAX_WORK_WIDTH = 2500
#: Never produce an image with more pixels than this: keeps OCR CPU bounded.
MAX_PIXELS = 3_500_000


@dataclass(frozen=True)
class Rendering:
    """A page rendered for reading, and where its pixels came from."""

    image: np.ndarray
    #: 3 x 3 projective matrix: a point (x, y, 1) of ``image`` to the page it was rendered from.
    to_page: np.ndarray
    #: The page's (height, width) in pixels.
    page_size: tuple[int, int]


class Switches(TypedDict, total=False):
    """`render`'s keywords, for callers that pass them on (`preprocess`, `Preprocessor`)."""

    target_char_height: float
    crop: bool
    paper: bool
    deskew: bool
    binarize: bool
    flatten: bool
    sharpen: float
    thicken: bool
    stretch: bool
    clear_blobs: bool


def preprocess(image: np.ndarray, **switches: Unpack[Switches]) -> np.ndarray:
    """`render` without the way back to the page: the image alone."""
    return render(image, **switches).image


def _scale(fx: float, fy: float) -> np.ndarray:
    return np.diag([fx, fy, 1.0])


def _affine(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def render(
    image: np.ndarray,
    *,
    target_char_height: float = TARGET_CHAR_HEIGHT,
    crop: bool = True,
    paper: bool = True,
    deskew: bool = True,
    binarize: bool = False,
    flatten: bool = True,
    sharpen: float = 0.0,
    thicken: bool = False,
    stretch: bool = False,
    clear_blobs: bool = True,
) -> Rendering:
    """Grayscale, flatten a photographed receipt to its paper (`receiptq.pipeline.paper`),
    crop to the text, scale it to a good height, flatten the background, clear solid blobs
    (punch holes).

    BGR or grayscale uint8 in, grayscale uint8 out. The keywords switch single steps on or
    off for measurement; the defaults are the measured best first pass. The rendering
    keeps the way back from its pixels to the page's (`Rendering.to_page`): the fields'
    regions are given on the page as uploaded.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    page_size = (gray.shape[0], gray.shape[1])
    to_page = np.eye(3)  # from the current image's pixels to the page's
    h, w = gray.shape[:2]
    if w > MAX_WORK_WIDTH:
        f = MAX_WORK_WIDTH / w
        gray = cv2.resize(
            gray, (MAX_WORK_WIDTH, max(1, round(h * f))), interpolation=cv2.INTER_AREA
        )
        to_page = to_page @ _scale(w / gray.shape[1], h / gray.shape[0])
    if paper and (corners := find_paper(gray)) is not None and is_slanted(corners):
        # (deskewing still runs after it: it levels what the four corners left)
        gray = flatten_paper(gray, corners)
        to_page = to_page @ np.linalg.inv(paper_transform(corners)[0])
    ink = ink_mask(gray)
    if deskew:
        angle = estimate_skew(ink)
        if angle:
            gray = rotate(gray, angle)
            ink = ink_mask(gray)
            to_page = to_page @ np.linalg.inv(_affine(rotation(gray.shape, angle)))
    if crop:
        y0, y1, x0, x1 = text_bounds(ink)
        gray = gray[y0:y1, x0:x1]
        ink = ink[y0:y1, x0:x1]
        to_page = to_page @ np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])
    char_h = median_char_height(ink)
    scale = target_char_height / char_h if char_h else 1.0
    scale = min(max(scale, 0.25), 2.5)
    h, w = gray.shape[:2]
    if h * w * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (h * w)) ** 0.5
    if abs(scale - 1.0) > 0.1:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(
            gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp
        )
        to_page = to_page @ _scale(w / gray.shape[1], h / gray.shape[0])
    if flatten:
        gray = flatten_background(gray, target_char_height)
    if clear_blobs:
        gray = clear_solid_blobs(gray, target_char_height)
    if stretch:
        lo = float(np.percentile(gray, 0.5))
        if lo > 40:  # faint print: make the darkest ink black
            gray = cv2.convertScaleAbs(
                gray, alpha=255.0 / (255.0 - lo), beta=-lo * 255.0 / (255.0 - lo)
            )
    if sharpen:
        blur = cv2.GaussianBlur(gray, (0, 0), 1.5)
        gray = cv2.addWeighted(gray, 1 + sharpen, blur, -sharpen, 0)
    if thicken:
        gray = cv2.erode(gray, np.ones((2, 2), np.uint8))
    if binarize:
        gray = cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 15
        )
    return Rendering(gray, to_page, page_size)


#: The first reading's rendering (the measured best first pass)...
FIRST_PASS: Switches = {"flatten": True, "thicken": False}
#: ...and the second reading's: strokes thickened instead of the background flattened
#: (faint thermal print that breaks up after flattening often survives thickening).
SECOND_PASS: Switches = {"flatten": False, "thicken": True}


class PageRenderer(Protocol):
    """Renders a page image for reading (`Preprocessor`, or a cache in front of it)."""

    def page(self, image: np.ndarray, second: bool = False) -> Rendering: ...


@dataclass(frozen=True)
class Preprocessor:
    """The renderings of a page the pipeline reads: `preprocess` with the first or the
    second reading's switches, each updated with ``options`` (``{"deskew": False}``)."""

    options: Switches = field(default_factory=Switches)

    def page(self, image: np.ndarray, second: bool = False) -> Rendering:
        switches: Switches = {**(SECOND_PASS if second else FIRST_PASS), **self.options}
        return render(image, **switches)


#: A solid blob (punch hole, stain) is at least this many character heights across...
BLOB_SIZE = 1.5
#: ...about as high as wide (at most this ratio: a black banner with white text is wide)...
BLOB_ASPECT = 1.5
#: ...and fills at least this share of its box (a letter fills far less; a disk 0.79).
BLOB_FILL = 0.6
#: Only a shape holding a solid square of ink this share of BLOB_SIZE across is measured.
BLOB_CORE = 0.25


def clear_solid_blobs(gray: np.ndarray, char_height: float) -> np.ndarray:
    """Paint white the solid, roundish dark blobs much larger than a character: punch
    holes and stains, which OCR reads as a letter glued to the text beside them ("CNO.12"
    for a hole left of "NO.12"). Text, rules and barcodes are thin and stay."""
    ink = (gray < 128).astype(np.uint8)
    side = BLOB_SIZE * char_height
    # Strokes of text are thinner than this square; a solid blob holds one. Only the ink
    # around such squares is measured, a shape at a time (no label image of the page, at
    # four bytes a pixel: the render's peak memory).
    size = max(3, int(side * BLOB_CORE))
    cores = cv2.erode(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    contours, _ = cv2.findContours(cores, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = gray
    for contour in contours:
        x, y = (int(v) for v in contour[0][0])  # a pixel of the core, so of its shape
        if ink[y, x] != 1:
            continue  # its shape was measured from another core
        area, _, _, (bx, by, w, h) = cv2.floodFill(ink, None, (x, y), 2, flags=8)
        shape = ink[by : by + h, bx : bx + w]
        if min(w, h) >= side and max(w, h) <= BLOB_ASPECT * min(w, h) and area >= BLOB_FILL * w * h:
            out = gray.copy() if out is gray else out
            out[by : by + h, bx : bx + w][shape == 2] = 255
        shape[shape == 2] = 3  # measured
    return out


#: On a faint page, a pixel this much darker than the paper is ink.
FAINT_INK_MARGIN = 30


def binarize_below_paper(gray: np.ndarray, margin: int = FAINT_INK_MARGIN) -> np.ndarray:
    """Black wherever the page is darker than its paper (the median gray) by ``margin``.

    For faint print beside a bold line (a thermal receipt's pale text under a black
    printed number): Tesseract's global threshold falls between the bold ink and the
    paper and puts the pale text with the paper, so the page reads as one line.
    """
    paper = int(np.median(gray))
    return np.where(gray < paper - margin, 0, 255).astype(np.uint8)


def flatten_background(gray: np.ndarray, char_height: float) -> np.ndarray:
    """Divide by the local background (a closing wider than a character) so that shadows,
    creases and grey paper become white while the ink keeps its contrast."""
    k = max(3, int(char_height * 1.5)) | 1
    background = cv2.morphologyEx(
        gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    return cv2.divide(gray, np.maximum(background, 1, out=background), scale=255)


#: Skew angles tried (degrees), and the smallest one worth a rotation.
MAX_SKEW = 8.0
MIN_SKEW = 0.5


def estimate_skew(ink: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text rows horizontal, or
    0.0 when the page is straight enough or nothing can be told.

    Projection profiles: rotated by the right angle, the rows of ink sum into sharp peaks
    (text lines) and valleys (the gaps between them), so the sum of squared differences
    of adjacent row sums is largest. Searched on a small copy: coarse, then fine.
    """
    h, w = ink.shape[:2]
    f = min(1.0, 500 / max(w, 1))
    small = cv2.resize(ink * 255, (max(1, round(w * f)), max(1, round(h * f))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    if small.sum() < 255 * 200:  # too little ink to tell
        return 0.0

    def sharpness(angle: float) -> float:
        profile = rotate(small, angle, border=0).sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.75, best + 0.76, 0.25)
    best = float(max(fine, key=sharpness))
    if abs(best) < MIN_SKEW or sharpness(best) < 1.05 * sharpness(0.0):
        return 0.0
    return round(best, 2)


def rotation(shape: tuple[int, ...], angle: float) -> np.ndarray:
    """The 2 x 3 matrix that `rotate` turns an image of ``shape`` by."""
    h, w = shape[:2]
    return cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)


def rotate(image: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    """`image` rotated by `angle` degrees about its centre, same size, `border` outside."""
    h, w = image.shape[:2]
    matrix = rotation(image.shape, angle)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)  # fmt: skip


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark-on-light ink as a 0/1 mask, robust to uneven lighting (local threshold)."""
    block = max(15, (min(gray.shape[:2]) // 40) | 1)
    mask = cv2.adaptiveThreshold(
        gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
    )
    return mask


def character_stats(ink: np.ndarray, tallest: int | None = None) -> np.ndarray:
    """Stats (x, y, w, h, area) of connected ink components that could be characters (at
    most ``tallest`` px high: an eighth of the page by default)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats = stats[1:]
    if not len(stats):
        return stats
    h = stats[:, cv2.CC_STAT_HEIGHT]
    w = stats[:, cv2.CC_STAT_WIDTH]
    area = stats[:, cv2.CC_STAT_AREA]
    tallest = ink.shape[0] // 8 if tallest is None else tallest
    keep = (h >= 4) & (h <= tallest) & (w <= ink.shape[1] // 4) & (area >= 6)
    keep &= (w / np.maximum(h, 1) < 4) & (h / np.maximum(w, 1) < 8)
    return stats[keep]


def median_char_height(ink: np.ndarray) -> float:
    """Median height of character-like components; 0 when there are too few to tell."""
    stats = character_stats(ink)
    if len(stats) < 20:
        return 0.0
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    # Punctuation and specks pull the median down; characters cluster near the top.
    return float(np.percentile(heights, 60))


def line_pieces(
    ink: np.ndarray, rise: int | None = None, large: bool = False, tallest: int | None = None
) -> tuple[np.ndarray, float] | None:
    """The pieces of text line that character-sized components of ``ink`` smear into
    (1.5 character heights sideways; up and down 1/``rise`` of one, or a pixel), as
    connected-component stats (x, y, w, h, area), and the median character height; None
    when there are too few characters to tell. ``large``: the pieces of print more than
    3 character heights tall (a title in large letters), smeared at its own height;
    ``tallest``: as for `character_stats`."""
    return _pieces(ink.shape, character_stats(ink, tallest), rise, large)


def _pieces(
    shape: tuple[int, ...], stats: np.ndarray, rise: int | None, large: bool
) -> tuple[np.ndarray, float] | None:
    """`line_pieces` of the character-like components ``stats`` on a mask of ``shape``."""
    if len(stats) < 20:
        return None
    med = float(np.median(stats[:, cv2.CC_STAT_HEIGHT]))
    if large:
        stats = stats[stats[:, cv2.CC_STAT_HEIGHT] > 3 * med]
        if len(stats) < 3:
            return np.zeros((0, 5), np.int32), med
        med = float(np.median(stats[:, cv2.CC_STAT_HEIGHT]))
    chars = np.zeros(shape[:2], np.uint8)
    for x, y, w, h, _ in stats:
        if 0.4 * med <= h <= 3 * med:
            chars[y : y + h, x : x + w] = 1
    k = max(3, int(med * 1.5))
    tall = max(1, int(med / rise)) if rise else 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, tall))
    _, _, pieces, _ = cv2.connectedComponentsWithStats(cv2.dilate(chars, kernel), connectivity=8)
    return pieces[1:], med


def text_bounds(ink: np.ndarray, margin: int = 20) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the region holding the text, specks and page borders left out.

    Character-sized components are smeared horizontally into line blobs; lines with
    several characters mark text, isolated marks (dust, staples, stamps' dots) do not.
    """
    H, W = ink.shape[:2]
    stats = character_stats(ink)
    found = _pieces(ink.shape, stats, 3, large=False)
    if found is None:
        return 0, H, 0, W
    lstats, med = found
    if not len(lstats):
        return 0, H, 0, W
    # A text line is wider than a few characters.
    good = lstats[lstats[:, cv2.CC_STAT_WIDTH] >= 3 * med]
    if not len(good):
        return 0, H, 0, W
    x0 = int(good[:, 0].min())
    y0 = int(good[:, 1].min())
    x1 = int((good[:, 0] + good[:, 2]).max())
    y1 = int((good[:, 1] + good[:, 3]).max())
    # The shop's name in large print above the text: its rows count, over the same width.
    large = _pieces(ink.shape, stats, 3, large=True)
    if large is not None and len(large[0]):
        pieces, height = large
        centre = pieces[:, 0] + pieces[:, 2] / 2
        title = pieces[(pieces[:, cv2.CC_STAT_WIDTH] >= 3 * height) & (centre > x0) & (centre < x1)]
        if len(title):
            y0 = min(y0, int(title[:, 1].min()))
    pad = int(margin + med)
    return max(0, y0 - pad), min(H, y1 + pad), max(0, x0 - pad), min(W, x1 + pad)
