"""The pipeline the tests read images with: the worker's, built once for the session."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from receiptq.config import Settings
from receiptq.pipeline.document import Document
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.run import Pipeline
from receiptq.receipt import Receipt


@pytest.fixture(scope="session")
def engines() -> Engines:
    return Engines.from_settings(Settings())


@pytest.fixture(scope="session")
def read(engines: Engines) -> Callable[[np.ndarray], Receipt]:
    """An image's receipt as the benchmark reads it: every step up to the fields (no
    quality check: a blank page is read, not refused)."""
    pipeline = Pipeline(engines, skip={"quality", "categorize", "validation"})

    def read(image: np.ndarray) -> Receipt:
        return pipeline.run(Document.from_image(image)).receipt

    return read
