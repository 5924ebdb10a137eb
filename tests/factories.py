"""Test data built on the fly: receipt images rendered with PIL, with known contents."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")

RECEIPT_LINES = [
    "CORNER GROCER LTD",
    "12 HIGH STREET, LEEDS LS1 4AB",
    "DATE: 14/03/2024  TIME: 10:42",
    "",
    "MILK 2L                 1.45",
    "WHOLEMEAL BREAD         1.20",
    "BANANAS                 0.95",
    "",
    "TOTAL                   3.60",
    "CARD                    3.60",
    "THANK YOU",
]


def render_lines(lines: list[str], width: int = 820, size: int = 30, fmt: str = "JPEG") -> bytes:
    font = ImageFont.truetype(str(FONT), size)
    line_height = int(size * 1.5)
    image = Image.new("L", (width, 60 + line_height * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((30, 30 + index * line_height), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, format=fmt, quality=90)
    return out.getvalue()


def _ref() -> str:
    """A transaction number, so every rendered receipt has bytes of its own (the API
    answers identical bytes from one user with the existing job)."""
    return f"TRANS {uuid.uuid4().hex[:8].upper()}"


def receipt_jpeg() -> bytes:
    return render_lines([*RECEIPT_LINES, _ref()])


def long_receipt_jpeg(items: int = 160) -> bytes:
    """A long receipt (slow to OCR: a few seconds), for catching a job mid-processing."""
    lines = RECEIPT_LINES[:4]
    lines += [f"ITEM NUMBER {i:03d} GROCERY     {1 + i % 7}.{i % 100:02d}" for i in range(items)]
    lines += [*RECEIPT_LINES[8:], _ref()]
    return render_lines(lines, size=26)
