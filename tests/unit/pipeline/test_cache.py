"""The readings cache: an engine in front of an engine, keyed by a digest of the input."""

from __future__ import annotations

import numpy as np

from receiptq.pipeline.cache import (
    CachedLines,
    CachedOcr,
    CachedPreprocessor,
    ReadingsStore,
    cached_engines,
)
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.preprocess import Preprocessor
from receiptq.pipeline.recognize import Reading


class CountingOcr:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        self.calls += 1
        word = Word(str(int(image.sum())), 90.0, 0, 0, 10, 10)
        return OcrResult(words=[word], width=image.shape[1], height=image.shape[0])


class CountingLines:
    alphabet = frozenset("0123456789")

    def __init__(self) -> None:
        self.crops = 0

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        self.crops += len(crops)
        return [Reading(str(int(c.sum())), 0.9) for c in crops]


def test_a_second_reading_of_the_same_image_comes_from_the_cache(tmp_path):
    store = ReadingsStore(tmp_path)
    store.open("receipt-1")
    inner = CountingOcr()
    engine = CachedOcr(inner, store)
    image = np.zeros((20, 30), np.uint8)
    first = engine.read(image)
    again = engine.read(image.copy())  # same pixels, another array
    assert again == first and inner.calls == 1 and store.hits == 1
    other = image.copy()
    other[0, 0] = 7
    assert engine.read(other).words[0].text == "7" and inner.calls == 2
    assert engine.read(image, psm=7) == first and inner.calls == 3  # another mode, read


def test_readings_are_kept_on_disk_per_document(tmp_path):
    image = np.ones((20, 30), np.uint8)
    store = ReadingsStore(tmp_path)
    store.open("receipt-1")
    CachedOcr(CountingOcr(), store).read(image)
    store.save()
    later = ReadingsStore(tmp_path)  # another run
    later.open("receipt-1")
    inner = CountingOcr()
    assert CachedOcr(inner, later).read(image).words[0].text == "600"
    assert inner.calls == 0
    later.open("receipt-2")  # another document: its own readings
    CachedOcr(inner, later).read(image)
    assert inner.calls == 1


def test_line_readings_are_cached_crop_by_crop(tmp_path):
    store = ReadingsStore(tmp_path)
    store.open("r")
    inner = CountingLines()
    lines = CachedLines(inner, store)
    a, b = np.zeros((8, 8), np.uint8), np.ones((8, 8), np.uint8)
    assert [r.text for r in lines.read([a, b])] == ["0", "64"]
    assert [r.text for r in lines.read([b, a, a])] == ["64", "0", "0"]
    assert inner.crops == 2 and lines.alphabet == inner.alphabet


def test_cached_engines_put_every_reader_behind_the_store(tmp_path):
    store = ReadingsStore(tmp_path)
    store.open("r")
    engines = cached_engines(Engines(CountingOcr(), CountingLines(), Preprocessor()), store)
    assert isinstance(engines.ocr, CachedOcr) and isinstance(engines.lines, CachedLines)
    assert isinstance(engines.preprocessor, CachedPreprocessor)
    page = np.full((200, 150, 3), 255, np.uint8)
    page[90:110, 20:130] = 0
    first = engines.preprocessor.page(page)
    again = engines.preprocessor.page(page)
    assert (again.image == first.image).all() and (again.to_page == first.to_page).all()
    assert store.hits == 1
    engines.preprocessor.page(page, second=True)  # the other rendering is its own reading
    assert store.misses == 2
    assert cached_engines(Engines(CountingOcr(), None), store).lines is None
    assert cached_engines(Engines(CountingOcr(), None), store).polish is None
    polish = cached_engines(Engines(CountingOcr(), None, polish=CountingOcr()), store).polish
    assert isinstance(polish, CachedOcr)
