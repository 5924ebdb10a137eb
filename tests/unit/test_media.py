"""Upload inspection: the type comes from the bytes, and every refusal says what to do."""

from __future__ import annotations

import contextlib
import gc
import io
import tracemalloc
import weakref
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from factories import blank_pdf, receipt_jpeg
from PIL import Image

from receiptq.errors import Unprocessable, UnsupportedMediaType
from receiptq.pipeline import media, run
from receiptq.pipeline.document import Document
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.preprocess import Rendering

LIMITS = {"max_pixels": 40_000_000, "max_pdf_pages": 5}


def encode(fmt: str, size=(300, 400), mode="L", **kw) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 255).save(out, format=fmt, **kw)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (200, 300), "white") for _ in range(pages)]
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff"), ("WEBP", "image/webp")],
)
def test_images_are_recognised_by_content(fmt, expected):
    info = media.inspect(encode(fmt), **LIMITS)
    assert info.media_type == expected
    assert (info.width, info.height) == (300, 400)


def test_pdf_pages_are_counted_and_rendered():
    data = pdf(2)
    info = media.inspect(data, **LIMITS)
    assert (info.media_type, info.pages) == ("application/pdf", 2)
    assert info.pixels == 2 * 556 * 833  # 200x300 pt at 200 DPI, twice
    pages = media.decode_pages(data, **LIMITS)
    assert len(pages) == 2
    # 200x300 pt rendered at 200 DPI
    height, width = pages[0].shape[:2]
    assert abs(height - 300 * 200 / 72) <= 1 and abs(width - 200 * 200 / 72) <= 1


@pytest.mark.parametrize(
    "data", [b"<html><body>not a receipt</body></html>", b"GIF89a....", b"PK\x03\x04zip"]
)
def test_other_types_are_415(data):
    with pytest.raises(UnsupportedMediaType, match="JPEG, PNG, TIFF, WebP or PDF"):
        media.inspect(data, **LIMITS)


def test_empty_file_is_refused():
    with pytest.raises(Unprocessable, match="empty"):
        media.inspect(b"", **LIMITS)


