"""The page's layout of one reading: its rows, language, header, item and summary spans.

Computed once per reading (`reading_layout` for a page's OCR words, `page_layout` for rows
already built) and handed to whatever needs it: the field choices of `analyze_lines`, the
second reading's band (`reread.header_bottom`), the rows `refine` re-reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container
from dataclasses import dataclass

from receiptq.pipeline.analysis.amounts import find_amounts
from receiptq.pipeline.analysis.diacritics import restore_row
from receiptq.pipeline.analysis.items import is_summary_row
from receiptq.pipeline.analysis.language import detect_language
from receiptq.pipeline.analysis.lines import Line, build_lines
from receiptq.pipeline.analysis.lookalikes import restore_words
from receiptq.pipeline.analysis.merchant import header_lines
from receiptq.pipeline.lexicon import lexicon
from receiptq.pipeline.ocr import OcrResult, Word

#: Labels of the summary block: the first such row with an amount ends the items.
SUMMARY_LABELS = ("total", "rounded_total", "subtotal", "tax", "rounding", "cash", "change",
                  "rate_sales")  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """Rows of one reading, top to bottom, and what is where among them."""

    lines: list[Line]
    language: str  # ISO 639-1, "pl" or "en"
    header: list[Line]  # the rows above the first amount row, noise left out
    items: tuple[int, int]  # row indices [start, end) between the header and the summary

    @property
    def summary(self) -> tuple[int, int]:
        """Row indices [start, end) from the first summary row (subtotal, total...) on."""
        return self.items[1], len(self.lines)


def reading_layout(ocr: OcrResult, known: Container[str] | None = None) -> Layout:
    """The layout `analyze` reads fields from: look-alike characters put back
    (`lookalikes`), rows rebuilt, and on Polish receipts the Polish marks OCR lost."""
    return page_layout(build_lines(restore_words(ocr)), known, restore=True)


def page_layout(
    lines: list[Line], known: Container[str] | None = None, restore: bool = True
) -> Layout:
    """The layout of ``lines``. With ``restore``, a Polish receipt's rows get back the
    marks of Polish letters OCR lost (``known``: the Polish word list, by default the
    installed one); the language is told from the rows as read."""
    language = detect_language("\n".join(ln.text for ln in lines))
    if restore and language == "pl":  # putting marks back only makes a Polish text more Polish
        polish = known if known is not None else lexicon("pol")
        if polish is not None:
            lines = [_restore_marks(line, polish) for line in lines]
    header = header_lines(lines)
    return Layout(lines, language, header, _items_span(lines, header))


def _restore_marks(line: Line, known: Container[str]) -> Line:
    """``line`` with its words' Polish marks put back (the same line when none were lost)."""
    restored = restore_row([w.text for w in line.words], known)
    new = {id(w): dataclasses.replace(w, text=t)
           for w, t in zip(line.words, restored, strict=True) if t != w.text}  # fmt: skip
    if not new:
        return line

    def swap(w: Word) -> Word:
        return new.get(id(w), w)

    return dataclasses.replace(
        line,
        words=[swap(w) for w in line.words],
        segments=[[swap(w) for w in seg] for seg in line.segments],
    )


def _items_span(lines: list[Line], head: list[Line]) -> tuple[int, int]:
    """Indices between the header and the first summary row (subtotal, total, tax...)."""
    start = head[-1].index + 1 if head else 0
    end = len(lines)
    for line in lines[start:]:
        if not find_amounts(line.text):
            continue
        if is_summary_row(line.text, SUMMARY_LABELS):
            end = line.index
            break
    return start, end
