"""Test data built on the fly: receipt images rendered with PIL, with known contents."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from receiptq.pipeline.ocr import Word

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


def make_files(tmp_path: Path, *contents: bytes) -> list[Path]:
    """Files r0.jpg, r1.jpg... in ``tmp_path`` holding ``contents``, in order."""
    paths = []
    for index, content in enumerate(contents):
        path = tmp_path / f"r{index}.jpg"
        path.write_bytes(content)
        paths.append(path)
    return paths


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


# Receipts as text, rendered for the OCR stages' tests.
ENGLISH_TEXT = """\
    KEDAI BUKU CAHAYA SDN BHD
         (654321-X)
    NO 7, JALAN MELATI 2,
  81100 JOHOR BAHRU, JOHOR
    TEL: 07-355 1234

Date: 14/03/2019     10:42:05
NOTEBOOK A5   2 X 3.50    7.00
PEN BLUE      1 X 1.50    1.50
SUBTOTAL                  8.50
GST 6%                    0.51
TOTAL                     9.01
Rounding                 -0.01
Rounded Total             9.00
CASH                     10.00
CHANGE                    1.00
"""

POLISH_TEXT = """\
 SKLEP SPOŻYWCZY ANNA Sp. z o.o.
      ul. Polna 8
     60-535 Poznań
   NIP 781-100-20-30
   PARAGON FISKALNY
2024-05-12             14:33
Chleb razowy 1 x3,49   3,49 A
Mleko 2%     2 x2,99   5,98 A
SUMA PTU               1,77
SUMA PLN               9,47
Gotówka               20,00
Reszta                10,53
"""


def render_text(text: str, size: int = 22) -> np.ndarray:
    """Text drawn in a monospace font on white, as a grayscale array."""
    font = ImageFont.truetype(str(FONT), size)
    lines = text.splitlines()
    width = 40 + size * max(len(x) for x in lines) * 2 // 3
    image = Image.new("L", (width, 40 + int(size * 1.5) * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((20, 20 + int(size * 1.5) * i), line, font=font, fill=0)
    return np.asarray(image)


def blank_pdf(pages: int, side_pt: float) -> bytes:
    """A PDF of empty square pages of side_pt points: a few hundred bytes whatever their
    size (14400 pt, 5 m, is PDF's largest page)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(side_pt, side_pt)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def user_headers(ctx, name: str) -> dict[str, str]:
    """The Authorization header of a new user of its own (`name` plus a random suffix)."""
    from receiptq.store.keys import create_key

    return {"Authorization": f"Bearer {create_key(ctx.pool, f'{name}-{uuid.uuid4().hex[:8]}')[1]}"}


def text_pdf(text: str, size: float = 10.0) -> bytes:
    """A one-page PDF that prints ``text`` (ASCII) in Courier as text, line by line, the
    way a shop's e-receipt carries its text layer."""
    lines = text.splitlines()
    width = 40 + size * 0.6 * max(len(x) for x in lines)
    height = 40 + size * 1.4 * len(lines)
    ops = [f"BT /F1 {size} Tf {size * 1.4} TL 20 {height - 20 - size} Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.0f} {height:.0f}] "
        f"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()


def with_scanned_page(pdf: bytes, image: np.ndarray) -> bytes:
    """``pdf`` with a page added that holds only ``image`` (grayscale): a scan, no text."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    h, w = image.shape[:2]
    page = document.new_page(w * 72 / 150, h * 72 / 150)
    picture = pdfium.PdfImage.new(document)
    _ok, jpeg = cv2.imencode(".jpg", image)
    picture.load_jpeg(io.BytesIO(jpeg.tobytes()), inline=True)
    picture.set_matrix(pdfium.PdfMatrix().scale(w * 72 / 150, h * 72 / 150))
    page.insert_obj(picture)
    page.gen_content()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def segment(*words: tuple[str, float]) -> list[Word]:
    """A row segment of OCR words (text, confidence) laid left to right, 10 px a letter."""
    out, left = [], 0
    for text, conf in words:
        out.append(Word(text=text, conf=conf, left=left, top=0, width=10 * len(text), height=20))
        left += 10 * len(text) + 10
    return out
