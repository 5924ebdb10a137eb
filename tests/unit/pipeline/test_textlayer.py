"""A PDF with a text layer is read from its text, without OCR; pages without one by OCR."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from factories import POLISH_TEXT, render_text, text_pdf, with_scanned_page

from receiptq.config import Settings
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.run import Pipeline
from receiptq.pipeline.textlayer import pdf_text_readings

#: The Polish receipt in letters the PDF's standard font encodes (no Polish marks).
PLAIN = "".join(
    c for c in unicodedata.normalize("NFKD", POLISH_TEXT) if not unicodedata.combining(c)
)


class NoOcr:
    """An OCR engine that fails the test if it is asked to read anything."""

    name = "no-ocr"

    def read(self, image, psm: int = 4):
        pytest.fail("a page with a text layer was sent to OCR")


@pytest.fixture(scope="module")
def engines() -> Engines:
    return Engines.from_settings(Settings())


def test_the_text_layer_as_words_with_boxes():
    reading = pdf_text_readings(text_pdf(PLAIN))[0]
    assert reading is not None and reading.engine == "text_layer"
    assert reading.text.splitlines()[0] == "SKLEP SPOZYWCZY ANNA Sp. z o.o."
    rows = {}
    for word in reading.words:
        rows.setdefault(word.line, []).append(word)
    for words in rows.values():  # left to right, on one row, not overlapping
        assert all(a.right <= b.left for a, b in itertools.pairwise(words))
        assert max(w.top for w in words) - min(w.top for w in words) <= 2


def test_a_page_without_text_has_no_reading():
    pdf = with_scanned_page(text_pdf(PLAIN), render_text(POLISH_TEXT))
    readings = pdf_text_readings(pdf)
    assert readings[0] is not None and readings[1] is None


def test_a_text_pdf_is_read_without_ocr(engines):
    pipeline = Pipeline(Engines(ocr=NoOcr(), lines=None), skip={"quality"})
    receipt = pipeline.extract(text_pdf(PLAIN))
    assert receipt.total == "9.47"
    assert receipt.date == "2024-05-12"
    assert receipt.merchant.name == "SKLEP SPOŻYWCZY ANNA Sp. z o.o."  # marks put back
    assert [(i.description, i.total_price) for i in receipt.items] == [
        ("Chleb razowy", "3.49"),
        ("Mleko 2%", "5.98"),
    ]
    assert [p.model_dump() for p in receipt.pages] == [{"page": 0, "source": "text_layer"}]


def test_a_scanned_page_beside_a_text_page_is_read_by_ocr(engines):
    pdf = with_scanned_page(text_pdf(PLAIN), render_text(POLISH_TEXT))
    receipt = Pipeline(engines).extract(pdf)
    assert [p.source for p in receipt.pages] == ["text_layer", "ocr"]
    assert receipt.total == "9.47"


def test_an_image_is_read_by_ocr(engines):
    import cv2

    _ok, png = cv2.imencode(".png", render_text(POLISH_TEXT))
    receipt = Pipeline(engines).extract(png.tobytes())
    assert [p.model_dump() for p in receipt.pages] == [{"page": 0, "source": "ocr"}]
