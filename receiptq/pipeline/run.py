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

import numpy as np

from receiptq.config import Settings
from receiptq.pipeline import media
from receiptq.pipeline.analysis import analyze, name_from_chain
from receiptq.pipeline.analysis.layout import page_layout, reading_layout
from receiptq.pipeline.analysis.lines import build_lines
from receiptq.pipeline.analysis.taxids import nip_valid
from receiptq.pipeline.document import Document, Timing, set_by
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.fields.model import FieldModel, field_model
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.namerow import reread_name_row
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.orientation import (
    Turn,
    band_words,
    confident_words,
    may_be_turned,
    probe,
    upright_turns,
)
from receiptq.pipeline.preprocess import Rendering
from receiptq.pipeline.quality import check_quality
from receiptq.pipeline.regions import Placement, locate_fields
from receiptq.pipeline.reread import (
    HEADER_FIELDS,
    SECOND_PASS_MAX_PIXELS,
    header_bottom,
    merge_readings,
    needs_second_pass,
    read_page,
)
from receiptq.pipeline.taxrow import reread_nip
from receiptq.pipeline.textlayer import pdf_text_readings
from receiptq.pipeline.validation import validate
from receiptq.receipt import PageSource, Receipt

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
        """A pipeline with this process' engines, the upload limits of ``settings`` and its
        profile's steps (no second reading when ``second_reading`` is off)."""
        if not settings.second_reading:
            kwargs["skip"] = {*kwargs.get("skip", ()), *SECOND_READING}
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


def text_layer(pipeline: Pipeline, doc: Document) -> None:
    """A PDF's pages that carry their text are read from it (`textlayer`), not by OCR."""
    if not doc.pages and set_by("decode", doc.media).media_type == "application/pdf":
        doc.text_readings = pdf_text_readings(doc.data or b"")


def preprocess(pipeline: Pipeline, doc: Document) -> None:
    """The pages preprocessed; an upload's pages are decoded one at a time and kept only
    as their (smaller, gray) preprocessed image, but for a single page, which a second
    reading may need. A page read from its text layer is not rendered."""
    render = pipeline.engines.preprocessor.page
    if doc.pages:
        doc.renderings = [render(page) for page in doc.pages]
        return
    if doc.text_readings and all(r is not None for r in doc.text_readings):
        return
    info = set_by("decode", doc.media)
    pages = media.iter_pages(doc.data or b"", info, max_pixels=pipeline.max_pixels, gray=True)
    for index, page in enumerate(pages):
        if index < len(doc.text_readings) and doc.text_readings[index] is not None:
            continue
        doc.renderings.append(render(page))
        if info.pages == 1:
            doc.pages = [page]
        del page


def ocr(pipeline: Pipeline, doc: Document) -> None:
    """Each page's reading: its text layer's, or OCR of its rendering."""
    engines = pipeline.engines
    images = iter(doc.images)
    layers = doc.text_readings or [None] * len(doc.images)
    doc.ocr = merge_pages(
        [
            layer or read_page(next(images), engines.ocr, engines.lines, engines.merge)
            for layer in layers
        ]
    )


def page_sources(doc: Document) -> list[PageSource]:
    """How each page of ``doc`` was read."""
    layers = doc.text_readings or [None] * len(doc.images)
    return [PageSource(page=index, source="ocr" if layer is None else "text_layer")
            for index, layer in enumerate(layers)]  # fmt: skip


def upright(pipeline: Pipeline, doc: Document) -> None:
    """A one-page photo that read as nearly nothing, or unsurely, may lie turned on the
    table: it is turned to level its text rows both ways up (`orientation`). A band of
    each turned rendering is read first (`orientation.probe`); the one whose band reads
    more confidently than the page's own (scored from the page's whole reading,
    `orientation.band_words`) is read whole, and kept, with its page and rendering, when
    its reading has more confident words. A quarter or half turn is probed on the page's
    rendering turned (as the turned page would render, but for its scale when on its
    side), and only the one that wins is rendered from the page."""
    reading = set_by("ocr", doc.ocr)
    if len(doc.pages) != 1 or not may_be_turned(reading):
        return
    engines = pipeline.engines
    original = doc.renderings[0]
    # (score, turn, the turned page and its rendering when they were made to probe it)
    best: tuple[int, Turn, tuple[np.ndarray, Rendering] | None] | None = None
    for turn in upright_turns(doc.pages[0]):
        made = None
        if turn.exact:
            score = probe(turn.apply(original.image)[0], engines.ocr)
        else:  # one full-size page at a time
            made = turned_rendering(pipeline, doc, turn)
            score = probe(made[1].image, engines.ocr)
        if best is None or score > best[0]:
            best = (score, turn, made)
        del made
    # the page's own band is scored from its whole reading: no band of it is read again
    if best is None or best[0] <= band_words(reading):
        return
    _, turn, made = best
    page, rendering = made or turned_rendering(pipeline, doc, turn)
    turned = read_page(rendering.image, engines.ocr, engines.lines, engines.merge)
    if confident_words(turned) > confident_words(reading):
        doc.pages, doc.renderings, doc.ocr = [page], [rendering], turned


def turned_rendering(pipeline: Pipeline, doc: Document, turn: Turn) -> tuple[np.ndarray, Rendering]:
    """The one page of ``doc`` turned by ``turn``, and its rendering, whose regions are
    given on the page as uploaded, not as turned."""
    page, back = turn.apply(doc.pages[0])
    rendering = pipeline.engines.preprocessor.page(page)
    return page, dataclasses.replace(
        rendering, to_page=back @ rendering.to_page, page_size=doc.renderings[0].page_size
    )


