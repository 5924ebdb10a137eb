"""Readings kept on disk for work on the analysis: OCR once, re-run the rules in seconds.

`cached_engines` puts a cache in front of each slow reader of `Engines` (rendering, Tesseract,
the line model). A reading is keyed by a digest of its input (and the reader's settings),
so a step whose input changed (a rule that re-reads other rows) is computed and stored,
and the figures are always those of the current analysis code.

For development only (`benchmarks/extraction.py --cache DIR`): CPU figures of a cached run
are not the pipeline's cost, and the key holds no code of the readers themselves (delete
the folder after changing preprocessing, OCR or the line model).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from receiptq.pipeline.engines import Engines
from receiptq.pipeline.ocr import OcrEngine, OcrResult
from receiptq.pipeline.preprocess import PageRenderer, Rendering
from receiptq.pipeline.recognize import LineReader, Reading


def digest(array: np.ndarray) -> str:
    """A short hash of an image's pixels, shape and type."""
    array = np.ascontiguousarray(array)
    return hashlib.blake2b(
        array.tobytes() + repr((array.shape, array.dtype.str)).encode(), digest_size=16
    ).hexdigest()


class ReadingsStore:
    """One document's readings at a time, a pickle per document under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._path: Path | None = None
        self._memo: dict[Hashable, Any] = {}
        self._dirty = False
        self.hits = self.misses = 0

    def open(self, name: str) -> None:
        """Load the readings of the document called ``name`` (saving the previous one's)."""
        self.save()
        self._path = self.directory / f"{name}.pkl"
        self._memo = pickle.loads(self._path.read_bytes()) if self._path.is_file() else {}

    def save(self) -> None:
        if self._path is not None and self._dirty:
            self._path.write_bytes(pickle.dumps(self._memo))
        self._dirty = False

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The stored value of ``key``, or ``compute()``'s, stored."""
        if key in self._memo:
            self.hits += 1
            return self._memo[key]
        self.misses += 1
        value = self._memo[key] = compute()
        self._dirty = True
        return value


@dataclass(frozen=True)
class CachedOcr:
    inner: OcrEngine
    store: ReadingsStore

    @property
    def name(self) -> str:
        return self.inner.name

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        key = ("ocr", self.inner.name, psm, digest(image))
        return self.store.get(key, lambda: self.inner.read(image, psm))


@dataclass(frozen=True)
class CachedLines:
    inner: LineReader
    store: ReadingsStore

    @property
    def alphabet(self) -> frozenset[str]:
        return self.inner.alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        return [self._read(crop) for crop in crops]

    def _read(self, crop: np.ndarray) -> Reading:
        return self.store.get(("line", digest(crop)), lambda: self.inner.read([crop])[0])


@dataclass(frozen=True)
class CachedPreprocessor:
    inner: PageRenderer
    store: ReadingsStore

    def page(self, image: np.ndarray, second: bool = False) -> Rendering:
        key = ("rendering", second, repr(self.inner), digest(image))
        return self.store.get(key, lambda: self.inner.page(image, second))


def cached_engines(engines: Engines, store: ReadingsStore) -> Engines:
    """``engines`` with each reader behind ``store``."""
    return replace(
        engines,
        ocr=CachedOcr(engines.ocr, store),
        lines=CachedLines(engines.lines, store) if engines.lines is not None else None,
        preprocessor=CachedPreprocessor(engines.preprocessor, store),
        polish=CachedOcr(engines.polish, store) if engines.polish is not None else None,
    )
