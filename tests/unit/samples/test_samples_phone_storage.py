"""Generated photos stored as a phone or a messenger stores them: scaled down, and with
their pixels turned under an EXIF orientation tag that shows them upright."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from receiptq.samples import write_samples
from receiptq.samples.generate import EXIF_TURNS, as_phone_stores, encode


def _page() -> Image.Image:
    page = np.full((400, 200), 230, np.uint8)
    page[10:40, 10:40] = 20  # a mark at the top left
    return Image.fromarray(page)


def _dark_corner(image: Image.Image) -> tuple[bool, bool]:
    pixels = np.asarray(image.convert("L"))
    ys, xs = np.nonzero(pixels < 100)
    h, w = pixels.shape
    return bool(ys.mean() < h / 2), bool(xs.mean() < w / 2)


def test_each_tag_shows_the_stored_pixels_upright_again() -> None:
    for index, tag in enumerate(EXIF_TURNS):
        stored, orientation = as_phone_stores(_page(), index, None, exif=True)
        assert orientation == tag
        assert _dark_corner(stored) != (True, True)  # the pixels are not upright...
        data, ext = encode(stored, 2, 80, orientation)
        assert ext == ".jpg"
        shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        assert shown.size == (200, 400)  # ...the tag turns them back
        assert _dark_corner(shown) == (True, True)


def test_small_scales_the_longer_side_down_only() -> None:
    stored, orientation = as_phone_stores(_page(), 0, 100, exif=False)
    assert (stored.size, orientation) == ((50, 100), 1)
    assert as_phone_stores(_page(), 0, 1000, exif=False)[0].size == (200, 400)


def test_a_stored_set_says_how_it_was_stored(tmp_path: Path) -> None:
    plain = write_samples(tmp_path / "plain", 3, "en", 5, noise=2)
    phone = write_samples(tmp_path / "phone", 3, "en", 5, noise=2, small=600, exif=True)
    for before, after in zip(plain, phone, strict=True):
        with Image.open(before) as upright, Image.open(after) as stored:
            shown = ImageOps.exif_transpose(stored)
            assert max(shown.size) == 600
            ratio = upright.width / upright.height
            assert abs(shown.width / shown.height - ratio) < 0.01  # the same receipt
        meta = (after.with_suffix(".json")).read_text(encoding="utf-8")
        assert '"exif_orientation"' in meta
