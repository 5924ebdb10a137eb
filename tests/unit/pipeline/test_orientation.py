"""Pages turned a quarter, half or three quarters without EXIF: found and turned upright
(real Tesseract on a rendered receipt), and upright pages left alone at no cost."""

from __future__ import annotations

import io

import numpy as np
import pytest
from factories import receipt_jpeg
from PIL import Image

from receiptq.pipeline import orientation, run
from receiptq.pipeline.document import Document
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.ocr import TesseractEngine, Word
from receiptq.pipeline.orientation import looks_upright, turned, upright_turn
from receiptq.pipeline.preprocess import Preprocessor


def page() -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(receipt_jpeg())).convert("L"))


def word(text: str, conf: float) -> Word:
    return Word(text=text, conf=conf, left=0, top=0, width=10, height=10)


def test_a_reading_mostly_confident_and_long_enough_looks_upright():
    confident = [word("GROCERIES", 91)] * 12  # 108 letters
    assert looks_upright(confident + [word("x~7", 20)] * 4)
    assert not looks_upright(confident[:3] + [word("qx4r", 30)] * 20)  # mostly doubtful
    assert not looks_upright([word("SAMPLE", 95)])  # a few stray letters: sideways?
    assert not looks_upright([])


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_the_turn_that_stands_the_text_upright_is_found(degrees):
    image = Preprocessor().page(turned(page(), -degrees % 360))  # turned clockwise
    assert upright_turn(image, TesseractEngine()) == degrees


def test_an_upright_page_is_not_turned():
    image = Preprocessor().page(page())
    assert upright_turn(image, TesseractEngine()) == 0


@pytest.mark.parametrize("osd", [True, False])
def test_without_osd_all_four_turns_are_read(monkeypatch, osd):
    """No osd.traineddata: the same answer, from the four bands."""
    if not osd:
        monkeypatch.setattr(orientation, "detect_turn", lambda image: None)
    image = Preprocessor().page(turned(page(), 90))  # counterclockwise: 270 back
    assert upright_turn(image, TesseractEngine()) == 270


def pipeline() -> run.Pipeline:
    return run.Pipeline(Engines(ocr=TesseractEngine(), lines=None))


@pytest.mark.parametrize("degrees", [90, 180])
def test_the_pipeline_reads_a_page_turned_without_exif(degrees):
    doc = pipeline().run(Document.from_image(turned(page(), -degrees % 360)))
    assert doc.turns == [degrees]
    assert doc.receipt.total == "3.60" and doc.receipt.date == "2024-03-14"
    assert doc.pages[0].shape == page().shape  # kept upright, for a second reading


def test_an_upright_page_costs_no_orientation_check():
    doc = pipeline().run(Document.from_image(page()))
    assert doc.turns == [] and doc.receipt.total == "3.60"
