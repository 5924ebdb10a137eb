"""Finding the receipt in a photo and warping it upright (real Tesseract for the reading)."""

from __future__ import annotations

import random
import shutil

import cv2
import numpy as np
import pytest
from factories import ENGLISH_TEXT as ENGLISH
from factories import FONT
from factories import render_text as render
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from receiptq.pipeline.paper import (
    find_paper,
    flatten_paper,
    is_quadrilateral,
    is_slanted,
    paper_corners,
)
from receiptq.pipeline.preprocess import estimate_skew, ink_mask, preprocess
from receiptq.samples.degrade import DegradeParams, degrade

needs_fonts = pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")


def photo(page: np.ndarray, angle: float, perspective: float, seed: int = 3) -> np.ndarray:
    """``page`` laid on a dark table, turned and seen at a slant (the sample generator's
    photo degradation, stronger than its noise levels draw)."""
    params = DegradeParams(
        level=2, paper=235, ink=30, blur_sigma=0.5, noise_std=3, angle=angle,
        perspective=perspective, background=(60, 62, 66), lighting=0.15, jpeg_quality=85,
    )  # fmt: skip
    rgb = degrade(Image.fromarray(page), params, random.Random(seed))
    return cv2.cvtColor(np.asarray(rgb.convert("RGB")), cv2.COLOR_RGB2GRAY)


