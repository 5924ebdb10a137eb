"""One document on its way through the pipeline: what each step read or decided so far."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from receiptq.pipeline.analysis.layout import Layout
from receiptq.pipeline.media import MediaInfo
from receiptq.pipeline.ocr import OcrResult
from receiptq.receipt import Receipt


@dataclass(frozen=True)
class Timing:
    """What one step cost: its job stage, CPU seconds (this process and its waited-for
    children, such as pytesseract's tesseract) and wall seconds."""

    stage: str
    cpu: float
    wall: float


@dataclass
class Document:
    #: The upload's bytes (decoded by the first step), or None when `pages` are given.
    data: bytes | None = None
    #: Page images, BGR or grayscale uint8: given, or the single page of an upload.
    pages: list[np.ndarray] = field(default_factory=list)
    #: What the decode step found the upload to be (type, page count).
    media: MediaInfo | None = None
    #: The pages preprocessed for reading (first rendering).
    images: list[np.ndarray] = field(default_factory=list)
    #: Degrees each page was turned counterclockwise before it was read (the orient
    #: step; empty when the first reading looked upright).
    turns: list[int] = field(default_factory=list)
    #: The reading of all pages, stacked into one tall page.
    ocr: OcrResult | None = None
    #: The layout of that reading (rows, language, header, item and summary spans).
    layout: Layout | None = None
    receipt: Receipt | None = None
    #: The header band of the second rendering, when the first reading's header was weak.
    band: np.ndarray | None = None
    #: The band's reading.
    band_ocr: OcrResult | None = None
    #: Per step that ran to its end, in order.
    timings: dict[str, Timing] = field(default_factory=dict)

    @classmethod
    def from_image(cls, image: np.ndarray) -> Document:
        """A one-page document from a decoded image (the decode step then has nothing to do)."""
        return cls(pages=[image])

    def stage_seconds(self) -> dict[str, Timing]:
        """CPU and wall seconds per job stage, summed over its steps."""
        cpu: dict[str, float] = defaultdict(float)
        wall: dict[str, float] = defaultdict(float)
        for timing in self.timings.values():
            cpu[timing.stage] += timing.cpu
            wall[timing.stage] += timing.wall
        return {stage: Timing(stage, cpu[stage], wall[stage]) for stage in cpu}
