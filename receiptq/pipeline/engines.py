"""The readers a pipeline is given: built once per process from Settings and passed in.

Nothing below `receiptq.pipeline.run` picks an engine itself: the steps read pages with
`Engines.ocr`, key rows with `Engines.lines`, and render pages with `Engines.preprocessor`.
A caller may put its own in their place (the readings cache, `receiptq.pipeline.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from receiptq.config import Settings
from receiptq.pipeline.chooser import segment_chooser
from receiptq.pipeline.ocr import OcrEngine, TesseractEngine
from receiptq.pipeline.preprocess import PageRenderer, Preprocessor
from receiptq.pipeline.recognize import LineReader, recognizer
from receiptq.pipeline.refine import Merge


@dataclass(frozen=True)
class Engines:
    ocr: OcrEngine
    #: The line model that re-reads key rows (`receiptq.pipeline.refine`), or None.
    lines: LineReader | None
    preprocessor: PageRenderer = field(default_factory=Preprocessor)
    #: Tesseract's Polish model alone, which re-reads a Polish receipt's name row
    #: (`receiptq.pipeline.namerow`), or None. Its model is loaded for each such reading and
    #: let go after it (`TesseractEngine.keep`: the worker's memory between jobs).
    polish: OcrEngine | None = None
    #: How a re-read segment's two readings are merged: None for the hand-set merge
    #: (`refine.merge_segment`), or the learned chooser (`receiptq.pipeline.chooser`).
    merge: Merge | None = None

    @classmethod
    def from_settings(cls, settings: Settings, backend: str | None = None) -> Engines:
        """Tesseract in the configured languages (``backend``: ``"tesserocr"``,
        ``"pytesseract"``, or None for the best available) and, when RECEIPTQ_LINE_RECOGNIZER
        is on and its model (RECEIPTQ_LINE_MODEL) is installed, this process' line recognizer;
        when the languages are Polish and another, Tesseract's Polish model alone; the learned
        segment chooser where RECEIPTQ_SEGMENT_CHOOSER asks for it and its model file is there;
        pages rendered at RECEIPTQ_TARGET_CHAR_HEIGHT."""
        langs = settings.ocr_langs.split("+")
        return cls(
            ocr=TesseractEngine(settings.ocr_langs, backend),
            lines=recognizer(settings.line_model) if settings.line_recognizer else None,
            polish=TesseractEngine("pol", backend, keep=False)
            if "pol" in langs and len(langs) > 1
            else None,
            merge=segment_chooser() if settings.segment_chooser else None,
            preprocessor=Preprocessor({"target_char_height": settings.target_char_height}),
        )
