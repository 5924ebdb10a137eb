"""What an upload is and how to turn it into page images.

The type is decided by the bytes, never by the file name. `inspect` is cheap enough for
the API to run on every upload (headers only, plus a reduced-size JPEG decode that still
reads the whole stream, so a truncated file is refused at once); `iter_pages` does the
full work in the worker, one page at a time.

Pages: a PDF's and a multi-page TIFF's are read one at a time, each like a photo. A
transparent background (PNG, WebP, TIFF with alpha, or a palette's transparent colour) is
laid on white, as it shows on screen, not on the black its hidden pixels often hold.

Memory: a page costs about its pixels times the bytes the pipeline keeps per pixel,
whatever the file's size (a blank 40-megapixel PNG is a few kB). So each page is held to
`max_pixels` and the whole job, all pages summed, to `max_job_pixels`: `inspect` counts a
PDF's pages from their page boxes and a TIFF's from their headers, before anything is
rendered or decoded, and refuses with a 422.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
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
    pixels: int = 0  # all pages together, as they will be decoded or rendered


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


def inspect(
    data: bytes, *, max_pixels: int, max_pdf_pages: int, max_job_pixels: int | None = None
) -> MediaInfo:
    """Check an upload by content; raise 415/422 errors with a message a user can act on.
    `max_job_pixels` (None: only the per-page limit) bounds the pixels of all pages."""
    if not data:
        raise Unprocessable("The file is empty: choose a receipt photo, scan or PDF.")
    media_type = sniff_media_type(data[:1024])
    if media_type is None:
        raise UnsupportedMediaType(
            "This file is not a supported receipt format: upload JPEG, PNG, TIFF, WebP or PDF."
        )
    if media_type == "application/pdf":
        page_boxes = _pdf_page_sizes(data)
        if len(page_boxes) > max_pdf_pages:
            raise Unprocessable(
                f"The PDF has {len(page_boxes)} pages; at most {max_pdf_pages} are accepted for"
                " one receipt."
            )
        pixels = sum(_pdf_render_size(w, h, max_pixels)[1] for w, h in page_boxes)
        _check_job_pixels(pixels, max_job_pixels, len(page_boxes))
        return MediaInfo(media_type, pages=len(page_boxes), pixels=pixels)
    sizes = _image_sizes(data, media_type)
    if len(sizes) > max_pdf_pages:
        raise Unprocessable(
            f"The TIFF has {len(sizes)} pages; at most {max_pdf_pages} are accepted for one"
            " receipt."
        )
    for width, height in sizes:
        _check_pixels(width, height, max_pixels)
    pixels = sum(width * height for width, height in sizes)
    _check_job_pixels(pixels, max_job_pixels, len(sizes))
    _check_decodes(data, media_type)
    width, height = sizes[0]
    return MediaInfo(media_type, width, height, pages=len(sizes), pixels=pixels)


def iter_pages(
    data: bytes, info: MediaInfo, *, max_pixels: int, gray: bool = False
) -> Iterator[np.ndarray]:
    """The pages of an upload `inspect` accepted (as `info`), as BGR uint8 arrays
    (OpenCV's order), or gray ones with ``gray`` (what the pipeline reads: a third of the
    memory), decoded or rendered one at a time as they are asked for."""
    if info.media_type == "application/pdf":
        for rendered in _render_pdf(data, max_pixels):
            yield cv2.cvtColor(rendered, cv2.COLOR_BGR2GRAY) if gray else rendered
        return
    for index in range(info.pages):
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.seek(index)  # a TIFF's page; the one frame of anything else
                frame = ImageOps.exif_transpose(image)
                page = _pixels(frame, gray)
                del frame
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise Unprocessable(_UNREADABLE) from exc
        yield page
        del page


def decode_pages(
    data: bytes, *, max_pixels: int, max_pdf_pages: int, max_job_pixels: int | None = None
) -> list[np.ndarray]:
    """Every page at once (BGR uint8 arrays), for callers that need them together."""
    info = inspect(
        data, max_pixels=max_pixels, max_pdf_pages=max_pdf_pages, max_job_pixels=max_job_pixels
    )
    return list(iter_pages(data, info, max_pixels=max_pixels))


def _pixels(image: Image.Image, gray: bool = False) -> np.ndarray:
    """BGR pixels, the same as PIL's RGB conversion reversed, with fewer full-size copies
    alive at once: a gray image is widened by OpenCV, an RGB one is not copied by PIL.
    With ``gray``, OpenCV's gray of those BGR pixels, without making them. Transparent
    pixels are laid on white."""
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        page = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        page.alpha_composite(rgba)
        del rgba
        image = page.convert("RGB")
    if image.mode in ("1", "L"):
        plain = np.asarray(image if image.mode == "L" else image.convert("L"))
        return np.array(plain) if gray else cv2.cvtColor(plain, cv2.COLOR_GRAY2BGR)
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY if gray else cv2.COLOR_RGB2BGR)


def _has_transparency(image: Image.Image) -> bool:
    """An alpha channel, or a transparent colour (a palette's or a PNG's tRNS)."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


