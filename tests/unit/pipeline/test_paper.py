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
from PIL import Image

from receiptq.pipeline.paper import find_paper, flatten_paper, is_slanted
from receiptq.pipeline.preprocess import estimate_skew, ink_mask
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
