"""Field regions: the rendering's way back to the page, and each field's box on it."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from receiptq.config import Settings
from receiptq.pipeline.document import Document
from receiptq.pipeline.ocr import TesseractEngine
from receiptq.pipeline.preprocess import render
from receiptq.pipeline.regions import locate_fields
from receiptq.pipeline.run import Pipeline, placements
from receiptq.receipt import Merchant

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def sample(name: str) -> np.ndarray:
    image = cv2.imread(str(SAMPLES / name), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def photographed(page: np.ndarray) -> np.ndarray:
    """``page`` on a dark table, turned 9 degrees and seen at a slant, in a large photo."""
    h, w = page.shape
    photo_w, photo_h = 3 * w, round(1.6 * h)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    x0, y0 = 0.9 * w, 0.15 * h
    turned = np.float32([[x0, y0], [x0 + w * 0.99, y0 + 0.16 * w],
                         [x0 + w * 0.95 - 0.16 * h, y0 + 0.16 * w + h],
                         [x0 - 0.16 * h, y0 + h * 1.02]])  # fmt: skip
    matrix = cv2.getPerspectiveTransform(corners, turned)
    return cv2.warpPerspective(page, matrix, (photo_w, photo_h), borderValue=60)


@pytest.mark.parametrize("shape", ["scan", "photo"])
def test_the_way_back_to_the_page_lands_each_rendered_pixel_where_it_came_from(shape):
    page = sample("uk_till_2024_003.png")
    if shape == "photo":  # shrunk, flattened, deskewed, cropped and scaled on the way
        page = photographed(page)
    rendering = render(page, flatten=False, clear_blobs=False)
    h, w = rendering.image.shape
    # the page sampled through to_page is the rendering, pixel for pixel but for resampling
    back = cv2.warpPerspective(
        page, rendering.to_page, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderValue=255,
    )  # fmt: skip
    difference = np.abs(back.astype(int) - rendering.image.astype(int))
    assert rendering.page_size == page.shape
    assert np.median(difference) <= 2 and difference.mean() < 12
    # and not by chance: a pixel off makes it worse
    shifted = np.roll(back, 3, axis=0)
    assert np.abs(shifted.astype(int) - rendering.image.astype(int)).mean() > difference.mean()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


def read_crop(page: np.ndarray, box: tuple[int, int, int, int]) -> str:
    x0, y0, x1, y1 = box
    pad = 6
    crop = page[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    return TesseractEngine("eng").read(crop, psm=7).text


@pytest.mark.parametrize("shape", ["scan", "photo"])
def test_each_field_region_holds_what_was_read_there(pipeline, shape):
    page = sample("uk_till_2024_003.png")
    if shape == "photo":
        page = photographed(page)
    receipt = pipeline.extract(cv2.imencode(".png", page)[1].tobytes())
    assert receipt.total == "29.83" and receipt.date == "2022-09-22"
    regions = receipt.regions
    assert {"merchant.name", "merchant.address", "date", "total"} <= set(regions)
    assert all(r.page == 0 for r in regions.values())
    assert "2983" in re.sub(r"\D", "", read_crop(page, regions["total"].box))
    name_read = read_crop(page, regions["merchant.name"].box).upper()
    assert difflib.SequenceMatcher(None, name_read, "KINGSWAY GROCERS").ratio() > 0.8
    name, address = regions["merchant.name"].box, regions["merchant.address"].box
    assert name[1] + name[3] < address[1] + address[3]  # the name above the address
    # every item found has its row, in order down the page
    tops = [item.region.box[1] for item in receipt.items if item.region is not None]
    assert len(tops) == len(receipt.items) and tops == sorted(tops)


def test_a_value_no_row_reads_like_gets_no_region(pipeline):
    doc = pipeline.run(Document(data=(SAMPLES / "uk_till_2024_003.png").read_bytes()))
    assert "merchant.name" in doc.receipt.regions
    other = doc.receipt.model_copy(
        update={"merchant": Merchant(name="ZEPHYR QUANTUM BAKERY"), "total": "987.65"}
    )
    regions = locate_fields(other, doc.layout, placements(doc)).regions
    assert "merchant.name" not in regions and "total" not in regions
    assert regions["date"] == doc.receipt.regions["date"]  # the rest still found
