"""Preprocessing: deskew, crop, scale, flatten, on rendered receipts (no services)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from factories import ENGLISH_TEXT, FONT, render_text

from receiptq.pipeline.preprocess import (
    TARGET_CHAR_HEIGHT,
    clear_solid_blobs,
    estimate_skew,
    ink_mask,
    median_char_height,
    preprocess,
    rotate,
    text_bounds,
)

pytestmark = pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")


def page(margin: int = 150) -> np.ndarray:
    text = render_text(ENGLISH_TEXT)
    return cv2.copyMakeBorder(text, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)


@pytest.mark.parametrize("angle", [-6.0, -2.5, 1.0, 4.0])
def test_the_skew_estimate_undoes_a_rotation(angle):
    assert estimate_skew(ink_mask(rotate(page(), angle))) == pytest.approx(-angle, abs=0.3)


def test_a_straight_page_and_a_blank_one_are_left_alone():
    assert estimate_skew(ink_mask(page())) == 0.0
    assert estimate_skew(ink_mask(np.full((800, 600), 255, np.uint8))) == 0.0


def test_a_skewed_page_comes_out_straight():
    out = preprocess(rotate(page(), 3.0))
    assert estimate_skew(ink_mask(out)) == 0.0


def test_the_page_is_cropped_to_its_text_and_scaled_to_the_target_height():
    raw = page(margin=400)
    out = preprocess(raw)
    assert out.shape[0] < raw.shape[0] and out.shape[1] < raw.shape[1]  # margins cropped
    height = median_char_height(ink_mask(out))
    assert height == pytest.approx(TARGET_CHAR_HEIGHT, rel=0.25)


@pytest.mark.parametrize("target", [18.0, 24.0])
def test_the_page_is_scaled_to_another_target_height_when_asked(target):
    out = preprocess(page(), target_char_height=target)
    assert median_char_height(ink_mask(out)) == pytest.approx(target, rel=0.25)


def test_a_title_in_large_print_above_the_text_stays_in_the_crop():
    # letters five times the body's height are no characters to the body's scale
    title = render_text("TOKO", size=110)
    body = render_text(ENGLISH_TEXT)
    width = max(title.shape[1], body.shape[1]) + 300
    raw = np.full((title.shape[0] + body.shape[0] + 400, width), 255, np.uint8)
    raw[150 : 150 + title.shape[0], 150 : 150 + title.shape[1]] = title
    top = 150 + title.shape[0]
    raw[top : top + body.shape[0], 150 : 150 + body.shape[1]] = body
    ink = ink_mask(raw)
    title_top = int(np.argmax(ink[:top].any(axis=1)))
    y0, y1, x0, x1 = text_bounds(ink)
    assert y0 <= title_top < top < y1
    # ...and the width stays the body's: large print beside the text does not widen it
    side = render_text("XYZ", size=110)
    wide = cv2.copyMakeBorder(raw, 0, 0, 0, side.shape[1] + 100, cv2.BORDER_CONSTANT, value=255)
    wide[top : top + side.shape[0], width + 50 : width + 50 + side.shape[1]] = side
    assert text_bounds(ink_mask(wide))[2:] == (x0, x1)


def test_flattening_removes_a_shadow_without_losing_the_ink():
    raw = page().astype(np.float32)
    shadow = np.linspace(1.0, 0.45, raw.shape[1], dtype=np.float32)  # dark towards the right
    out = preprocess((raw * shadow).astype(np.uint8))
    ink = ink_mask(out).astype(bool)
    paper = out[~ink]
    assert np.percentile(paper, 10) > 200  # the shadowed paper is white again
    assert np.median(out[ink]) < 120  # and the text still dark


def test_a_punch_hole_is_cleared_and_the_text_beside_it_kept():
    text = page(margin=40)
    h = int(TARGET_CHAR_HEIGHT)
    holed = text.copy()
    cv2.circle(holed, (20, text.shape[0] // 2), h, 0, thickness=-1)  # a disk 2 rows across
    cv2.rectangle(holed, (60, 5), (60 + 8 * h, 5 + h), 0, thickness=-1)  # a black banner
    out = clear_solid_blobs(holed, TARGET_CHAR_HEIGHT)
    assert out[text.shape[0] // 2, 20] == 255  # the hole is paper now
    assert out[5 + h // 2, 60 + 4 * h] == 0  # a wide banner is no hole
    # the letters are untouched
    assert np.array_equal(out[:, 60:] < 128, holed[:, 60:] < 128)
    assert np.array_equal(clear_solid_blobs(text, TARGET_CHAR_HEIGHT), text)


def test_the_smallest_hole_still_counts_and_bold_strokes_are_not_holes():
    """The search for solid blobs starts only where a square of ink BLOB_CORE of a blob
    across survives: a hole of the least size still has one, bold text does not."""
    from receiptq.pipeline.preprocess import BLOB_SIZE

    text = page(margin=60)
    side = int(np.ceil(BLOB_SIZE * TARGET_CHAR_HEIGHT))
    holed = text.copy()
    cv2.circle(holed, (30, text.shape[0] // 2), side // 2 + 1, 0, thickness=-1)
    assert clear_solid_blobs(holed, TARGET_CHAR_HEIGHT)[text.shape[0] // 2, 30] == 255
    bold = cv2.erode(text, np.ones((5, 5), np.uint8))  # strokes 5 px thicker
    assert clear_solid_blobs(bold, TARGET_CHAR_HEIGHT) is bold


def test_pale_print_beside_bold_ink_is_binarized_below_the_paper():
    from receiptq.pipeline.preprocess import binarize_below_paper

    gray = np.full((40, 100), 245, np.uint8)  # paper
    gray[5:10, 10:90] = 0  # a bold printed number
    gray[20:24, 10:60] = 205  # pale thermal print, 40 levels under the paper
    gray[30:32, 10:20] = 230  # a smudge, 15 under
    out = binarize_below_paper(gray)
    assert set(np.unique(out)) == {0, 255}
    assert (out[5:10, 10:90] == 0).all() and (out[20:24, 10:60] == 0).all()
    assert (out[30:32, 10:20] == 255).all() and out[0, 0] == 255
