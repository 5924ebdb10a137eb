"""Seeded degradations that make a clean render look like a scan or a phone photo.

Level 0 is the clean render. Level 1 is a scan of thermal paper (grey paper, faded ink,
slight blur, small skew, JPEG). Levels 2 and 3 are photos: the receipt lies on a darker
table, is rotated and seen in perspective, unevenly lit, noisy and blurred. From level 1
up the print fades as thermal paper does (unevenly across the print head, lighter rows, a
faded band) and the paper is creased (a smooth displacement plus fold lines with their
shading), more at each level. Every random choice is drawn from the caller's
`random.Random`, so a seed reproduces the image.
"""

from __future__ import annotations

import io
import random
from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np
from PIL import Image

MAX_LEVEL = 3


@dataclass(frozen=True)
class DegradeParams:
    """How much of each degradation to apply; `params_for_level` draws them."""

    level: int
    paper: float = 255.0  # paper brightness, 0..255
    ink: float = 0.0  # darkest ink value, 0..255
    fade: float = 0.0  # 0..1: how much the ink fades in patches
    blur_sigma: float = 0.0
    noise_std: float = 0.0
    angle: float = 0.0  # degrees, counter-clockwise
    perspective: float = 0.0  # corner jitter as a fraction of the receipt width
    background: tuple[int, int, int] | None = None  # table colour; None = no photo
    lighting: float = 0.0  # 0..1 strength of the uneven-illumination gradient
    jpeg_quality: int | None = None  # None = lossless (PNG)
    thermal: float = 0.0  # 0..1 thermal fading: uneven head, lighter rows, a faded band
    crumple: float = 0.0  # 0..1 creased paper: displacement, fold lines and their shading

    def as_dict(self) -> dict:
        return asdict(self)