def test_truncated_jpeg_is_refused_at_upload():
    data = receipt_jpeg()
    with pytest.raises(Unprocessable, match="damaged or incomplete"):
        media.inspect(data[: len(data) // 2], **LIMITS)


def test_decompression_bomb_is_refused_before_decoding():
    bomb = encode("PNG", size=(20_000, 20_000), mode="1")  # 400 MP in a few kB
    assert len(bomb) < 200_000
    with pytest.raises(Unprocessable, match="megapixels"):
        media.inspect(bomb, **LIMITS)


def test_too_many_pdf_pages_is_refused():
    with pytest.raises(Unprocessable, match="at most 5"):
        media.inspect(pdf(6), **LIMITS)


def test_broken_pdf_is_refused():
    with pytest.raises(Unprocessable, match="PDF"):
        media.inspect(b"%PDF-1.7\n garbage garbage", **LIMITS)


def test_exif_rotation_is_applied():
    out = io.BytesIO()
    image = Image.new("RGB", (300, 100), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image.save(out, format="JPEG", exif=exif)
    (page,) = media.decode_pages(out.getvalue(), **LIMITS)
    assert page.shape[:2] == (300, 100)


@contextlib.contextmanager
def traced() -> Iterator[list[int]]:
    """[current, peak] bytes of the Python and numpy memory allocated inside the block (a
    rendered page is copied out of pdfium into a numpy array: tracemalloc sees it)."""
    tracemalloc.start()
    sizes: list[int] = []
    try:
        yield sizes
        sizes.extend(tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()


def test_pdf_pages_adding_up_past_the_job_budget_are_refused_before_rendering():
    """5 pages of 14400 pt (PDF's largest) in 1 kB: 40 MP each once scaled to the page
    limit, 200 MP in all. Refused from the page boxes, at submit, nothing rendered (a
    page would be a 120 MB array)."""
    data = blank_pdf(5, 14400)
    assert len(data) < 2000
    with traced() as sizes:
        with pytest.raises(Unprocessable, match="5 pages come to 200 megapixels; at most 40"):
            media.inspect(data, **LIMITS, max_job_pixels=40_000_000)
        with pytest.raises(Unprocessable, match="200 megapixels"):
            media.decode_pages(data, **LIMITS, max_job_pixels=40_000_000)
    assert sizes[1] < 5_000_000
    info = media.inspect(blank_pdf(2, 1000), **LIMITS, max_job_pixels=40_000_000)
    assert info.pages == 2 and 15_000_000 < info.pixels < 16_000_000  # 2 x 2778^2


def test_the_job_budget_holds_for_an_image_too():
    data = encode("PNG", size=(3000, 3000), mode="1")  # 9 MP: under the page limit
    assert media.inspect(data, **LIMITS).pixels == 9_000_000
    with pytest.raises(Unprocessable, match="9 megapixels; at most 8"):
        media.inspect(data, **LIMITS, max_job_pixels=8_000_000)


def test_pdf_pages_are_rendered_one_at_a_time_as_asked_for():
    data = blank_pdf(3, 1000)  # pages of 2778 x 2778 px: 23 MB each in BGR
    page_bytes = 2778 * 2778 * 3
    pages = media.iter_pages(data, media.inspect(data, **LIMITS), max_pixels=40_000_000)
    with traced() as before_asked:
        first = next(pages)
    assert first.shape == (2778, 2778, 3)
    assert 0.9 * page_bytes < before_asked[0] < 1.5 * page_bytes  # that page, no other
    del first
    with traced() as rest:
        others = list(pages)
    assert len(others) == 2
    assert 1.8 * page_bytes < rest[0] < 2.5 * page_bytes


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P", "CMYK", "I;16"])
def test_decoded_pages_are_pils_rgb_reversed_in_every_mode(mode):
    """The decoder's shortcuts (gray widened by OpenCV, no copy of RGB) give the very
    pixels of PIL's RGB conversion in BGR order, the pipeline's input as before (modes
    with transparency: test_transparency_is_laid_on_white)."""
    rng = np.random.default_rng(7)
    image = Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8), "RGB")
    image = image.convert("L").convert("I;16") if mode == "I;16" else image.convert(mode)
    out = io.BytesIO()
    image.save(out, format="TIFF")
    (page,) = media.decode_pages(out.getvalue(), **LIMITS)
    expected = np.asarray(Image.open(out).convert("RGB"))[:, :, ::-1]
    assert page.dtype == np.uint8 and page.flags.c_contiguous
    assert np.array_equal(page, expected)


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P", "CMYK", "I;16", "RGBA", "PDF"])
def test_gray_pages_are_opencvs_gray_of_the_bgr_pages(mode):
    """What the pipeline reads (``gray=True``, a third of the memory) is pixel for pixel
    what the first rendering made of the BGR page before."""
    rng = np.random.default_rng(11)
    if mode == "PDF":
        data = pdf(1)
    else:
        image = Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8), "RGB")
        if mode == "RGBA":
            image.putalpha(Image.fromarray(rng.integers(0, 256, (40, 30), dtype=np.uint8)))
        else:
            image = image.convert("L").convert("I;16") if mode == "I;16" else image.convert(mode)
        out = io.BytesIO()
        image.save(out, format="TIFF")
        data = out.getvalue()
    info = media.inspect(data, **LIMITS)
    (bgr,) = media.iter_pages(data, info, max_pixels=LIMITS["max_pixels"])
    (gray,) = media.iter_pages(data, info, max_pixels=LIMITS["max_pixels"], gray=True)
    assert gray.ndim == 2 and gray.dtype == np.uint8 and gray.flags.writeable
    assert np.array_equal(gray, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))


def test_the_pipeline_keeps_a_single_page_in_gray():
    steps = [step for step in run.STEPS if step.name in ("decode", "preprocess")]
    engines = Engines(ocr=None, lines=None)
    doc = run.Pipeline(engines, steps=steps).run(Document(data=receipt_jpeg()))
    (page,) = doc.pages
    assert page.ndim == 2


class _KeepsWeakrefs:
    """A page renderer that notes, as it renders each page, which earlier pages are alive."""

    def __init__(self) -> None:
        self.pages: list[weakref.ref] = []
        self.alive_before: list[int] = []

    def page(self, image: np.ndarray, second: bool = False) -> Rendering:
        gc.collect()
        self.alive_before.append(sum(ref() is not None for ref in self.pages))
        self.pages.append(weakref.ref(image))
        return Rendering(np.full((20, 20), 255, np.uint8), np.eye(3), image.shape[:2])


def test_the_pipeline_preprocesses_each_page_before_the_next_is_decoded():
    """Only one decoded page is alive at a time: page i is preprocessed (and dropped)
    before page i + 1 is rendered, and a multi-page upload keeps none of them."""
    renderer = _KeepsWeakrefs()
    engines = Engines(ocr=None, lines=None, preprocessor=renderer)
    steps = [step for step in run.STEPS if step.name in ("decode", "preprocess")]
    doc = run.Pipeline(engines, steps=steps).run(Document(data=pdf(3)))
    assert len(doc.images) == 3
    assert renderer.alive_before == [0, 0, 0]
    assert doc.pages == []


