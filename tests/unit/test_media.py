"""Upload inspection: the type comes from the bytes, and every refusal says what to do."""

from __future__ import annotations

import io

import pytest
from factories import receipt_jpeg
from PIL import Image

from receiptq.errors import Unprocessable, UnsupportedMediaType
from receiptq.pipeline import media

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
    assert media.inspect(data, **LIMITS) == media.MediaInfo("application/pdf", pages=2)
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
