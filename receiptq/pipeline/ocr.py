"""OCR stage: image in, words with boxes and confidences out.

Tesseract runs with one thread (OMP_THREAD_LIMIT=1): workers scale by process count, and
OpenMP threads inside each process would only fight them for the same cores.

`TesseractEngine` is what the pipeline is given (built once from Settings, see
`receiptq.pipeline.engines`); anything with its `read` method can stand in for it (the
readings cache of `receiptq.pipeline.cache` does). Two backends sit behind it (`run_ocr`):
- ``tesserocr``: libtesseract loaded once per process and thread and kept between calls
  (model loading is a large part of a short receipt's OCR time);
- ``pytesseract``: one ``tesseract`` process per call, the portable fallback used when
  tesserocr is not importable.
Both return the same TSV columns, so the rest of the pipeline cannot tell them apart.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: Where Debian's tesseract keeps its traineddata; tesserocr's wheel ships no models.
TESSDATA_CANDIDATES = (
    os.environ.get("TESSDATA_PREFIX", ""),
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)


@dataclass(frozen=True)
class Word:
    text: str
    conf: float  # 0..100 as Tesseract reports it
    left: int
    top: int
    width: int
    height: int
    block: int = 0
    par: int = 0
    line: int = 0

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass
class OcrResult:
    words: list[Word]
    width: int
    height: int
    text: str = ""
    engine: str = "tesseract"
    extra: dict = field(default_factory=dict)

    @property
    def mean_confidence(self) -> float:
        """Mean word confidence in 0..1 over words that carry text."""
        confs = [w.conf for w in self.words if w.text.strip() and w.conf >= 0]
        return float(np.mean(confs)) / 100.0 if confs else 0.0


def tessdata_dir() -> str | None:
    """The first tessdata folder that holds an English model, or None."""
    for candidate in TESSDATA_CANDIDATES:
        if candidate and (Path(candidate) / "eng.traineddata").is_file():
            return candidate
    return None


def default_engine() -> str:
    """``tesserocr`` when it imports and finds models, else ``pytesseract``."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return "pytesseract"
    return "tesserocr" if tessdata_dir() else "pytesseract"


