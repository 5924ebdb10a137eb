"""The one orchestrator: a list of steps over one `Document`.

The worker (`receiptq.processing`), `receiptq extract`, the benchmarks and the tests all
run a `Pipeline`. Its engines (Tesseract, the line model, the page renderings) are built
once per process from Settings (`Engines.from_settings`) and passed in. Each step belongs
to a job stage (`STAGES`): the caller's ``on_stage`` hook is told as each stage starts (the
worker reports progress there and raises `Cancelled` to stop between steps), and the
document records the CPU and wall time of every step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from receiptq.config import Settings
from receiptq.pipeline import media
from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.analysis.layout import reading_layout
from receiptq.pipeline.document import Document, Timing
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.fields.model import FieldModel, field_model
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.orientation import looks_upright, turned, upright_turn
from receiptq.pipeline.quality import check_quality
from receiptq.pipeline.reread import (
    HEADER_FIELDS,
    SECOND_PASS_MAX_PIXELS,
    header_bottom,
    merge_readings,
    needs_second_pass,
    read_page,
)
from receiptq.pipeline.validation import validate
from receiptq.receipt import Receipt

# Progress (percent) reported as each stage starts. save 90 and cleanup 100 belong to the
# task, which owns the database.
STAGES: dict[str, int] = {
    "preprocess": 10,
    "ocr": 25,
    "quality": 40,
    "analysis": 60,
    "validation": 80,
    "save": 90,
    "cleanup": 100,
}

StageHook = Callable[[str, int], None]


@dataclass(frozen=True)
class Step:
    name: str
    stage: str  # the job stage it counts in (STAGES)
    run: Callable[[Pipeline, Document], None]


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Pipeline:
    """Runs `steps` (by default `STEPS`, less those named in ``skip``) over a document."""

    def __init__(
        self,
        engines: Engines,
        *,
        max_pixels: int = 40_000_000,
        max_pdf_pages: int = 5,
        max_job_pixels: int | None = None,
        fields: FieldModel | None = None,
        skip: Collection[str] = (),
        steps: list[Step] | None = None,
        today: dt.date | None = None,
    ) -> None:
        unknown = set(skip) - {step.name for step in steps or STEPS}
        if unknown:
            raise ValueError(f"no such steps: {sorted(unknown)}")
        self.engines = engines
        self.max_pixels = max_pixels
        self.max_pdf_pages = max_pdf_pages
        self.max_job_pixels = max_job_pixels
        self.fields = fields  # the field model, or None: the rules choose the fields
        self.steps = [step for step in steps or STEPS if step.name not in skip]
        self.today = today

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs) -> Pipeline:
        """A pipeline with this process' engines and the upload limits of ``settings``."""
        return cls(
            Engines.from_settings(settings),
            max_pixels=settings.max_pixels,
            max_pdf_pages=settings.max_pdf_pages,
            max_job_pixels=settings.max_job_pixels,
            fields=field_model() if settings.field_model else None,
            **kwargs,
        )

    def run(self, doc: Document, on_stage: StageHook | None = None) -> Document:
        """Run the steps over ``doc`` in order. ``on_stage(stage, progress)`` is called
        before the first step of each later stage; what it raises stops the run there."""
        progress = -1
        for step in self.steps:
            if STAGES[step.stage] > progress:
                progress = STAGES[step.stage]
                if on_stage is not None:
                    on_stage(step.stage, progress)
            cpu, wall = cpu_seconds(), time.perf_counter()
            step.run(self, doc)
            doc.timings[step.name] = Timing(
                step.stage, cpu_seconds() - cpu, time.perf_counter() - wall
            )
        return doc

    def extract(self, data: bytes, on_stage: StageHook | None = None) -> Receipt:
        """The receipt of an upload's bytes."""
        receipt = self.run(Document(data=data), on_stage).receipt
        assert receipt is not None
        return receipt


def decode(pipeline: Pipeline, doc: Document) -> None:
    """Check the upload (its type, pages, and the pixels of all pages together) before
    any page is decoded."""
    if not doc.pages:
        doc.media = media.inspect(
            doc.data or b"",
            max_pixels=pipeline.max_pixels,
            max_pdf_pages=pipeline.max_pdf_pages,
            max_job_pixels=pipeline.max_job_pixels,
        )


def preprocess(pipeline: Pipeline, doc: Document) -> None:
    """The pages preprocessed; an upload's pages are decoded one at a time and kept only
    as their (smaller, gray) preprocessed image, but for a single page, which a second
    reading may need."""
    render = pipeline.engines.preprocessor.page
    if doc.pages:
        doc.images = [render(page) for page in doc.pages]
        return
    for page in media.iter_pages(doc.data or b"", doc.media, max_pixels=pipeline.max_pixels):
        doc.images.append(render(page))
        if doc.media.pages == 1:
            doc.pages = [page]
        del page