@needs_fonts
def test_a_turned_photo_is_warped_upright_to_its_paper():
    page = render(ENGLISH)
    gray = photo(page, angle=6.0, perspective=0.03)  # the paper's corners in the frame
    corners = find_paper(gray)
    assert corners is not None and is_slanted(corners)
    flat = flatten_paper(gray, corners)
    h, w = page.shape
    assert abs(flat.shape[0] / flat.shape[1] - h / w) < 0.1 * h / w  # the paper's shape
    fh, fw = flat.shape
    inner = flat[fh // 6 : -fh // 6, fw // 8 : -fw // 8]  # the print, not the corners
    assert abs(estimate_skew(ink_mask(inner))) <= 1.0  # its rows level again
    # the table is left at most in the corners the frame had cut off
    edges = np.concatenate([flat[fh // 4 : -fh // 4, 2], flat[fh // 4 : -fh // 4, -3]])
    assert edges.mean() > 150


@needs_fonts
def test_scans_and_nearly_upright_photos_are_left_alone():
    assert find_paper(render(ENGLISH)) is None  # a scan: paper all round the frame
    corners = find_paper(photo(render(ENGLISH), angle=1.5, perspective=0.0))
    assert corners is not None and not is_slanted(corners)


def test_a_light_shape_with_no_four_corners_is_no_paper():
    for draw in (
        lambda g: cv2.fillPoly(g, [np.int32([[50, 100], [350, 80], [200, 500]])], 230),
        lambda g: cv2.circle(g, (200, 300), 150, 230, -1),
    ):
        gray = np.full((600, 400), 40, np.uint8)
        draw(gray)
        assert find_paper(gray) is None


def test_slant_is_a_turn_or_one_side_longer_than_its_opposite():
    upright = np.float32([[0, 0], [400, 0], [400, 1000], [0, 1000]])
    assert not is_slanted(upright)
    theta = np.radians(8)
    turn = np.float32([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    assert is_slanted(upright @ turn.T + 500)
    trapezoid = np.float32([[20, 0], [380, 0], [400, 1000], [0, 1000]])  # top 10 % shorter
    assert is_slanted(trapezoid)


@needs_fonts
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
def test_a_receipt_photographed_at_a_slant_reads_whole(read):
    receipt = read(photo(render(ENGLISH), angle=-11.0, perspective=0.05))
    assert receipt.total == "9.00"
    assert receipt.date == "2019-03-14"
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA SDN BHD"


#: The outline of the paper found in a real Lidl photo (receipt_id_22 of the Polish
#: real-photo set), on the 450 x 800 work copy: the receipt fills the frame and only its
#: lit upper right reads as paper against the shade. Its four corners ordered as
#: top-left, top-right, bottom-right, bottom-left took one point twice, and
#: `is_slanted` divided by the bottom side's length of 0.
LIDL_OUTLINE = np.int32(
    [[401, 0], [449, 341], [449, 612], [440, 614], [412, 605], [397, 597], [219, 428],
     [75, 242], [51, 210], [45, 198], [44, 191], [42, 4], [42, 0]]
)  # fmt: skip
LIDL_FRAME = (800, 450)


def test_an_outline_whose_corners_order_onto_one_point_is_no_paper():
    assert paper_corners(LIDL_OUTLINE, LIDL_FRAME) is None
    gray = np.full(LIDL_FRAME, 40, np.uint8)
    cv2.fillPoly(gray, [LIDL_OUTLINE], 230)
    assert find_paper(gray) is None
    assert preprocess(gray).shape == LIDL_FRAME  # read as it is, not warped


def test_only_a_convex_quadrilateral_with_sides_and_corners_is_a_sheet():
    assert is_quadrilateral(np.float32([[0, 0], [400, 0], [420, 900], [-10, 880]]))
    for corners in (
        [[0, 0], [400, 0], [400, 900], [400, 900]],  # a corner twice
        [[0, 0], [200, 0], [400, 0], [0, 900]],  # three in a row
        [[0, 0], [400, 900], [400, 0], [0, 900]],  # a bow tie
        [[0, 0], [0, 900], [400, 900], [400, 0]],  # turning the other way
        [[0, 0], [400, 0], [400, 4], [0, 900]],  # a side of 4 px
        [[0, 0], [400, 0], [405, 900], [395, 10]],  # a corner of about 177 degrees
        [[0, 0], [np.nan, 0], [400, 900], [0, 900]],
    ):
        assert not is_quadrilateral(np.float32(corners)), corners


def _check_usable(corners: np.ndarray, shape: tuple[int, int]) -> None:
    """What the preprocessing does with corners it is given must work."""
    assert corners.shape == (4, 2) and np.isfinite(corners).all()
    assert isinstance(is_slanted(corners), bool)
    flat = flatten_paper(np.full(shape, 200, np.uint8), corners)
    assert flat.ndim == 2 and flat.size > 0


coordinates = st.integers(0, 240)
points = st.tuples(coordinates, coordinates)


@st.composite
def degenerate_outlines(draw) -> list[tuple[int, int]]:
    """Outlines a mask's contour may come to: collinear points, a corner repeated (a side
    of length 0), a bow tie, a few pixels, three or four corners anywhere."""
    a, b, c, d = (draw(points) for _ in range(4))
    kind = draw(st.sampled_from(["line", "repeated", "bow tie", "tiny", "any"]))
    if kind == "line":
        steps = draw(st.lists(st.floats(0, 1), min_size=1, max_size=6))
        return [(round(a[0] + t * (b[0] - a[0])), round(a[1] + t * (b[1] - a[1]))) for t in steps]
    if kind == "repeated":
        return draw(st.permutations([a, b, c, c]))
    if kind == "bow tie":
        return [a, c, b, d]
    if kind == "tiny":
        return [(a[0] + dx, a[1] + dy) for dx, dy in draw(st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=6))]  # fmt: skip
    return draw(st.lists(points, min_size=3, max_size=8))


@settings(max_examples=400, deadline=None)
@given(degenerate_outlines(), st.integers(0, 60), st.integers(0, 60))
def test_degenerate_outlines_are_no_paper_or_a_usable_one(outline, pad_h, pad_w):
    # The frame is just around the outline, so that even a small one is a share of it.
    shape = (max(y for _, y in outline) + 1 + pad_h, max(x for x, _ in outline) + 1 + pad_w)
    corners = paper_corners(np.int32(outline).reshape(-1, 1, 2), shape)
    if corners is not None:
        assert is_quadrilateral(corners)
        _check_usable(corners, shape)


page_sizes = st.one_of(
    st.sampled_from([(1, 1), (2, 3), (3, 2), (1, 4000), (4000, 1), (6, 3000), (3000, 6)]),
    st.tuples(st.integers(1, 160), st.integers(1, 160)),
)


@settings(max_examples=150, deadline=None)
@given(page_sizes, st.integers(0, 255), st.integers(0, 255), st.lists(points, max_size=6))
def test_tiny_blank_and_thin_pages_give_no_paper_or_a_usable_one(size, ground, fill, shape):
    gray = np.full(size, ground, np.uint8)
    if len(shape) >= 3:  # a light (or dark) shape of a few corners on the ground
        cv2.fillPoly(gray, [np.int32(shape)], fill)
    corners = find_paper(gray)
    if corners is not None:
        _check_usable(corners, size)
    out = preprocess(gray)
    assert out.ndim == 2 and out.size > 0 and out.dtype == np.uint8
