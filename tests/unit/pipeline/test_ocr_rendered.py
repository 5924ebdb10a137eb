"""OCR + analysis on receipts rendered with PIL: the stages together, on real Tesseract."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.ocr import default_engine, run_ocr
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.reread import read_receipt

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)

ENGLISH = """\
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

POLISH = """\
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


def render(text: str, size: int = 22) -> np.ndarray:
    font = ImageFont.truetype(str(FONT), size)
    lines = text.splitlines()
    width = 40 + size * max(len(x) for x in lines) * 2 // 3
    image = Image.new("L", (width, 40 + int(size * 1.5) * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((20, 20 + int(size * 1.5) * i), line, font=font, fill=0)
    return np.asarray(image)


@pytest.mark.parametrize("engine", sorted({default_engine(), "pytesseract"}))
def test_english_receipt_total_and_date(engine):
    receipt = analyze(run_ocr(preprocess(render(ENGLISH)), engine=engine))
    assert receipt.total == "9.00"
    assert receipt.date == "2019-03-14"
    assert receipt.time == "10:42:05"
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA SDN BHD"
    assert receipt.confidence.ocr > 0.5


def test_polish_receipt_total_and_date():
    receipt = read_receipt(render(POLISH))
    assert receipt.total == "9.47"
    assert receipt.date == "2024-05-12"
    assert receipt.language == "pl"
    assert receipt.currency == "PLN"
    assert receipt.merchant.tax_id == "7811002030"