def params_for_level(rng: random.Random, level: int) -> DegradeParams:
    """Draw the degradation parameters of a noise level (0 clean .. 3 rough photo)."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"noise level must be 0..{MAX_LEVEL}, got {level}")
    if level == 0:
        return DegradeParams(level=0)
    sign = rng.choice((-1, 1))
    tables = ((92, 70, 52), (60, 62, 66), (120, 96, 70), (40, 44, 50), (85, 88, 80))
    base = DegradeParams(
        level=level,
        paper=rng.uniform(228, 244) - 6 * (level - 1),
        ink=rng.uniform(20, 45) + 20 * (level - 1),
        fade=rng.uniform(0.1, 0.25) * level,
        blur_sigma=(0.0, rng.uniform(0.3, 0.6), rng.uniform(0.6, 0.9), rng.uniform(0.9, 1.2))[
            level
        ],
        noise_std=(0.0, rng.uniform(2, 4), rng.uniform(4, 7), rng.uniform(7, 10))[level],
        angle=sign
        * (0.0, rng.uniform(0.2, 1.0), rng.uniform(0.8, 2.0), rng.uniform(1.0, 3.0))[level],
        perspective=(0.0, 0.0, rng.uniform(0.004, 0.012), rng.uniform(0.01, 0.025))[level],
        background=None if level == 1 else rng.choice(tables),
        lighting=(0.0, 0.0, rng.uniform(0.1, 0.25), rng.uniform(0.25, 0.4))[level],
        jpeg_quality=(None, 88, 78, 62)[level],
    )
    # Drawn last so the parameters above stay what they were for a seed.
    thermal = rng.uniform(*((0.15, 0.35), (0.3, 0.55), (0.45, 0.7))[level - 1])
    crumple = rng.uniform(*((0.0, 0.3), (0.3, 0.7), (0.6, 1.0))[level - 1])
    return replace(base, thermal=thermal, crumple=crumple)


def degrade(image: Image.Image, params: DegradeParams, rng: random.Random) -> Image.Image:
    """Apply `params` to a clean "L" render; returns "L" (scan) or "RGB" (photo)."""
    if params.level == 0:
        return image.copy()
    np_rng = np.random.default_rng(rng.getrandbits(64))
    coverage = 1.0 - np.asarray(image, dtype=np.float32) / 255.0  # 1 where ink
    strength = 1.0 - params.fade * _smooth_field(np_rng, coverage.shape, cells=6)
    if params.thermal or params.crumple:
        extra_rng = np.random.default_rng(rng.getrandbits(64))
    if params.thermal:
        strength = strength * thermal_strength(extra_rng, coverage.shape, params.thermal)
    gray = params.paper - coverage * strength * (params.paper - params.ink)
    if params.crumple:
        gray = crumple(gray, extra_rng, params.crumple)
    h, w = gray.shape
    if params.background is None:
        out = _warp(gray, _rotation(w, h, params.angle), (w, h), params.paper)
    else:
        out = _photo(gray, params, np_rng)
    if params.blur_sigma:
        out = cv2.GaussianBlur(out, (0, 0), params.blur_sigma)
    if params.noise_std:
        out = out + np_rng.normal(0.0, params.noise_std, out.shape).astype(np.float32)
    result = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    if params.jpeg_quality is not None:
        buffer = io.BytesIO()
        result.save(buffer, "JPEG", quality=params.jpeg_quality)
        result = Image.open(io.BytesIO(buffer.getvalue()))
        result.load()
    return result


def thermal_strength(
    np_rng: np.random.Generator, shape: tuple[int, int], amount: float
) -> np.ndarray:
    """Ink strength (0..1) of thermal print faded by `amount` (0..1).

    The print head heats unevenly across the width (a smooth profile along the rows), whole
    text rows come out lighter, and one horizontal band is faded (rubbed or sunlit paper).
    """
    h, w = shape
    across = 1.0 - 0.5 * amount * _smooth_field(np_rng, (1, w), cells=8)
    # Rows a text line high (~24 px at the render's scale), a third of them lighter.
    row_count = max(2, h // 24)
    lighter = (np_rng.random(row_count) < 0.35) * np_rng.uniform(0.2, 0.6, row_count)
    per_row = (1.0 - amount * lighter).astype(np.float32)
    tall = cv2.resize(per_row[:, None], (1, h), interpolation=cv2.INTER_NEAREST)
    rows = cv2.GaussianBlur(tall, (1, 25), 0, sigmaY=4)
    centre, half = np_rng.uniform(0.1, 0.9) * h, np_rng.uniform(0.03, 0.08) * h
    y = np.arange(h, dtype=np.float32)[:, None]
    band = 1.0 - 0.6 * amount * np.exp(-(((y - centre) / half) ** 2))
    return np.clip(across * rows * band, 0.2, 1.0).astype(np.float32)


def crumple(gray: np.ndarray, np_rng: np.random.Generator, amount: float) -> np.ndarray:
    """Crease the paper by `amount` (0..1): a smooth displacement, then fold lines.

    Each fold shifts the print a little across it, darkens one side and lightens the other
    (the two facets catch the light differently) and leaves a thin dark line.
    """
    h, w = gray.shape
    amp = amount * 0.006 * w
    dx = (_smooth_field(np_rng, (h, w), cells=5) - 0.5) * 2 * amp
    dy = (_smooth_field(np_rng, (h, w), cells=5) - 0.5) * 2 * amp
    shade = np.zeros((h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(1 + int(amount * 3 + np_rng.random())):
        # Folds run mostly across the receipt, as a folded or pocketed paragon's do.
        angle = np_rng.normal(0.0, 0.35) if np_rng.random() < 0.7 else np_rng.uniform(0, np.pi)
        x0, y0 = np_rng.uniform(0, w), np_rng.uniform(0.05, 0.95) * h
        nx, ny = -np.sin(angle), np.cos(angle)  # the fold's normal
        dist = (xs - x0) * nx + (ys - y0) * ny
        side = np.tanh(dist / (0.02 * w))
        shade += amount * np_rng.uniform(0.03, 0.07) * side * np_rng.choice((-1, 1))
        shade -= amount * 0.25 * np.exp(-((dist / 1.5) ** 2))
        kink = amount * np_rng.uniform(0.5, 1.5) * side
        dx += kink * nx
        dy += kink * ny
    out = cv2.remap(
        gray.astype(np.float32),
        xs + dx,
        ys + dy,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return out * (1.0 + shade)


def _smooth_field(np_rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in 0..1 (faded patches, paper texture, lighting)."""
    h, w = shape
    coarse = np_rng.random((max(2, cells * h // max(w, 1)), cells)).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _rotation(w: int, h: int, angle: float) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return np.vstack([matrix, [0, 0, 1]])


def _warp(img: np.ndarray, matrix: np.ndarray, size: tuple[int, int], border: float) -> np.ndarray:
    return cv2.warpPerspective(
        img,
        matrix.astype(np.float64),
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )


def _keep_in_frame(
    matrix: np.ndarray, src: np.ndarray, size: tuple[int, int], margin: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int]]:
    """``matrix`` and the frame ``size`` as they are when the paper ``src`` lands inside
    the frame; otherwise the frame grown to the paper's bounds plus ``margin`` and the
    matrix shifted into it. A long receipt turned by 6-12 degrees stuck out of a frame
    of fixed margins and lost printed text, the truth's total or date among it."""
    corners = cv2.perspectiveTransform(src[None].astype(np.float64), matrix)[0]
    low, high = corners.min(axis=0), corners.max(axis=0)
    if (low >= 0).all() and high[0] <= size[0] and high[1] <= size[1]:
        return matrix, size
    shift = np.array(margin, np.float64) - low
    grown = np.ceil(high - low + 2 * np.array(margin, np.float64)).astype(int)
    moved = np.array([[1, 0, shift[0]], [0, 1, shift[1]], [0, 0, 1]]) @ matrix
    return moved, (int(grown[0]), int(grown[1]))


def _photo(gray: np.ndarray, p: DegradeParams, np_rng: np.random.Generator) -> np.ndarray:
    """Lay the paper on a table, rotate it, view it in perspective, light it unevenly."""
    h, w = gray.shape
    mx, my = int(w * 0.12), int(h * 0.05)
    cw, ch = w + 2 * mx, h + 2 * my
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = np_rng.uniform(-p.perspective, p.perspective, (4, 2)) * w
    offset = np.array([mx, my], np.float32)
    dst = (src + offset + jitter).astype(np.float32)
    matrix = _rotation(cw, ch, p.angle) @ cv2.getPerspectiveTransform(src, dst)
    matrix, (cw, ch) = _keep_in_frame(matrix, src, (cw, ch), (mx, my))
    paper = _warp(gray, matrix, (cw, ch), 0.0)
    mask = _warp(np.ones_like(gray), matrix, (cw, ch), 0.0)
    # A warm paper tint and a textured table, then a soft shadow under the paper.
    tint = np.array([1.0, 0.985, 0.95], dtype=np.float32)
    texture = 0.85 + 0.3 * _smooth_field(np_rng, (ch, cw), cells=24)
    table = np.array(p.background, dtype=np.float32)[None, None, :] * texture[..., None]
    shadow = cv2.GaussianBlur(mask, (0, 0), 12)
    shadow = np.roll(shadow, (8, 6), axis=(0, 1))
    table = table * (1.0 - 0.45 * shadow[..., None])
    out = table * (1.0 - mask[..., None]) + paper[..., None] * tint * mask[..., None]
    light = 1.0 - p.lighting * _smooth_field(np_rng, (ch, cw), cells=3)
    return out * light[..., None]
