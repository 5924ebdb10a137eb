"""Which words are words: Tesseract's own word lists, as an arbiter between two readings.

When Tesseract and the line model (`receiptq.pipeline.recognize`) read a word differently,
one of them is often a word and the other is not ("Lumpur" / "Lmpur", "Darnansara" /
"Damansara", "TAMAN" / "TANAN"). Each Tesseract language model carries the word list it
was trained with (English: 338,000 words, including many place and street names; Polish:
386,000; Malay: 72,000, the words of Malaysian addresses among them: Jalan, Taman,
Perindustrian, Seksyen) as a DAWG inside its traineddata file. Tesseract's own tools
unpack it (`combine_tessdata -e`, `dawg2wordlist`); nothing is downloaded and no list is
ours. The Malay model is installed for its word list only: OCR reads with
RECEIPTQ_OCR_LANGS, and a list whose model is missing is skipped.

The words are kept as a sorted array of 64-bit hashes of their lower-case spelling
(417,000 distinct spellings for the three languages: 3.7 MB, instead of tens of MB as a
set of Python strings), built once per machine and cached under the user's cache folder. A word
absent from the list can come out "known" only on a hash collision, about once in 50
trillion lookups.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Container
from pathlib import Path

import numpy as np

from receiptq.config import cache_dir
from receiptq.pipeline.ocr import tessdata_dir

log = logging.getLogger(__name__)

#: The word lists consulted (whichever of these models are installed).
LANGUAGES = ("eng", "pol", "msa")
#: Runs of this many letters or more are looked up; shorter ones (and numbers, codes)
#: decide nothing: too many short misreadings are words too ("JEN" for JLN).
WORD_LETTERS = 4
_LETTER_RUN = re.compile(rf"[^\W\d_]{{{WORD_LETTERS},}}")


def letter_runs(text: str) -> list[str]:
    """The runs of `WORD_LETTERS` or more letters in ``text``, lower-case."""
    return [run.lower() for run in _LETTER_RUN.findall(text)]


def all_known(text: str, known: Container[str]) -> bool | None:
    """Whether every letter run of ``text`` is in ``known`` (lower-case words); None when
    it has none."""
    runs = letter_runs(text)
    return all(run in known for run in runs) if runs else None


def unknown_count(text: str, known: Container[str]) -> int:
    """How many letter runs of ``text`` are not in ``known``."""
    return sum(run not in known for run in letter_runs(text))


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a word's lower-case spelling (Python's hash() is salted
    per process, so it cannot be cached in a file)."""
    digest = hashlib.blake2b(word.lower().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class Lexicon:
    """A set of words you can ask `"lumpur" in lexicon` (case does not matter), and how
    many case forms of each the list holds (`forms`)."""

    def __init__(self, hashes: np.ndarray, forms: np.ndarray | None = None) -> None:
        """``hashes``: sorted and unique, as `from_words` makes them and the cache keeps;
        ``forms``: for each, how many spellings the list had of it (lower, Title, UPPER)."""
        self._hashes = np.asarray(hashes, dtype=np.uint64)
        self._forms = (
            np.ones(len(self._hashes), dtype=np.uint8)
            if forms is None
            else np.asarray(forms, dtype=np.uint8)
        )

    @classmethod
    def from_words(cls, words) -> Lexicon:
        hashes = np.fromiter((word_hash(w) for w in set(words)), dtype=np.uint64)
        unique, counts = np.unique(hashes, return_counts=True)
        return cls(unique, np.minimum(counts, 255).astype(np.uint8))

    def _index(self, word: str) -> int | None:
        h = np.uint64(word_hash(word))
        i = int(np.searchsorted(self._hashes, h))
        return i if i < len(self._hashes) and self._hashes[i] == h else None

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._index(word) is not None

    def forms(self, word: str) -> int:
        """How many case forms of ``word`` the list holds (0: not a word). Tesseract's
        lists come from web text, where a common word turns up in lower case, Title and
        UPPER and a slip of the keyboard ("swiezy" for "świeży") in one form only."""
        i = self._index(word)
        return 0 if i is None else int(self._forms[i])

    def __len__(self) -> int:
        return len(self._hashes)


def unpack_words(traineddata: Path, workdir: Path) -> list[str]:
    """The words of a traineddata file's LSTM word DAWG, by Tesseract's own tools."""
    lang = traineddata.name.removesuffix(".traineddata")
    dawg, unicharset = workdir / f"{lang}.lstm-word-dawg", workdir / f"{lang}.lstm-unicharset"
    words = workdir / f"{lang}.words"
    for command in (
        ["combine_tessdata", "-e", str(traineddata), str(dawg), str(unicharset)],
        ["dawg2wordlist", str(unicharset), str(dawg), str(words)],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return words.read_text(encoding="utf-8").split()


def _models(langs: tuple[str, ...]) -> list[Path]:
    folder = tessdata_dir()
    if folder is None:
        return []
    return [p for lang in langs if (p := Path(folder) / f"{lang}.traineddata").is_file()]


def build_lexicon(langs: tuple[str, ...] = LANGUAGES) -> Lexicon | None:
    """The words of the installed models of ``langs``, from the cache when it matches the
    models; None when there are no models or Tesseract's tools are missing."""
    models = _models(langs)
    if not models:
        return None
    stamp = hashlib.blake2b(
        "|".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in models).encode(),
        digest_size=8,
    ).hexdigest()
    cached = cache_dir() / f"lexicon-{stamp}.npz"
    try:
        with np.load(cached) as stored:
            return Lexicon(stored["hashes"], stored["forms"])
    except (OSError, ValueError, EOFError, KeyError):
        pass  # missing or broken (truncated by a full disk...): rebuilt below
    if not (shutil.which("combine_tessdata") and shutil.which("dawg2wordlist")):
        log.warning("combine_tessdata/dawg2wordlist not found: readings are not checked "
                    "against a word list")  # fmt: skip
        return None
    words: list[str] = []
    with tempfile.TemporaryDirectory(prefix="receiptq-lexicon-") as tmp:
        for model in models:
            try:
                words += unpack_words(model, Path(tmp))
            except (subprocess.SubprocessError, OSError) as exc:
                log.warning("cannot read the word list of %s: %s", model, exc)
    if not words:
        return None
    lexicon = Lexicon.from_words(words)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, hashes=lexicon._hashes, forms=lexicon._forms)
        partial.replace(cached)  # atomic: another process may be writing it too
    except OSError as exc:
        log.info("lexicon not cached (%s): it will be rebuilt next time", exc)
    return lexicon


_lock = threading.Lock()
_instances: dict[tuple[str, ...], Lexicon | None] = {}


def lexicon(lang: str | None = None) -> Lexicon | None:
    """This process' lexicon of every language in `LANGUAGES`, or of ``lang`` alone
    ("pol": which spellings are Polish); built on first use, a plain array, safe to share
    by fork."""
    langs = LANGUAGES if lang is None else (lang,)
    if langs not in _instances:
        with _lock:
            if langs not in _instances:
                _instances[langs] = build_lexicon(langs)
    return _instances[langs]