def ocr(pipeline: Pipeline, doc: Document) -> None:
    engines = pipeline.engines
    doc.ocr = merge_pages([read_page(image, engines.ocr, engines.lines) for image in doc.images])


def orient(pipeline: Pipeline, doc: Document) -> None:
    """A weak reading may be of a page turned sideways or upside down: then each page is
    checked (`orientation.upright_turn`), and those that turn are rendered and all read
    again."""
    if doc.ocr is None or looks_upright(doc.ocr.words):
        return
    engines = pipeline.engines
    doc.turns = [upright_turn(image, engines.ocr) for image in doc.images]
    for index, degrees in enumerate(doc.turns):
        if not degrees:
            continue
        if index < len(doc.pages):  # the decoded page is kept: render it anew, turned
            doc.pages[index] = turned(doc.pages[index], degrees)
            doc.images[index] = engines.preprocessor.page(doc.pages[index])
        else:
            doc.images[index] = engines.preprocessor.page(turned(doc.images[index], degrees))
    if any(doc.turns):
        ocr(pipeline, doc)


def quality(pipeline: Pipeline, doc: Document) -> None:
    check_quality(doc.ocr)


def analysis(pipeline: Pipeline, doc: Document) -> None:
    doc.layout = reading_layout(doc.ocr)
    doc.receipt = analyze(doc.ocr, doc.layout, model=pipeline.fields)


def second_preprocess(pipeline: Pipeline, doc: Document) -> None:
    """A weak first reading of a one-page photo or scan (name, address or date below
    `reread.SECOND_PASS_BELOW`) gets its header band rendered a second way."""
    if len(doc.pages) != 1 or not needs_second_pass(doc.receipt, fields=HEADER_FIELDS):
        return
    cut = header_bottom(doc.layout, doc.ocr.height)
    if cut * doc.images[0].shape[1] > SECOND_PASS_MAX_PIXELS:
        return
    # The second rendering crops and scales exactly as the first (only the ink treatment
    # differs), so the band is the same rows.
    doc.band = pipeline.engines.preprocessor.page(doc.pages[0], second=True)[:cut]


def second_ocr(pipeline: Pipeline, doc: Document) -> None:
    if doc.band is not None:
        doc.band_ocr = pipeline.engines.ocr.read(doc.band)


def second_analysis(pipeline: Pipeline, doc: Document) -> None:
    """Each header field from whichever reading is more confident (`reread.merge_readings`)."""
    if doc.band_ocr is not None:
        second = analyze(doc.band_ocr, model=pipeline.fields)
        doc.receipt = merge_readings(doc.receipt, second, fields=HEADER_FIELDS, known=lexicon())


def categorize(pipeline: Pipeline, doc: Document) -> None:
    if doc.receipt.items:
        from receiptq.pipeline.categorize import categorize_items

        doc.receipt.items = categorize_items(doc.receipt.items)


def validation(pipeline: Pipeline, doc: Document) -> None:
    doc.receipt.validation = validate(doc.receipt, today=pipeline.today)


STEPS: list[Step] = [
    Step("decode", "preprocess", decode),
    Step("preprocess", "preprocess", preprocess),
    Step("ocr", "ocr", ocr),
    Step("orient", "ocr", orient),
    Step("quality", "quality", quality),
    Step("analysis", "analysis", analysis),
    # the second reading of a weak header: its rendering, OCR and analysis count in those
    # stages' times (its progress is not reported again)
    Step("second_preprocess", "preprocess", second_preprocess),
    Step("second_ocr", "ocr", second_ocr),
    Step("second_analysis", "analysis", second_analysis),
    Step("categorize", "analysis", categorize),
    Step("validation", "validation", validation),
]
#: The steps of the second reading (`--single-pass` in benchmarks/extraction.py skips them).
SECOND_READING = ("second_preprocess", "second_ocr", "second_analysis")


def merge_pages(pages: list[OcrResult]) -> OcrResult:
    """Stack the pages of a multi-page document into one tall page."""
    if len(pages) == 1:
        return pages[0]
    words, offset, width = [], 0, 0
    for index, page in enumerate(pages):
        for word in page.words:
            words.append(
                dataclasses.replace(word, top=word.top + offset, block=word.block + 1000 * index)
            )
        offset += page.height
        width = max(width, page.width)
    text = "\n".join(page.text for page in pages)
    return OcrResult(words=words, width=width, height=offset, text=text, engine=pages[0].engine)
