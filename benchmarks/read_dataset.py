"""The pipeline's first reading of every image in a folder, stored as JSON for the field
model's training and cross-validation (`scripts/train_fields.py`, `benchmarks/folds.py`).

    python benchmarks/read_dataset.py ../shared/datasets/sroie-dev /tmp/sroie-readings

A reading is what analysis starts from: preprocessing, Tesseract and the line model's
re-reading of key rows. Images already read are skipped; two processes read at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing import Pool
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


def _read_one(job: tuple[Path, Path]) -> str:
    import cv2

    from receiptq.config import Settings
    from receiptq.pipeline.document import Document
    from receiptq.pipeline.run import STEPS, Pipeline

    path, out = job
    reading = [step for step in STEPS if step.name in ("preprocess", "ocr")]
    pipeline = Pipeline.from_settings(Settings(), steps=reading)
    ocr = pipeline.run(Document.from_image(cv2.imread(str(path), cv2.IMREAD_COLOR))).ocr
    reading = {"width": ocr.width, "height": ocr.height, "words": [asdict(w) for w in ocr.words]}
    write_json(out / f"{path.stem}.json", reading)
    return path.stem


def write_json(target: Path, data: object) -> None:
    """``data`` as JSON in ``target``, written whole or not at all."""
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


def each_missing(
    dataset: Path, out: Path, work: Callable[[tuple[Path, Path]], str], processes: int = 2,
    verb: str = "reading",
) -> int:  # fmt: skip
    """``work((image, out))`` in ``processes`` processes for each image of ``dataset`` (or
    its img/) that has no NAME.json in ``out``; how many there were."""
    folder = dataset / "img" if (dataset / "img").is_dir() else dataset
    out.mkdir(parents=True, exist_ok=True)
    images = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    todo = [(p, out) for p in images if not (out / f"{p.stem}.json").is_file()]
    if todo:
        print(f"{verb} {len(todo)} images into {out}", file=sys.stderr)
        with Pool(processes) as pool:
            for _ in pool.imap_unordered(work, todo):
                pass
    return len(todo)


def read_missing(dataset: Path, out: Path, processes: int = 2) -> int:
    """Read the images of ``dataset`` (or its img/) that have no reading in ``out``."""
    return each_missing(dataset, out, _read_one, processes)


def dataset_arguments(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """A script's arguments: the dataset, the folder its JSON goes to, --processes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--processes", type=int, default=2)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = dataset_arguments(__doc__, argv)
    read_missing(args.dataset, args.out, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
