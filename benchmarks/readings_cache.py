"""Cached readings for iterating on the analysis: OCR once, re-run the rules in seconds.

`benchmarks/extraction.py --cache DIR` stores, per image, what the slow steps returned:
the two preprocessings, every Tesseract reading and every line-model reading of a crop,
each keyed by a hash of its input. The next run with the same DIR looks them up instead
of computing them, so a change to the analysis (receiptq/pipeline/analysis/, refine's
merging, reread's choice) is measured on the whole SROIE dev split in about ten seconds
instead of minutes. A step whose input changed (a rule that re-reads different rows)
is computed and added to the cache, so the figures are always those of the current code.

Only for development: CPU figures of a cached run are not the pipeline's cost, and the
cache is keyed by inputs, not by the code of the OCR steps (delete DIR after changing
preprocessing, OCR or the line model).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from receiptq.pipeline import reread
from receiptq.pipeline.recognize import recognizer


def _digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.blake2b(
        array.tobytes() + repr((array.shape, array.dtype.str)).encode(), digest_size=16
    ).hexdigest()


class ReadingsCache:
    """One image's stored readings (a pickle per image under ``directory``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._path: Path | None = None
        self._memo: dict = {}
        self._dirty = False

    def open(self, name: str) -> None:
        """Load the readings of the image called ``name`` (saving the previous one's)."""
        self.save()
        self._path = self.directory / f"{name}.pkl"
        self._memo = pickle.loads(self._path.read_bytes()) if self._path.is_file() else {}

    def save(self) -> None:
        if self._path is not None and self._dirty:
            self._path.write_bytes(pickle.dumps(self._memo))
        self._dirty = False

    def get(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
            self._dirty = True
        return self._memo[key]


@contextmanager
def cached_readings(directory: Path) -> Iterator[ReadingsCache]:
    """Within the block, `reread.read_receipt` takes its preprocessing, Tesseract and
    line-model readings from the cache (computing and storing what is missing)."""
    cache = ReadingsCache(directory)
    preprocess, run_ocr = reread.preprocess, reread.run_ocr
    engine = recognizer()
    read = engine.read if engine is not None else None

    def cached_preprocess(image, **kwargs):
        key = ("preprocess", _digest(image), tuple(sorted(kwargs.items())))
        return cache.get(key, lambda: preprocess(image, **kwargs))

    def cached_ocr(image, langs="eng+pol", engine=None, **kwargs):
        key = ("ocr", _digest(image), langs, engine, tuple(sorted(kwargs.items())))
        return cache.get(key, lambda: run_ocr(image, langs=langs, engine=engine, **kwargs))

    def cached_read(crops):
        return [cache.get(("line", _digest(c)), lambda c=c: read([c])[0]) for c in crops]

    reread.preprocess, reread.run_ocr = cached_preprocess, cached_ocr
    if engine is not None:
        engine.read = cached_read
    try:
        yield cache
    finally:
        cache.save()
        reread.preprocess, reread.run_ocr = preprocess, run_ocr
        if engine is not None:
            engine.read = read
