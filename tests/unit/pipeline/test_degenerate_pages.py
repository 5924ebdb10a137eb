"""No stage raises on a page however small, blank, thin or oddly encoded: the pipeline
gives a receipt or refuses with its own error (real Tesseract, a few pages each run)."""

from __future__ import annotations

import io
import shutil

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from receiptq.errors import ReceiptqError
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.run import Pipeline
from receiptq.receipt import Receipt

sizes = st.one_of(
    st.sampled_from([(1, 1), (2, 3), (3, 2), (1, 4000), (4000, 1), (5, 3000), (3000, 5)]),
    st.tuples(st.integers(1, 120), st.integers(1, 120)),
)
contents = st.sampled_from(["white", "black", "gray", "noise", "bars", "shape"])


def page(size: tuple[int, int], content: str, seed: int, channels: int = 0) -> np.ndarray:
    """A page of ``size`` (h, w): one colour, noise, dark bars on white (ink-like), or a
    light shape of a few corners on a dark ground (what the paper stage looks for)."""
    shape = (*size, channels) if channels else size
    rng = np.random.default_rng(seed)
    if content == "noise":
        return rng.integers(0, 256, shape, dtype=np.uint8)
    value = {"white": 255, "black": 0, "gray": 128, "bars": 255, "shape": 40}[content]
    image = np.full(shape, value, np.uint8)
    if content == "bars":
        image[1::4] = 0
    if content == "shape":
        corners = rng.integers(0, (size[1], size[0]), (rng.integers(3, 7), 2), dtype=np.int32)
        cv2.fillPoly(image, [corners], (230,) * max(1, channels))
    return image


@settings(max_examples=200, deadline=None)
@given(sizes, contents, st.integers(0, 2**16), st.sampled_from([0, 3]))
def test_preprocess_gives_a_grayscale_page_from_any_page(size, content, seed, channels):
    out = preprocess(page(size, content, seed, channels))
    assert out.ndim == 2 and out.dtype == np.uint8 and out.size > 0


def png(image: np.ndarray, mode: str) -> bytes:
    """``image`` (grayscale, uint8) encoded as a PNG of PIL ``mode``."""
    pil = Image.fromarray(image)
    if mode == "I;16":  # 16-bit grayscale: the same levels on 0-65535
        pil = Image.fromarray(image.astype(np.uint16) * 257)
    elif mode != "L":
        pil = pil.convert(mode)
    out = io.BytesIO()
    pil.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
@settings(max_examples=25, deadline=None)
@given(sizes, contents, st.integers(0, 2**16), st.sampled_from(["L", "RGB", "RGBA", "LA", "P",
                                                                  "1", "I;16"]))  # fmt: skip
def test_the_pipeline_reads_any_small_page_or_refuses_it_clearly(
    engines, size, content, seed, mode
):
    try:
        receipt = Pipeline(engines).extract(png(page(size, content, seed), mode))
    except ReceiptqError as exc:
        assert exc.message and exc.status in (413, 415, 422)
    else:
        assert isinstance(receipt, Receipt)
