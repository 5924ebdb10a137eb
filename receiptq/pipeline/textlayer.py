"""A PDF page's own text, read from its text layer instead of by OCR.

E-receipts from shop apps and phones are PDFs whose pages carry their text: pdfium gives
each character and its box, exactly, in a few milliseconds, where rendering and OCR take a
second and misread some of it. The characters become words with boxes (in pixels of a page
rendered at `media.PDF_DPI`) so that the rest of the pipeline cannot tell them from
Tesseract's. A page with less text than `MIN_CHARACTERS` (a scan saved as a PDF, maybe
with a stray header) is left to OCR.
"""

from __future__ import annotations

from receiptq.pipeline.media import PDF_DPI
from receiptq.pipeline.ocr import OcrResult, Word

#: A page with fewer letters and digits in its text layer than this is read by OCR.
MIN_CHARACTERS = 20
#: Confidence (0-100) of a word of the text layer: what the PDF says it prints.
TEXT_CONFIDENCE = 99.0
#: A gap wider than this share of the characters' height between two characters of a
#: row splits a word where the text layer has no space (columns placed apart).
WORD_GAP = 0.6


def pdf_text_readings(data: bytes) -> list[OcrResult | None]:
    """Per page of the PDF ``data``, the reading of its text layer, or None where it has
    (almost) none."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return [_page_reading(pdf[index]) for index in range(len(pdf))]
    finally:
        pdf.close()


def _page_reading(page) -> OcrResult | None:
    scale = PDF_DPI / 72
    width_pt, height_pt = page.get_size()
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        chars = []
        for i in range(count):
            text = textpage.get_text_range(i, 1)
            box = textpage.get_charbox(i, loose=True) if text.strip() else None
            chars.append((text, box))
    finally:
        textpage.close()
        page.close()
    if sum(ch.isalnum() for text, _ in chars for ch in text) < MIN_CHARACTERS:
        return None
    words = [
        Word(
            text=text,
            conf=TEXT_CONFIDENCE,
            left=round(left * scale),
            top=round((height_pt - top) * scale),
            width=max(1, round((right - left) * scale)),
            height=max(1, round((top - bottom) * scale)),
            line=line,
        )
        for text, (left, bottom, right, top), line in _words(chars)
    ]
    lines = "\n".join(" ".join(w.text for w in words if w.line == n)
                      for n in sorted({w.line for w in words}))  # fmt: skip
    return OcrResult(
        words=words,
        width=round(width_pt * scale),
        height=round(height_pt * scale),
        text=lines,
        engine="text_layer",
    )


Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF points


def _words(chars: list[tuple[str, Box | None]]) -> list[tuple[str, Box, int]]:
    """Characters joined into words at spaces, line breaks and wide gaps: (text, box,
    line number)."""
    out: list[tuple[str, Box, int]] = []
    text, box, line = "", None, 0

    def flush() -> None:
        nonlocal text, box
        if text and box is not None:
            out.append((text, box, line))
        text, box = "", None

    for ch, cbox in chars:
        if ch in "\r\n":
            flush()
            if ch == "\n":
                line += 1
            continue
        if cbox is None or not ch.strip():
            flush()
            continue
        if box is not None:
            height = max(box[3] - box[1], cbox[3] - cbox[1], 1e-3)
            apart = cbox[0] - box[2] > WORD_GAP * height
            other_row = abs(cbox[1] - box[1]) > 0.5 * height
            if apart or other_row:
                flush()
                line += other_row
        text += ch
        box = cbox if box is None else (
            min(box[0], cbox[0]), min(box[1], cbox[1]), max(box[2], cbox[2]), max(box[3], cbox[3])
        )  # fmt: skip
    flush()
    return out
