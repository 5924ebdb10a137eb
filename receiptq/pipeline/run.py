"""The stages in order, as plain functions on plain data.

The Celery task and `receiptq extract` run exactly this code; the task passes `on_stage`
to report progress and to stop at a stage boundary when the job was cancelled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from receiptq.pipeline import media
from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.ocr import OcrResult
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.quality import check_quality
from receiptq.pipeline.reread import read_page, reread_if_weak
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
class ExtractOptions:
    langs: str = "eng+pol"
    max_pixels: int = 40_000_000
    max_pdf_pages: int = 5
    line_recognizer: bool = True
    max_job_pixels: int = 40_000_000


def extract(
    data: bytes,
    options: ExtractOptions | None = None,
    on_stage: StageHook | None = None,
    today: dt.date | None = None,
) -> Receipt:
    """Run preprocess -> ocr -> quality -> analysis -> validation on an upload's bytes."""
    options = options or ExtractOptions()

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name, STAGES[name])

    stage("preprocess")
    info = media.inspect(
        data,
        max_pixels=options.max_pixels,
        max_pdf_pages=options.max_pdf_pages,
        max_job_pixels=options.max_job_pixels,
    )
    # One decoded page alive at a time: each is kept only as its (smaller, gray)
    # preprocessed image, except a single page, which a second reading may need.
    images, first_page = [], None
    for page in media.iter_pages(data, info, max_pixels=options.max_pixels):
        images.append(preprocess(page))
        if info.pages == 1:
            first_page = page
        del page

    stage("ocr")
    ocr = merge_pages(
        [read_page(image, options.langs, options.line_recognizer) for image in images]
    )

    stage("quality")
    check_quality(ocr)

    stage("analysis")
    receipt = analyze(ocr)
    if first_page is not None:  # a weak first reading of a photo or scan gets a second one
        receipt = reread_if_weak(first_page, images[0], receipt, ocr, langs=options.langs)
    if receipt.items:
        from receiptq.pipeline.categorize import categorize_items

        receipt.items = categorize_items(receipt.items)

    stage("validation")
    receipt.validation = validate(receipt, today=today)
    return receipt


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
