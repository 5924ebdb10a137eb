"""Find the receipt in a photo and flatten it: the paper's four corners, warped upright.

A phone photo shows the receipt on a table, turned and seen at a slant. Deskewing by
projection profiles (`preprocess.estimate_skew`) straightens a page turned a little, but
the table's texture at the page's edges reads as stray letters, and a page turned more
than a few degrees or seen in perspective has no single angle that levels all its rows.
So where a photo shows light paper against a clearly darker surround on most of its
border, the paper's outline is found, reduced to four corners and warped to an upright
rectangle. Scans, where the paper fills (most of) the frame, are left as they are.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The paper is found on a copy whose longer side is at most this (px).
WORK_SIZE = 800
#: At most this share of the frame's border may be paper: a scan is paper all round.
MAX_BORDER_PAPER = 0.5
#: The paper must be at least this much lighter than its surround (gray levels, 0-255).
MIN_CONTRAST = 40.0
#: ...and cover at least this share of the photo, and at most this one: a scan shows a
#: thin border around the paper, a photo a table around it. A receipt filling the frame
#: is left to deskewing and cropping.
MIN_AREA = 0.15
MAX_AREA = 0.8
#: A page is warped upright only when turned more than this (degrees)...
MAX_TURN = 4.0
#: ...or seen at a slant: one side this many times as long as its opposite.
MAX_SIDE_RATIO = 1.05
#: The four corners must enclose the paper's outline closely: the outline fills at
#: least this share of the quadrilateral (a torn or folded receipt is left alone).
MIN_FILL = 0.85
#: Every side of the four corners is at least this long (px, on the work copy)...
MIN_SIDE = 8
#: ...and every corner's angle at least this many degrees from 0 and from 180.
MIN_ANGLE = 20.0


def find_paper(gray: np.ndarray) -> np.ndarray | None:
    """The paper's corners in ``gray`` (4 x 2 float32: top-left, top-right, bottom-right,
    bottom-left), or None when the image is no photo of a sheet on a darker surround."""
    h, w = gray.shape[:2]
    f = min(1.0, WORK_SIZE / max(h, w))
    small = gray if f == 1.0 else cv2.resize(
        gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
    )  # fmt: skip
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    if border.mean() / 255 > MAX_BORDER_PAPER:
        return None
    light, dark = blur[mask > 0], blur[mask == 0]
    if not len(light) or not len(dark) or float(light.mean() - dark.mean()) < MIN_CONTRAST:
        return None
    # Close the gaps the print leaves in the paper's mask, then take its outline.
    k = max(3, round(min(small.shape[:2]) / 40)) | 1
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    corners = paper_corners(max(contours, key=cv2.contourArea), small.shape)
    return None if corners is None else corners / f


def paper_corners(contour: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The four corners (ordered as `find_paper` gives them) of the paper whose outline
    is ``contour`` (OpenCV's points) in an image of ``shape``, or None when that outline
    is no paper: too small or too large a share of the frame, no four corners of its
    own, or not filling them closely."""
    outline = cv2.convexHull(np.asarray(contour, np.int32).reshape(-1, 1, 2))
    area = cv2.contourArea(outline)
    if not MIN_AREA <= area / (shape[0] * shape[1]) <= MAX_AREA:
        return None
    corners = cv2.approxPolyDP(outline, 0.02 * cv2.arcLength(outline, True), True)
    corners = np.asarray(corners, np.float32).reshape(-1, 2)
    if len(corners) != 4:  # no four corners of its own: the rectangle along its edges
        # (a corner the frame cut off stays where the frame cut it)
        corners = cv2.boxPoints(cv2.minAreaRect(outline))
    corners = _ordered(corners)
    if not is_quadrilateral(corners):
        return None  # the ordering found no four distinct corners (a triangle, a disc)
    if area < MIN_FILL * _area_in_frame(corners, shape):
        return None
    return corners


def is_quadrilateral(corners: np.ndarray) -> bool:
    """Whether ordered ``corners`` (top-left, top-right, bottom-right, bottom-left) make
    a convex quadrilateral a sheet could be: every side at least `MIN_SIDE` px, every
    angle between `MIN_ANGLE` and 180 - `MIN_ANGLE` degrees, turning one way. A repeated
    corner, three in a row, a bow tie or corners out of order are no paper (and a side
    of length 0 would divide by zero in `is_slanted`)."""
    corners = np.asarray(corners, np.float64).reshape(-1, 2)
    if len(corners) != 4 or not np.isfinite(corners).all():
        return False
    edges = np.roll(corners, -1, axis=0) - corners  # tl->tr, tr->br, br->bl, bl->tl
    lengths = np.linalg.norm(edges, axis=1)
    if lengths.min() < MIN_SIDE:
        return False
    following = np.roll(edges, -1, axis=0)
    # sine of the turn at each corner: positive turning clockwise on screen (y down)
    turns = (edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]) / (
        lengths * np.roll(lengths, -1)
    )
    return bool((turns >= np.sin(np.radians(MIN_ANGLE))).all())


def is_slanted(corners: np.ndarray) -> bool:
    """Whether the paper is turned more than `MAX_TURN` degrees or seen at a slant (one
    side more than `MAX_SIDE_RATIO` times its opposite): a page nearly upright is left to
    deskewing, which reads it as well without another resampling (generated photos
    turned up to 3 degrees scored alike either way, with items read a little worse
    after warping; turned 6-12 degrees and slanted, 0.78-0.87 against 0.95-0.97)."""
    tl, tr, br, bl = corners
    turns = [np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])) for a, b in ((tl, tr), (bl, br))]
    if max(abs(t) for t in turns) > MAX_TURN:
        return True
    top, bottom, left, right = _sides(corners)
    ratios = [top / bottom, left / right]
    return max(max(r, 1 / r) for r in ratios) > MAX_SIDE_RATIO


def paper_transform(corners: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The perspective matrix that warps the quadrilateral ``corners`` to an upright
    rectangle of its own side lengths, and that rectangle's (width, height)."""
    top, bottom, left, right = _sides(corners)
    width, height = round(max(top, bottom)), round(max(left, right))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32
    )
    return cv2.getPerspectiveTransform(np.array(corners, np.float32), target), (width, height)


def flatten_paper(gray: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral ``corners`` of ``gray`` warped to an upright rectangle of its
    own side lengths (white outside the photo)."""
    matrix, size = paper_transform(corners)
    return cv2.warpPerspective(
        gray, matrix, size, flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=255,
    )  # fmt: skip


def _sides(corners: np.ndarray) -> tuple[float, float, float, float]:
    """Lengths of the top, bottom, left and right sides of ordered ``corners``."""
    tl, tr, br, bl = corners
    top, bottom, left, right = (
        float(np.linalg.norm(b - a)) for a, b in ((tl, tr), (bl, br), (tl, bl), (tr, br))
    )
    return top, bottom, left, right


def _area_in_frame(corners: np.ndarray, shape: tuple[int, ...]) -> float:
    """The area of the quadrilateral ``corners`` inside an image of ``shape`` (px)."""
    canvas = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(canvas, [np.round(corners).astype(np.int32)], 1)
    return float(canvas.sum())


def _ordered(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    by_sum = points.sum(axis=1)
    by_diff = np.diff(points, axis=1).ravel()  # y - x
    return np.array(
        [
            points[np.argmin(by_sum)],
            points[np.argmin(by_diff)],
            points[np.argmax(by_sum)],
            points[np.argmax(by_diff)],
        ],
        np.float32,
    )
