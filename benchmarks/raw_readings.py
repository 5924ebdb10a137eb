"""Raw readings: what Tesseract and the line model each returned for a page, before the
two were merged, so that other merges of the same readings can be tried in seconds.

    python benchmarks/raw_readings.py ../shared/datasets/sroie-dev /tmp/sroie-raw

One JSON file per image: the rendering's size and its way back to the page (`to_page`),
then every call of the page reading (`receiptq.pipeline.reread.read_page`) in order: the
Tesseract readings and, per call of the line model, its readings of the crops. `replay`
runs `read_page` again on these calls with any merge of the segments (``merge``), and
with the shipped merge gives back the reading `benchmarks/read_dataset.py` stores.
Images already recorded are skipped; two processes read at once (about 1.3 CPU s an image).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
from read_dataset import dataset_arguments, each_missing, write_json

from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.recognize import Reading


class RecordingOcr:
    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []

    @property
    def name(self) -> str:
        return self.inner.name

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        result = self.inner.read(image, psm)
        self.calls.append(result)
        return result


class RecordingLines:
    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []

    @property
    def alphabet(self) -> frozenset[str]:
        return self.inner.alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        result = self.inner.read(crops)
        self.calls.append(result)
        return result


class ReplayOcr:
    name = "tesseract"

    def __init__(self, calls: list[OcrResult]) -> None:
        self.calls = iter(calls)

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        return next(self.calls)


class ReplayLines:
    def __init__(self, calls: list[list[Reading]], alphabet: frozenset[str]) -> None:
        self.calls, self.alphabet = iter(calls), alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        readings = next(self.calls)
        while not readings and crops:  # recorded by a version that read no crops too
            readings = next(self.calls)
        if len(readings) != len(crops):
            raise ValueError("the replayed page asks for other segments than were recorded")
        return readings


def _record_one(job: tuple[Path, Path]) -> str:
    import cv2

    from receiptq.config import Settings
    from receiptq.pipeline.engines import Engines
    from receiptq.pipeline.reread import read_page

    path, out = job
    engines = Engines.from_settings(Settings())
    rendering = engines.preprocessor.page(cv2.imread(str(path), cv2.IMREAD_COLOR))
    ocr, lines = RecordingOcr(engines.ocr), RecordingLines(engines.lines)
    final = read_page(rendering.image, ocr, lines)
    raw = {
        "shape": list(rendering.image.shape[:2]),
        "alphabet": "".join(sorted(engines.lines.alphabet)) if engines.lines else "",
        "to_page": rendering.to_page.tolist(),
        "ocr": [{"width": r.width, "height": r.height, "words": [asdict(w) for w in r.words]}
                for r in ocr.calls],
        "lines": [[[r.text, r.conf, [list(w) for w in r.words]] for r in call]
                  for call in lines.calls],
        # what the hand-set merge made: a page whose replay needs its pixels (a page read
        # as Polish reads the uncovered parts of its image) keeps this reading
        "final": {"width": final.width, "height": final.height,
                  "words": [asdict(w) for w in final.words]},
    }  # fmt: skip
    write_json(out / f"{path.stem}.json", raw)
    return path.stem


def record_missing(dataset: Path, out: Path, processes: int = 2) -> int:
    """Record the images of ``dataset`` (or its img/) that have no record in ``out``."""
    return each_missing(dataset, out, _record_one, processes, "recording")


def load_raw(path: Path) -> dict:
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["ocr"] = [OcrResult(words=[Word(**w) for w in r["words"]], width=r["width"],
                            height=r["height"]) for r in raw["ocr"]]  # fmt: skip
    if "final" in raw:
        raw["final"] = OcrResult(
            words=[Word(**w) for w in raw["final"]["words"]],
            width=raw["final"]["width"],
            height=raw["final"]["height"],
        )
    raw["lines"] = [[Reading(text, conf, tuple((t, p) for t, p in words))
                     for text, conf, words in call] for call in raw["lines"]]  # fmt: skip
    return raw


def replay(raw: dict, merge=None) -> OcrResult:
    """`read_page` over the recorded calls of ``raw`` (`load_raw`), the segments merged
    by ``merge`` (None: the hand-set merge)."""
    from receiptq.pipeline.reread import read_page

    page = np.zeros(raw["shape"], dtype=np.uint8)  # crops are not looked at
    lines = ReplayLines(raw["lines"], frozenset(raw["alphabet"]))
    try:
        return read_page(page, ReplayOcr(raw["ocr"]), lines, merge=merge)
    except (ValueError, StopIteration):
        return raw["final"]  # see _record_one


def not_replayable(raw_dir: Path) -> list[Path]:
    """Recordings that cannot be replayed and lack their final reading."""
    out = []
    for path in sorted(raw_dir.glob("*.json")):
        raw = load_raw(path)
        try:
            replay(raw)
        except KeyError:
            out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    args = dataset_arguments(__doc__, argv)
    record_missing(args.dataset, args.out, args.processes)
    stale = not_replayable(args.out)
    for path in stale:
        path.unlink()
    if stale:
        record_missing(args.dataset, args.out, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
