"""CPU a receipt of the first reading (preprocess + OCR) at several target character heights.

    OMP_THREAD_LIMIT=1 python benchmarks/target_height.py ../shared/datasets/sroie-dev \\
        --limit 40 --targets 30,26,22,18

Every image is read at each target in turn (the order rotated from image to image, so a
drift of the machine's speed falls on all targets alike), with the default profile's
engines; the OCR step is split into Tesseract's share and the line model's. Plain
`tesseract IMAGE - -l eng` on the same images, in the same run, is the reference. Accuracy
is not measured here: read the dataset at a target (RECEIPTQ_TARGET_CHAR_HEIGHT with
`read_dataset.py`) and run `folds.py` on the readings.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq.config import Settings  # noqa: E402
from receiptq.pipeline.document import Document  # noqa: E402
from receiptq.pipeline.engines import Engines  # noqa: E402
from receiptq.pipeline.ocr import OcrEngine, OcrResult  # noqa: E402
from receiptq.pipeline.preprocess import Preprocessor  # noqa: E402
from receiptq.pipeline.recognize import LineReader, Reading  # noqa: E402
from receiptq.pipeline.run import STEPS, Pipeline  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


@dataclass
class Clock:
    """CPU seconds spent inside a reader since the last `take`."""

    seconds: float = 0.0

    def take(self) -> float:
        spent, self.seconds = self.seconds, 0.0
        return spent


@dataclass(frozen=True)
class TimedOcr:
    inner: OcrEngine
    clock: Clock = field(default_factory=Clock)

    @property
    def name(self) -> str:
        return self.inner.name

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        start = time.process_time()
        try:
            return self.inner.read(image, psm)
        finally:
            self.clock.seconds += time.process_time() - start


@dataclass(frozen=True)
class TimedLines:
    inner: LineReader
    clock: Clock = field(default_factory=Clock)

    @property
    def alphabet(self) -> frozenset[str]:
        return self.inner.alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        start = time.process_time()
        try:
            return self.inner.read(crops)
        finally:
            self.clock.seconds += time.process_time() - start


def plain_tesseract(path: Path) -> float:
    """CPU seconds of one `tesseract IMAGE - -l eng` (a child process, one thread)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["tesseract", str(path), "-", "-l", "eng"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--targets", default="30,26,22,18", help="comma-separated, px")
    args = parser.parse_args(argv)
    folder = args.dataset / "img" if (args.dataset / "img").is_dir() else args.dataset
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    files = files[: args.limit]
    targets = [float(t) for t in args.targets.split(",")]

    engines = Engines.from_settings(Settings())
    ocr = TimedOcr(engines.ocr)
    lines = TimedLines(engines.lines) if engines.lines is not None else None
    reading = [step for step in STEPS if step.name in ("preprocess", "ocr")]
    timed = replace(engines, ocr=ocr, lines=lines)
    pipelines = {
        target: Pipeline(
            replace(timed, preprocessor=Preprocessor({"target_char_height": target})),
            steps=reading,
        )
        for target in targets
    }
    figures: dict[float, dict[str, list[float]]] = {t: defaultdict(list) for t in targets}
    plain: list[float] = []
    for index, path in enumerate(files):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        order = targets[index % len(targets) :] + targets[: index % len(targets)]
        for target in order:
            doc = pipelines[target].run(Document.from_image(image.copy()))
            row = figures[target]
            row["preprocess"].append(doc.timings["preprocess"].cpu)
            row["ocr"].append(doc.timings["ocr"].cpu)
            row["tesseract"].append(ocr.clock.take())
            row["lines"].append(lines.clock.take() if lines is not None else 0.0)
            row["mpx"].append(sum(img.size for img in doc.images) / 1e6)
        plain.append(plain_tesseract(path))

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                  if line.startswith("model name")), "?")  # fmt: skip
    print(f"images: {len(files)}  cores {os.cpu_count()} ({model})  "
          f"load {os.getloadavg()[0]:.2f}  "
          f"plain tesseract -l eng: {mean(plain):.3f} CPU s a receipt")  # fmt: skip
    base = figures[targets[0]]
    print("| target px | Mpx read | preprocess | OCR step | Tesseract | line model | "
          "OCR vs first target |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for target in targets:
        row = figures[target]
        change = mean(row["ocr"]) / mean(base["ocr"]) - 1
        print(
            f"| {target:g} | {mean(row['mpx']):.2f} | {mean(row['preprocess']):.3f} | "
            f"{mean(row['ocr']):.3f} | {mean(row['tesseract']):.3f} | "
            f"{mean(row['lines']):.3f} | {change:+.1%} |"
        )
    print(f"reproduce: OMP_THREAD_LIMIT=1 python benchmarks/target_height.py {args.dataset} "
          f"--limit {args.limit} --targets {args.targets}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