def name_row(pipeline: Pipeline, doc: Document) -> None:
    """A Polish one-page receipt's name row read again by Tesseract's Polish model alone
    and merged with the first reading (`namerow`)."""
    polish = pipeline.engines.polish
    if polish is None or len(doc.images) != 1 or any(doc.text_readings):
        return
    reading = set_by("ocr", doc.ocr)
    layout = page_layout(build_lines(reading), restore=False)
    if layout.language == "pl":
        doc.ocr = reread_name_row(doc.images[0], reading, layout, polish)


def quality(pipeline: Pipeline, doc: Document) -> None:
    check_quality(set_by("ocr", doc.ocr))


def analysis(pipeline: Pipeline, doc: Document) -> None:
    reading = set_by("ocr", doc.ocr)
    doc.layout = reading_layout(reading)
    doc.receipt = analyze(reading, doc.layout, model=pipeline.fields)
    doc.receipt.pages = page_sources(doc)


def second_preprocess(pipeline: Pipeline, doc: Document) -> None:
    """A weak first reading of a one-page photo or scan (name, address or date below
    `reread.SECOND_PASS_BELOW`) gets its header band rendered a second way."""
    if len(doc.pages) != 1 or not needs_second_pass(
        set_by("analysis", doc.receipt), fields=HEADER_FIELDS
    ):
        return
    cut = header_bottom(set_by("analysis", doc.layout), set_by("ocr", doc.ocr).height)
    if cut * doc.images[0].shape[1] > SECOND_PASS_MAX_PIXELS:
        return
    # The second rendering crops and scales exactly as the first (only the ink treatment
    # differs), so the band is the same rows.
    doc.band = pipeline.engines.preprocessor.page(doc.pages[0], second=True).image[:cut]


def second_ocr(pipeline: Pipeline, doc: Document) -> None:
    if doc.band is not None:
        doc.band_ocr = pipeline.engines.ocr.read(doc.band)


def second_analysis(pipeline: Pipeline, doc: Document) -> None:
    """Each header field from whichever reading is more confident (`reread.merge_readings`)."""
    if doc.band_ocr is not None:
        second = analyze(doc.band_ocr, model=pipeline.fields)
        doc.receipt = merge_readings(
            set_by("analysis", doc.receipt), second, fields=HEADER_FIELDS, known=lexicon()
        )


def tax_id(pipeline: Pipeline, doc: Document) -> None:
    """A NIP that fails its check digit: its row of a one-page document read again
    (`taxrow`), and the merchant known from a chain's NIP (`analysis.chains`)."""
    merchant = set_by("analysis", doc.receipt).merchant
    if len(doc.images) != 1 or any(doc.text_readings):  # the rows are not all its rows
        return
    if not merchant.tax_id or nip_valid(merchant.tax_id):
        return
    engines = pipeline.engines
    if number := reread_nip(
        doc.images[0], set_by("analysis", doc.layout).lines, engines.ocr, engines.lines
    ):
        merchant.tax_id = number
        name_from_chain(merchant)


def categorize(pipeline: Pipeline, doc: Document) -> None:
    receipt = set_by("analysis", doc.receipt)
    if receipt.items:
        from receiptq.pipeline.categorize import categorize_items

        receipt.items = categorize_items(receipt.items)


def regions(pipeline: Pipeline, doc: Document) -> None:
    """Each field's region on its page (`receiptq.pipeline.regions`)."""
    if doc.layout is not None and (doc.renderings or doc.text_readings):
        doc.receipt = locate_fields(set_by("analysis", doc.receipt), doc.layout, placements(doc))


def placements(doc: Document) -> list[Placement]:
    """Where each page of the stacked reading lies on its page of the upload: a rendered
    page through its rendering; a text layer's words are already in the pixels of the
    page as rendered (`media.PDF_DPI`)."""
    rendered = iter(doc.renderings)
    out = []
    for layer in doc.text_readings or [None] * len(doc.renderings):
        if layer is None:
            r = next(rendered)
            out.append(Placement(r.image.shape[0], r.to_page, r.page_size))
        else:
            out.append(Placement(layer.height, np.eye(3), (layer.height, layer.width)))
    return out


def validation(pipeline: Pipeline, doc: Document) -> None:
    receipt = set_by("analysis", doc.receipt)
    receipt.validation = validate(receipt, today=pipeline.today)


STEPS: list[Step] = [
    Step("decode", "preprocess", decode),
    Step("text_layer", "preprocess", text_layer),
    Step("preprocess", "preprocess", preprocess),
    Step("ocr", "ocr", ocr),
    Step("upright", "ocr", upright),
    Step("name_row", "ocr", name_row),
    Step("quality", "quality", quality),
    Step("analysis", "analysis", analysis),
    # the second reading of a weak header: its rendering, OCR and analysis count in those
    # stages' times (its progress is not reported again)
    Step("second_preprocess", "preprocess", second_preprocess),
    Step("second_ocr", "ocr", second_ocr),
    Step("second_analysis", "analysis", second_analysis),
    Step("tax_id", "analysis", tax_id),
    Step("categorize", "analysis", categorize),
    Step("regions", "analysis", regions),
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
