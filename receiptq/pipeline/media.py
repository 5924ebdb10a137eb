"""What an upload is and how to turn it into page images.

The type is decided by the bytes, never by the file name. `inspect` is cheap enough for
the API to run on every upload (headers only, plus a reduced-size JPEG decode that still
reads the whole stream, so a truncated file is refused at once); `decode_pages` does the
full work in the worker.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from receiptq.errors import Unprocessable, UnsupportedMediaType

# We enforce our own pixel limit before decoding; PIL's warning/exception would otherwise
# fire on legitimate large scans with a message we don't control.
Image.MAX_IMAGE_PIXELS = None

SUPPORTED_TYPES = ("image/jpeg", "image/png", "image/tiff", "image/webp", "application/pdf")
PDF_DPI = 200


@dataclass(frozen=True)
class MediaInfo:
    media_type: str
    width: int | None = None
    height: int | None = None
    pages: int = 1


def sniff_media_type(head: bytes) -> str | None:
    """The media type from the file's magic bytes, or None when it is not one we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def inspect(data: bytes, *, max_pixels: int, max_pdf_pages: int) -> MediaInfo:
    """Check an upload by content; raise 415/422 errors with a message a user can act on."""
    if not data:
        raise Unprocessable("The file is empty: choose a receipt photo, scan or PDF.")
    media_type = sniff_media_type(data[:1024])
    if media_type is None:
        raise UnsupportedMediaType(
            "This file is not a supported receipt format: upload JPEG, PNG, TIFF, WebP or PDF."
        )
    if media_type == "application/pdf":
        pages = _pdf_page_count(data)
        if pages > max_pdf_pages:
            raise Unprocessable(
                f"The PDF has {pages} pages; at most {max_pdf_pages} are accepted for one receipt."
            )
        return MediaInfo(media_type, pages=pages)
    width, height = _image_size(data)
    _check_pixels(width, height, max_pixels)
    _check_decodes(data, media_type)
    return MediaInfo(media_type, width, height)


def decode_pages(data: bytes, *, max_pixels: int, max_pdf_pages: int) -> list[np.ndarray]:
    """Decode an upload to page images (BGR uint8 arrays, OpenCV's order), one per page."""
    info = inspect(data, max_pixels=max_pixels, max_pdf_pages=max_pdf_pages)
    if info.media_type == "application/pdf":
        return _render_pdf(data, max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            return [_bgr(image)]
    except (OSError, ValueError, SyntaxError) as exc:
        raise Unprocessable(_UNREADABLE) from exc


def _bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


_UNREADABLE = "The image could not be decoded: the file may be damaged or incomplete."


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except (OSError, ValueError, SyntaxError) as exc:
        raise Unprocessable(_UNREADABLE) from exc


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise Unprocessable(_UNREADABLE)
    if width * height > max_pixels:
        megapixels = width * height / 1e6
        raise Unprocessable(
            f"The image is {width}x{height} ({megapixels:.0f} megapixels); at most "
            f"{max_pixels / 1e6:.0f} megapixels are accepted. Resize it and upload again."
        )


def _check_decodes(data: bytes, media_type: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if media_type == "image/jpeg":
                # Decode at 1/8 scale: reads every byte of the stream, costs a few ms.
                image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Unprocessable(_UNREADABLE) from exc


def _open_pdf(data: bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise Unprocessable(
                "The PDF is password-protected: remove the password and upload it again."
            ) from exc
        raise Unprocessable("The PDF could not be read: the file may be damaged.") from exc


def _pdf_page_count(data: bytes) -> int:
    pdf = _open_pdf(data)
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages == 0:
        raise Unprocessable("The PDF has no pages.")
    return pages


def _render_pdf(data: bytes, max_pixels: int) -> list[np.ndarray]:
    pdf = _open_pdf(data)
    try:
        images = []
        for index in range(len(pdf)):
            page = pdf[index]
            width_pt, height_pt = page.get_size()
            scale = PDF_DPI / 72
            pixels = width_pt * height_pt * scale * scale
            if pixels > max_pixels:
                scale *= (max_pixels / pixels) ** 0.5
            bitmap = page.render(scale=scale)
            images.append(_bgr(bitmap.to_pil()))
            page.close()
        return images
    finally:
        pdf.close()
