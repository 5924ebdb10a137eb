"""OCR output parsing and the engine cache."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys

import pytest

from receiptq.pipeline import ocr
from receiptq.pipeline.ocr import default_engine, parse_tsv
from receiptq.samples import generate_receipt

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t600\t900\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t20\t30\t80\t22\t96.5\tSUMA\n"
    "5\t1\t1\t1\t1\t2\t110\t30\t50\t22\t91.0\tPLN\n"
    "5\t1\t2\t1\t1\t1\t480\t31\t70\t22\t88.25\t45,60\n"
    "5\t1\t2\t1\t1\t2\t560\t31\t10\t22\t95\t \n"
)


def test_parse_tsv_keeps_words_with_boxes_and_confidence():
    words = parse_tsv(TSV)
    assert [w.text for w in words] == ["SUMA", "PLN", "45,60"]
    assert (words[2].left, words[2].top, words[2].right, words[2].bottom) == (480, 31, 550, 53)
    assert words[2].conf == 88.25
    assert words[2].block == 2


def test_parse_tsv_without_header():
    assert [w.text for w in parse_tsv(TSV.split("\n", 1)[1])] == ["SUMA", "PLN", "45,60"]


def test_default_engine_is_available():
    assert default_engine() in ("tesserocr", "pytesseract")
    if importlib.util.find_spec("tesserocr") is None:
        assert default_engine() == "pytesseract"


@pytest.mark.skipif(
    importlib.util.find_spec("tesserocr") is None or ocr.tessdata_dir() is None,
    reason="needs tesserocr and tessdata",
)
def test_tesserocr_engine_is_kept_per_process_and_rebuilt_after_fork():
    api = ocr._tesserocr_api("eng", {})
    assert ocr._tesserocr_api("eng", {}) is api
    # A forked child (a Celery prefork worker) has another pid: it builds its own engine.
    assert ocr._tesserocr_api("eng", {}, pid=os.getpid() + 1) is not api
    assert ocr._tesserocr_api("eng", {}) is not api  # and the parent, back, its own again


# In a fresh interpreter: the severity Leptonica had before a probe set it to silent
# (setMsgSeverity returns the previous level), before and after an engine is built.
SEVERITY_PROBE = """
import ctypes
from receiptq.pipeline import ocr
lept = ctypes.CDLL(ocr.leptonica_library())
import tesserocr
before = lept.setMsgSeverity(3)
lept.setMsgSeverity(before)
ocr._tesserocr_api("eng", {})
print(before, lept.setMsgSeverity(before))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("tesserocr") is None or ocr.tessdata_dir() is None,
    reason="needs tesserocr and tessdata",
)
def test_leptonica_messages_are_off_once_an_engine_is_built():
    """Leptonica prints "Error in boxClipToRectangle" to a worker's stderr on a third of
    scans (boxes Tesseract's layout hands it partly off the page): off, in every process."""
    assert ocr.leptonica_library() is not None
    out = subprocess.run([sys.executable, "-c", SEVERITY_PROBE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    before, after = (int(v) for v in out.stdout.split())
    assert before < ocr.LEPTONICA_SILENT  # its messages are on by default
    assert after == ocr.LEPTONICA_SILENT


@pytest.mark.skipif(importlib.util.find_spec("tesserocr") is None, reason="tesserocr missing")
@pytest.mark.parametrize("color", [False, True])
def test_raw_pixels_read_as_tesserocrs_pil_path_did(color):
    """The page goes to Tesseract as raw bytes at SOURCE_DPI: the very words, boxes and
    confidences of tesserocr's SetImage(PIL image), which made a BMP of it first."""
    import cv2
    import numpy as np
    from PIL import Image

    receipt, _ = generate_receipt(random.Random(3), "pl")
    page = np.asarray(receipt.convert("L"))[:500]
    image = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR) if color else page
    if color:
        image[:, :, 2] = np.maximum(image[:, :, 2], 60)  # a red tint: channel order counts
    words = ocr.run_ocr(image, langs="eng", engine="tesserocr").words
    api = ocr._tesserocr_api("eng", {})
    api.SetPageSegMode(4)
    api.SetImage(Image.fromarray(image[:, :, ::-1] if color else image))
    api.Recognize()
    expected = ocr.parse_tsv(api.GetTSVText(0))
    api.Clear()
    assert len([w for w in words if w.text.strip()]) > 20
    assert words == expected


@pytest.mark.skipif(importlib.util.find_spec("tesserocr") is None, reason="tesserocr missing")
def test_an_engine_not_kept_lets_its_model_go_after_each_reading():
    import numpy as np

    page = np.asarray(generate_receipt(random.Random(5), "pl")[0].convert("L"))[:300]
    kept = ocr.TesseractEngine("eng", "tesserocr")
    passing = ocr.TesseractEngine("pol", "tesserocr", keep=False)
    kept.read(page)
    first = passing.read(page)
    assert ("eng", ()) in ocr._local.apis and ("pol", ()) not in ocr._local.apis
    assert passing.read(page).words == first.words  # loaded again, the same reading
    assert ocr.release_tesserocr("eng") and not ocr.release_tesserocr("pol")
