"""The orchestrator: steps in order over one document, stage hooks, timings."""

from __future__ import annotations

import numpy as np
import pytest

from receiptq.errors import Cancelled
from receiptq.pipeline.document import Document
from receiptq.pipeline.engines import Engines
from receiptq.pipeline.ocr import TesseractEngine
from receiptq.pipeline.run import SECOND_READING, STAGES, STEPS, Pipeline, Step

ENGINES = Engines(ocr=TesseractEngine(), lines=None)


def recording(calls: list[str], *names_and_stages: tuple[str, str]) -> list[Step]:
    def step(name: str):
        return lambda pipeline, doc: calls.append(name)

    return [Step(name, stage, step(name)) for name, stage in names_and_stages]


def test_steps_run_in_order_and_each_stage_is_announced_once_before_its_first_step():
    calls: list[str] = []
    steps = recording(
        calls, ("a", "preprocess"), ("b", "ocr"), ("c", "ocr"), ("d", "analysis"),
        ("e", "ocr"), ("f", "validation"),
    )  # fmt: skip
    Pipeline(ENGINES, steps=steps).run(
        Document(), on_stage=lambda stage, progress: calls.append(f"{stage} {progress}")
    )
    # "e" counts in the ocr stage but comes after analysis: progress never goes back
    assert calls == ["preprocess 10", "a", "ocr 25", "b", "c", "analysis 60", "d", "e",
                     "validation 80", "f"]  # fmt: skip


def test_a_hook_that_raises_stops_the_run_between_steps():
    calls: list[str] = []
    steps = recording(calls, ("a", "preprocess"), ("b", "ocr"), ("c", "analysis"))

    def cancel_at_analysis(stage: str, progress: int) -> None:
        if stage == "analysis":
            raise Cancelled

    doc = Document()
    with pytest.raises(Cancelled):
        Pipeline(ENGINES, steps=steps).run(doc, on_stage=cancel_at_analysis)
    assert calls == ["a", "b"]
    assert list(doc.timings) == ["a", "b"]  # only the steps that ran to their end


def test_every_step_records_its_stage_cpu_and_wall_time():
    def burn(pipeline: Pipeline, doc: Document) -> None:
        sum(i * i for i in range(300_000))

    steps = [Step("burn", "ocr", burn), Step("again", "ocr", burn), Step("v", "validation", burn)]
    doc = Pipeline(ENGINES, steps=steps).run(Document())
    assert list(doc.timings) == ["burn", "again", "v"]
    assert all(t.cpu > 0 and t.wall > 0 for t in doc.timings.values())
    stages = doc.stage_seconds()
    assert set(stages) == {"ocr", "validation"}
    assert stages["ocr"].cpu == pytest.approx(doc.timings["burn"].cpu + doc.timings["again"].cpu)


def test_skipped_steps_do_not_run_and_unknown_names_are_refused():
    names = [step.name for step in Pipeline(ENGINES, skip={"quality", "validation"}).steps]
    assert names == [s.name for s in STEPS if s.name not in ("quality", "validation")]
    with pytest.raises(ValueError, match="qualty"):
        Pipeline(ENGINES, skip={"qualty"})


def test_every_step_counts_in_a_job_stage():
    assert {step.stage for step in STEPS} <= set(STAGES)


def test_the_first_steps_decode_an_upload_and_render_its_page():
    import cv2

    image = np.full((300, 200, 3), 255, np.uint8)
    cv2.putText(image, "TOTAL 9.00", (10, 150), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    ok, png = cv2.imencode(".png", image)
    assert ok
    first = ("decode", "text_layer", "preprocess")
    pipeline = Pipeline(ENGINES, steps=[step for step in STEPS if step.name in first])
    doc = pipeline.run(Document(data=png.tobytes()))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # the page kept, in gray
    assert len(doc.pages) == 1 and (doc.pages[0] == gray).all()
    assert doc.images[0].ndim == 2  # grayscale, cropped and scaled for reading
    # a document given its page image has nothing to decode
    given = pipeline.run(Document.from_image(image))
    assert given.pages[0] is image and given.images[0].shape == doc.images[0].shape


def test_engines_follow_the_settings_and_a_context_builds_its_pipeline_once():
    from receiptq.config import Settings
    from receiptq.context import Context

    engines = Engines.from_settings(Settings(ocr_langs="eng", line_recognizer=False))
    assert engines.ocr.langs == "eng" and engines.lines is None
    assert engines.polish is None  # no Polish: no name row read by the Polish model
    polish = Engines.from_settings(Settings(ocr_langs="eng+pol", line_recognizer=False)).polish
    assert isinstance(polish, TesseractEngine) and polish.langs == "pol"
    assert Engines.from_settings(Settings(ocr_langs="pol", line_recognizer=False)).polish is None
    pipeline = Pipeline.from_settings(Settings(max_pdf_pages=2))
    assert pipeline.max_pdf_pages == 2
    ctx = Context(Settings(line_recognizer=False))
    assert ctx.pipeline is ctx.pipeline and ctx.pipeline.engines.lines is None


def test_the_engines_render_pages_at_the_settings_target_character_height():
    from receiptq.config import Settings
    from receiptq.pipeline.preprocess import Preprocessor

    settings = Settings(target_char_height=22, line_recognizer=False)
    preprocessor = Engines.from_settings(settings).preprocessor
    assert isinstance(preprocessor, Preprocessor)
    assert preprocessor.options["target_char_height"] == 22.0


def test_the_fast_profile_reads_once_in_english_without_the_line_model():
    from receiptq.config import Settings

    fast = Pipeline.from_settings(Settings(profile="fast"))
    names = [step.name for step in fast.steps]
    assert not set(SECOND_READING) & set(names) and {"ocr", "analysis"} <= set(names)
    assert fast.engines.ocr.langs == "eng" and fast.engines.lines is None
    default = Pipeline.from_settings(Settings())
    assert set(SECOND_READING) <= {step.name for step in default.steps}
