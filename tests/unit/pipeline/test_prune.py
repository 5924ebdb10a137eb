"""Cutting a line model's last layer to the classes decoding keeps (`receiptq.pipeline.prune`):
a small model of the same ending, run whole and cut by ONNX Runtime."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from factories import FONT
from factories import render_text as render
from onnx import TensorProto, helper, numpy_helper

from receiptq.pipeline import prune, recognize
from receiptq.pipeline.recognize import CtcDecoder, LineRecognizer, model_files, read_alphabet

# A dictionary like PP-OCRv6's: hanzi, Polish letters and ASCII.
ALPHABET = ["的", "A", "B", "ł", "1", ".", "ż", "C"]
HIDDEN = 5


def tail_model(classes: int, constants: bool, seed: int = 0) -> onnx.ModelProto:
    """features (1, steps, HIDDEN) -> MatMul -> Add -> Identity -> Softmax, as PP-OCR's line
    models end; weights as initializers (PP-OCRv6's files) or Constant nodes (PP-OCRv4's)."""
    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(size=(HIDDEN, classes)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(size=classes).astype(np.float32), "b")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["logits"]),
        helper.make_node("Identity", ["logits"], ["same"]),
        helper.make_node("Softmax", ["same"], ["probs"], axis=2),
    ]
    if constants:
        nodes[:0] = [helper.make_node("Constant", [], [t.name], value=t) for t in (w, b)]
    graph = helper.make_graph(
        nodes, "tail",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "steps", HIDDEN])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, "steps", classes])],
        initializer=[] if constants else [w, b],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0][0]


@pytest.mark.parametrize("constants", [False, True])
def test_the_cut_model_gives_the_kept_classes_probabilities_among_themselves(constants):
    classes = len(ALPHABET) + 2
    x = np.random.default_rng(1).normal(size=(1, 12, HIDDEN)).astype(np.float32)
    whole = run(tail_model(classes, constants), x)
    cut = prune.cut(tail_model(classes, constants), ALPHABET)
    kept = recognize.kept_classes(["", *ALPHABET, " "])
    assert kept.tolist() == [0, 2, 3, 5, 6, 8, 9]  # blank, A, B, 1, ., C, space
    expected = whole[:, kept] / whole[:, kept].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(run(cut, x), expected, rtol=1e-5, atol=1e-6)
    alphabet = {p.key: p.value for p in cut.metadata_props}[prune.ALPHABET_KEY].splitlines()
    assert alphabet == ["A", "B", "1", ".", "C"]
    # Decoding reads the same text from both: the best kept class of each step is the same.
    assert CtcDecoder(alphabet).decode(run(cut, x)).text == CtcDecoder(ALPHABET).decode(whole).text


def test_a_model_of_another_alphabet_or_ending_is_refused():
    with pytest.raises(ValueError, match="classes"):
        prune.cut(tail_model(len(ALPHABET) + 3, False), ALPHABET)
    model = tail_model(len(ALPHABET) + 2, False)
    model.graph.node[1].op_type = "Sub"
    with pytest.raises(ValueError, match="Sub"):
        prune.cut(model, ALPHABET)


def test_cut_files_are_named_by_the_installed_files_and_made_once(tmp_path, monkeypatch):
    if model_files("v4") is None:
        pytest.skip("rapidocr_onnxruntime is not installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = prune.cut_path("v4")
    assert path is not None and path.parent == tmp_path / "receiptq" / "line-models"
    made = prune.cut_model("v4")  # a child process writes it
    assert made == path and path.is_file()
    stamp = path.stat().st_mtime_ns
    assert prune.cut_model("v4") == path and path.stat().st_mtime_ns == stamp  # not made again


@pytest.mark.parametrize("name", ["v4", "v6-small"])
@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_the_cut_model_reads_rows_as_the_whole_one(name):
    files = model_files(name)
    if files is None:
        pytest.skip(f"line model {name} is not installed")
    model, alphabet = files
    whole = LineRecognizer(model, read_alphabet(alphabet) if alphabet else None)
    cut = prune.cut_model(name)
    assert cut is not None
    rows = [render(text, size=40) for text in ("DATE 14/03/2019 10:21", "TOTAL RM 12.30")]
    assert [r.text for r in LineRecognizer(cut).read(rows)] == [r.text for r in whole.read(rows)]
    assert LineRecognizer(cut).alphabet == whole.alphabet


@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_without_a_writable_cache_each_process_cuts_its_own(tmp_path, monkeypatch):
    files = model_files("v4")
    if files is None:
        pytest.skip("rapidocr_onnxruntime is not installed")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    made = prune.cut_model("v4")
    assert isinstance(made, bytes) and len(made) < files[0].stat().st_size
    row = [render("TOTAL RM 12.30", size=40)]
    (whole,) = LineRecognizer(files[0]).read(row)
    (cut,) = LineRecognizer(made).read(row)
    assert cut.text == whole.text
