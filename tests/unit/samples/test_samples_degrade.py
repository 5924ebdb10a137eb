"""Thermal fading and creased paper: what they do to a page, and how they grow with the level."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace

import numpy as np
from PIL import Image

from receiptq.samples.degrade import (
    MAX_LEVEL,
    crumple,
    degrade,
    params_for_level,
    thermal_strength,
)


def _rng(seed: int = 3) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_no_fading_leaves_full_strength() -> None:
    assert np.all(thermal_strength(_rng(), (400, 300), 0.0) == 1.0)


def test_fading_is_uneven_along_the_page_and_stays_legible() -> None:
    strength = thermal_strength(_rng(), (1200, 500), 0.7)
    assert strength.shape == (1200, 500)
    assert strength.min() >= 0.2 and strength.max() <= 1.0
    rows = strength.mean(axis=1)
    assert rows.max() - rows.min() > 0.2  # some rows (and the band) lighter than others
    across = strength.mean(axis=0)
    assert across.max() - across.min() > 0.02  # the print head is uneven across the width


def test_more_fading_is_fainter_on_average() -> None:
    light = [thermal_strength(_rng(s), (800, 400), 0.2).mean() for s in range(8)]
    heavy = [thermal_strength(_rng(s), (800, 400), 0.8).mean() for s in range(8)]
    assert statistics.mean(heavy) < statistics.mean(light) < 1.0


def _page_with_a_square() -> np.ndarray:
    page = np.full((600, 400), 240.0, np.float32)
    page[280:320, 180:220] = 30.0
    return page


def _dark_centroid(img: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(img < 100)
    return float(ys.mean()), float(xs.mean())


def test_creases_move_the_print_a_little_and_shade_the_paper() -> None:
    page = _page_with_a_square()
    out = crumple(page, _rng(), 1.0)
    assert out.shape == page.shape
    assert not np.allclose(out, page)
    y0, x0 = _dark_centroid(page)
    y1, x1 = _dark_centroid(out)
    assert abs(y1 - y0) < 8 and abs(x1 - x0) < 8  # displaced, not torn apart
    blank = out[:, :150]  # paper only: the folds' facets and lines shade it
    assert blank.max() - blank.min() > 10


def test_crumple_is_reproducible_from_its_rng() -> None:
    page = _page_with_a_square()
    assert np.array_equal(crumple(page, _rng(7), 0.5), crumple(page, _rng(7), 0.5))


def test_levels_fade_and_crease_more_as_they_go() -> None:
    clean = params_for_level(random.Random(0), 0)
    assert clean.thermal == 0.0 and clean.crumple == 0.0
    means = []
    for level in range(1, MAX_LEVEL + 1):
        drawn = [params_for_level(random.Random(s), level) for s in range(40)]
        assert all(0.0 <= p.thermal <= 1.0 and 0.0 <= p.crumple <= 1.0 for p in drawn)
        means.append(
            (statistics.mean(p.thermal for p in drawn), statistics.mean(p.crumple for p in drawn))
        )
    assert means == sorted(means)
    assert means[0][0] < means[-1][0] and means[0][1] < means[-1][1]


def test_a_long_receipt_turned_far_stays_whole_in_the_photo() -> None:
    # A tall page turned 12 degrees and seen at a slant stuck out of the frame and lost
    # its corners' print (a total, a date): the frame grows to keep the paper inside it.
    page = np.full((1800, 500), 255, np.uint8)
    base = params_for_level(random.Random(5), 2)
    params = replace(base, angle=12.0, perspective=0.08, background=(40, 44, 50), lighting=0.0)
    photo = np.asarray(degrade(Image.fromarray(page), params, random.Random(5)).convert("L"))
    border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    assert photo.max() > 150  # the paper is there...
    assert border.max() < 110  # ...and the table surrounds it on every side
