"""Real Tesseract reads the total off a clean render: the images are legible, not just pretty."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from receiptq.samples import generate_receipt

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract missing")


@pytest.mark.parametrize(
    ("layout", "lang", "ocr_lang"),
    [("pl_fiscal", "pl", "pol"), ("pl_chain", "pl", "pol"), ("uk_till", "en", "eng")],
)
def test_tesseract_reads_the_total(tmp_path: Path, layout: str, lang: str, ocr_lang: str) -> None:
    image, truth = generate_receipt(random.Random(4), lang, layout=layout, noise=0)
    path = tmp_path / "receipt.png"
    image.save(path)
    text = subprocess.run(
        ["tesseract", str(path), "stdout", "-l", ocr_lang, "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        # Tesseract's OpenMP threads fight each other on small machines: 4x slower.
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    ).stdout
    total = truth["total"].replace(".", ",") if lang == "pl" else truth["total"]
    assert total in text, text