def tiff_pages(*images: Image.Image) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=list(images[1:]))
    return out.getvalue()


def test_every_page_of_a_tiff_is_read_in_order():
    shades = (0, 100, 200)
    sizes = ((300, 400), (200, 500), (310, 90))
    data = tiff_pages(
        *(Image.new("L", size, shade) for size, shade in zip(sizes, shades, strict=True))
    )
    info = media.inspect(data, **LIMITS)
    assert (info.pages, info.pixels) == (3, sum(w * h for w, h in sizes))
    pages = media.decode_pages(data, **LIMITS)
    assert [page.shape[:2] for page in pages] == [(h, w) for w, h in sizes]
    assert [int(page[5, 5, 0]) for page in pages] == list(shades)


def test_tiff_pages_are_held_to_the_page_and_job_limits():
    data = tiff_pages(*(Image.new("L", (300, 400), 255) for _ in range(6)))
    with pytest.raises(Unprocessable, match="The TIFF has 6 pages; at most 5"):
        media.inspect(data, **LIMITS)
    data = tiff_pages(*(Image.new("L", (300, 400), 255) for _ in range(3)))
    with pytest.raises(Unprocessable, match="The 3 pages come to"):
        media.inspect(data, **LIMITS, max_job_pixels=300 * 400 * 2)
    big = tiff_pages(Image.new("L", (30, 40), 255), Image.new("L", (3000, 4000), 255))
    with pytest.raises(Unprocessable, match="12 megapixels"):
        media.inspect(big, max_pixels=5_000_000, max_pdf_pages=5)


def test_a_multi_page_tiff_is_preprocessed_a_page_at_a_time_and_keeps_none():
    renderer = _KeepsWeakrefs()
    engines = Engines(ocr=None, lines=None, preprocessor=renderer)
    steps = [step for step in run.STEPS if step.name in ("decode", "preprocess")]
    data = tiff_pages(*(Image.new("L", (300, 400), 255) for _ in range(3)))
    doc = run.Pipeline(engines, steps=steps).run(Document(data=data))
    assert len(doc.images) == 3 and renderer.alive_before == [0, 0, 0] and doc.pages == []


def _ink_on_clear(mode: str) -> Image.Image:
    """Black ink on a fully transparent background whose hidden colour is black too, as
    many programs save it."""
    rgba = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (10, 10, 50, 30))
    if mode == "P":  # a palette with one transparent entry
        return rgba.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return rgba.convert(mode)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("RGBA", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("RGBA", "WEBP"), ("RGBA", "TIFF")],
)
def test_transparency_is_laid_on_white(mode, fmt):
    """A transparent background shows white (as on screen), not the black its hidden
    pixels hold; the ink stays black."""
    out = io.BytesIO()
    image = _ink_on_clear(mode)
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    image.save(out, format=fmt, **kwargs)
    reopened = Image.open(io.BytesIO(out.getvalue()))
    assert reopened.mode in ("RGBA", "LA", "P") and (
        reopened.mode != "P" or "transparency" in reopened.info
    ), reopened.mode
    (page,) = media.decode_pages(out.getvalue(), **LIMITS)
    assert page[2, 2].tolist() == [255, 255, 255]  # background
    assert page[20, 30].tolist() == [0, 0, 0]  # ink


def test_a_transparent_receipt_is_read():
    """The receipt of a PNG whose paper is transparent: before, it turned black."""
    from receiptq.pipeline.ocr import TesseractEngine

    gray = Image.open(io.BytesIO(receipt_jpeg())).convert("L")
    clear = Image.new("LA", gray.size, (0, 0))
    clear.putalpha(Image.eval(gray, lambda v: 255 - v))  # ink opaque, paper clear
    out = io.BytesIO()
    clear.save(out, format="PNG")
    pipeline = run.Pipeline(Engines(ocr=TesseractEngine(), lines=None))
    assert pipeline.extract(out.getvalue()).total == "3.60"


def test_a_receipt_across_two_tiff_pages_is_read_whole():
    """Its total is on the second page: before, only the first page was read."""
    from receiptq.pipeline.ocr import TesseractEngine

    gray = Image.open(io.BytesIO(receipt_jpeg())).convert("L")
    cut = gray.height // 2
    data = tiff_pages(gray.crop((0, 0, gray.width, cut)), gray.crop((0, cut, *gray.size)))
    pipeline = run.Pipeline(Engines(ocr=TesseractEngine(), lines=None))
    receipt = pipeline.extract(data)
    assert receipt.total == "3.60" and receipt.merchant.name
