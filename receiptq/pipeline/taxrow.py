"""The NIP row read again when the NIP read from it fails its check digit.

A NIP whose check digit does not hold was misread (Tesseract reads 8 as 6 or 0, 1 as 4 on
thermal print), and the check digit alone cannot tell which digit. So its rows are read
again, by the line model (`receiptq.pipeline.recognize`) and by Tesseract as one line,
and the first valid NIP among those readings is taken; failing that, the one valid NIP a
single look-alike digit away from every reading, when they agree on it
(`analysis.taxids.repair_nip`).
"""

from __future__ import annotations

import numpy as np

from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.analysis.taxids import find_nip, nip_candidates, repair_nip
from receiptq.pipeline.ocr import OcrEngine
from receiptq.pipeline.recognize import LineReader
from receiptq.pipeline.refine import crop_segment

#: Page segmentation mode of one line of text.
ONE_LINE = 7


def nip_rows(lines: list[Line]) -> list[Line]:
    """Rows that print a NIP, labelled or in its digit groups."""
    return [ln for ln in lines if nip_candidates(ln.text)]


def reread_nip(
    page: np.ndarray, lines: list[Line], ocr: OcrEngine, reader: LineReader | None
) -> str | None:
    """A NIP with a valid check digit from the NIP rows of ``lines`` (rows of ``page``)
    read again, or None."""
    rows = nip_rows(lines)
    if not rows:
        return None
    crops = [crop for row in rows if (crop := crop_segment(page, row.words)).size]
    if not crops:
        return None
    texts: list[str] = []
    if reader is not None:
        texts += [reading.text for reading in reader.read(crops)]
    texts += [ocr.read(crop, psm=ONE_LINE).text.strip() for crop in crops]
    number, valid = find_nip(texts)
    if valid:
        return number
    repairs = {repair_nip(n) for t in [row.text for row in rows] + texts
               for n, _ in nip_candidates(t)}  # fmt: skip
    repairs.discard(None)
    return repairs.pop() if len(repairs) == 1 else None