class OcrEngine(Protocol):
    """Reads a page or a crop: words with boxes and confidences."""

    @property
    def name(self) -> str: ...

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult: ...


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract in ``langs`` through ``backend`` (``"tesserocr"``, ``"pytesseract"``, or
    None for the best one available). Without ``keep``, a tesserocr engine's models are let
    go after each reading: for a model read once a receipt at most, whose 14 MB a worker
    would otherwise carry between jobs (0.1 s CPU to load it again)."""

    langs: str = "eng+pol"
    backend: str | None = None
    keep: bool = True

    def __post_init__(self) -> None:
        if self.backend is None:
            object.__setattr__(self, "backend", default_engine())
        if self.backend not in ("tesserocr", "pytesseract"):
            raise ValueError(f"unknown OCR engine {self.backend!r}")

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.langs}"

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        """`run_ocr` with this engine's languages and backend (``psm``: page segmentation
        mode, 4 a page, 7 a single line)."""
        try:
            return run_ocr(image, langs=self.langs, psm=psm, engine=self.backend)
        finally:
            if not self.keep:
                release_tesserocr(self.langs)


def run_ocr(
    image: np.ndarray,
    langs: str = "eng+pol",
    psm: int = 4,
    engine: str | None = None,
    variables: dict[str, str] | None = None,
) -> OcrResult:
    """Run Tesseract on a grayscale or BGR image and return its words with boxes.

    ``engine`` is ``"tesserocr"``, ``"pytesseract"`` or None for the best one available;
    ``variables`` are Tesseract parameters (``-c name=value``).
    """
    engine = engine or default_engine()
    variables = dict(variables or {})
    if engine == "tesserocr":
        tsv = _tesserocr_tsv(image, langs, psm, variables)
    elif engine == "pytesseract":
        tsv = _pytesseract_tsv(image, langs, psm, variables)
    else:
        raise ValueError(f"unknown OCR engine {engine!r}")
    words = parse_tsv(tsv)
    h, w = image.shape[:2]
    text = "\n".join(_lines(words))
    return OcrResult(words=words, width=w, height=h, text=text, engine=engine)


def parse_tsv(tsv: str) -> list[Word]:
    """Words from Tesseract's TSV output (``image_to_data``'s format, header optional)."""
    words: list[Word] = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] == "level" or cols[0] != "5":
            continue
        text = cols[11]
        if not text.strip():
            continue
        words.append(
            Word(
                text=text,
                conf=float(cols[10]),
                left=int(cols[6]),
                top=int(cols[7]),
                width=int(cols[8]),
                height=int(cols[9]),
                block=int(cols[2]),
                par=int(cols[3]),
                line=int(cols[4]),
            )
        )
    return words


def _pytesseract_tsv(image: np.ndarray, langs: str, psm: int, variables: dict[str, str]) -> str:
    import pytesseract

    config = " ".join([f"--psm {psm}"] + [f"-c {k}={v}" for k, v in sorted(variables.items())])
    return pytesseract.image_to_data(image, lang=langs, config=config)


# One engine per (process, thread, langs): a TessBaseAPI is neither thread-safe nor safe to
# share across fork, so the cache is thread-local and remembers the pid that built it.
_local = threading.local()


def _tesserocr_api(langs: str, variables: dict[str, str], pid: int | None = None):
    """This thread's engine for ``langs`` and ``variables``, built anew in a process
    other than the one that built the cached ones (``pid``: this process' id)."""
    import tesserocr

    pid = os.getpid() if pid is None else pid
    cache = getattr(_local, "apis", None)
    if cache is None or getattr(_local, "pid", None) != pid:
        cache = _local.apis = {}
        _local.pid = pid
        quiet_leptonica()
    key = (langs, tuple(sorted(variables.items())))
    api = cache.get(key)
    if api is None:
        # Variables go in at init: some (the dictionaries) are read only then.
        api = tesserocr.PyTessBaseAPI(
            path=tessdata_dir() or "",
            lang=langs,
            variables={k: str(v) for k, v in variables.items()},
        )
        cache[key] = api
    return api


#: Leptonica's level above all of its messages (L_SEVERITY_NONE).
LEPTONICA_SILENT = 6


def leptonica_library() -> str | None:
    """The Leptonica library tesserocr runs on: the copy inside its wheel, else the
    system's; None when neither is found."""
    spec = importlib.util.find_spec("tesserocr")
    if spec is None or spec.origin is None:
        return None
    bundled = sorted((Path(spec.origin).parent.parent / "tesserocr.libs").glob("libleptonica*"))
    if bundled:
        return str(bundled[0])
    return ctypes.util.find_library("leptonica") or ctypes.util.find_library("lept")


def quiet_leptonica() -> bool:
    """Turn Leptonica's messages off in this process. Tesseract's page layout hands it boxes
    partly off the page on about a third of scans, and it prints "Error in
    boxClipToRectangle" to stderr: harmless (Tesseract goes on), but noise in a worker's
    log. Its errors still reach Tesseract as return codes. True where it could be done."""
    path = leptonica_library()
    if path is None:
        return False
    try:
        ctypes.CDLL(path).setMsgSeverity(LEPTONICA_SILENT)
    except (OSError, AttributeError):
        return False
    return True


#: The resolution Tesseract is told a page has: what tesserocr's PIL path handed it (as a
#: BMP's header), so readings are those of before. It sets sizes Tesseract works at.
SOURCE_DPI = 96


def release_tesserocr(langs: str, variables: dict[str, str] | None = None) -> bool:
    """End this thread's engine for ``langs`` and ``variables``, if it has one: its
    models' memory goes back (they load again at the next reading)."""
    cache = getattr(_local, "apis", None) or {}
    api = cache.pop((langs, tuple(sorted((variables or {}).items()))), None)
    if api is None:
        return False
    api.End()
    return True


def _tesserocr_tsv(image: np.ndarray, langs: str, psm: int, variables: dict[str, str]) -> str:
    api = _tesserocr_api(langs, variables)
    if image.ndim == 3:
        image = image[:, :, ::-1]  # BGR -> RGB
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    depth = 1 if image.ndim == 2 else image.shape[2]
    api.SetPageSegMode(psm)
    # The pixels as they are: no BMP made of them and read back (tesserocr's SetImage).
    api.SetImageBytes(image.tobytes(), width, height, depth, width * depth)
    api.SetSourceResolution(SOURCE_DPI)
    try:
        api.Recognize()
        return api.GetTSVText(0)
    finally:
        api.Clear()


def _lines(words: list[Word]) -> list[str]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        lines.setdefault((word.block, word.par, word.line), []).append(word)
    return [" ".join(w.text for w in ws) for _, ws in sorted(lines.items())]