_UNREADABLE = "The image could not be decoded: the file may be damaged or incomplete."


def _image_sizes(data: bytes, media_type: str) -> list[tuple[int, int]]:
    """Each page's size from its header: a TIFF's every page, else the one image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                if media_type != "image/tiff":
                    return [image.size]
                sizes = []
                for index in range(getattr(image, "n_frames", 1)):
                    image.seek(index)
                    sizes.append(image.size)
                return sizes
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
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


def _check_job_pixels(pixels: int, max_job_pixels: int | None, pages: int) -> None:
    if max_job_pixels is not None and pixels > max_job_pixels:
        of = f"The {pages} pages come" if pages > 1 else "The page comes"
        raise Unprocessable(
            f"{of} to {pixels / 1e6:.0f} megapixels; at most {max_job_pixels / 1e6:.0f} are"
            " accepted for one receipt. Upload a smaller scan or fewer pages."
        )


def _check_decodes(data: bytes, media_type: str) -> None:
    """Decode the image (every page of a TIFF), so that a damaged file is refused now."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if media_type == "image/jpeg":
                # Decode at 1/8 scale: reads every byte of the stream, costs a few ms.
                image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
            pages = getattr(image, "n_frames", 1) if media_type == "image/tiff" else 1
            for index in range(pages):
                image.seek(index)
                image.load()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
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


def _pdf_page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points, from its page box: nothing is rendered."""
    pdf = _open_pdf(data)
    try:
        sizes = [pdf.get_page_size(index) for index in range(len(pdf))]
    finally:
        pdf.close()
    if not sizes:
        raise Unprocessable("The PDF has no pages.")
    return sizes


def _pdf_render_size(width_pt: float, height_pt: float, max_pixels: int) -> tuple[float, int]:
    """The scale a page is rendered at (PDF_DPI, less if that would pass `max_pixels`) and
    about how many pixels that makes."""
    scale = PDF_DPI / 72
    pixels = width_pt * height_pt * scale * scale
    if pixels > max_pixels:
        scale *= (max_pixels / pixels) ** 0.5
    return scale, round(width_pt * scale) * round(height_pt * scale)


def _render_pdf(data: bytes, max_pixels: int) -> Iterator[np.ndarray]:
    pdf = _open_pdf(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                width_pt, height_pt = page.get_size()
                scale, _ = _pdf_render_size(width_pt, height_pt, max_pixels)
                bitmap = page.render(scale=scale)
                # pdfium renders BGR; copied out of pdfium's buffer, which is freed at once
                rendered = np.array(bitmap.to_numpy()[:, :, :3], copy=True)
                bitmap.close()
                del bitmap  # its buffer, Python's memory, would live while the page is read
            finally:
                page.close()
            yield rendered
    finally:
        pdf.close()
