"""Which files a run sends: those given, and those found recursively in folders given,
whose bytes are a type the API takes (sniffed as the API does)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from receiptq.pipeline.media import sniff_media_type

SNIFF_BYTES = 1024


@dataclass(frozen=True)
class Discovery:
    files: list[Path]  # in the order given; a folder's files sorted by path
    ignored: list[Path]  # not JPEG, PNG, TIFF, WebP or PDF by their bytes


def discover(paths: Iterable[Path]) -> Discovery:
    """Files given, and files found recursively in folders given, that look like receipts.

    A file named twice (or found through two of the paths) is taken once. A file that
    cannot be read is kept, so that it gets a failed row instead of vanishing."""
    files: list[Path] = []
    ignored: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            identity = candidate.resolve()
            if identity in seen:
                continue
            seen.add(identity)
            try:
                with candidate.open("rb") as fh:
                    head = fh.read(SNIFF_BYTES)
            except OSError:
                files.append(candidate)
                continue
            (files if sniff_media_type(head) is not None else ignored).append(candidate)
    return Discovery(files, ignored)
