"""Where each field was read: its region on the page as uploaded.

The analysis chooses values, not places, so a value's region is found afterwards among
the rows of the reading it came from: the rows whose text makes the merchant's name or
address, the words of the date and of the time, the amount equal to the total on the row
whose label says so, each item's row. A field that cannot be found there (a value the
analysis composed, or took from the second reading and the first reads differently) gets
no region rather than a guess.

Boxes are mapped back through each page's `Placement` (a rendering's `to_page`: the crop,
scale, deskew, paper warp and any turn undone; a PDF text layer's words are already in
place) to the pixels of the page as the upload decodes (`receiptq.pipeline.media`: EXIF
orientation applied, PDF pages rendered).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from receiptq.pipeline.analysis.amounts import find_amounts, label_text, parse_amount
from receiptq.pipeline.analysis.dates import parse_dates
from receiptq.pipeline.analysis.keywords import classify
from receiptq.pipeline.analysis.layout import Layout
from receiptq.pipeline.analysis.lines import Line
from receiptq.pipeline.ocr import Word
from receiptq.receipt import Receipt, Region

Box = tuple[int, int, int, int]  # left, top, right, bottom


class Placement(NamedTuple):
    """Where one page of a reading lies on its page of the upload."""

    height: int  # of the page in the reading (pages are stacked one under another)
    to_page: np.ndarray  # 3 x 3: a point of the reading's page to the upload's page
    page_size: tuple[int, int]  # the upload's page (height, width)


#: A run of rows is the name's or the address's when its letters and digits are at least
#: this alike (difflib ratio) to the value's.
MIN_TEXT_SIMILARITY = 0.8
#: An item's row: its description this alike to the row's label...
MIN_ITEM_SIMILARITY = 0.6
#: ...among this many rows after the previous item's.
ITEM_WINDOW = 6
#: The name and the address are looked for among the first rows...
HEADER_ROWS = 40
#: ...in runs of at most this many rows.
MAX_RUN = {"merchant.name": 3, "merchant.address": 6}
#: Labels that name each amount's row, best first (`keywords.classify`).
AMOUNT_LABELS = {
    "total": ("rounded_total", "total"),
    "subtotal": ("subtotal",),
    "tax": ("tax",),
}
_TIME = re.compile(r"(?<!\d)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?!\d)")


def squash(text: str) -> str:
    """Letters and digits, upper case: what two readings of one row share."""
    return re.sub(r"[\W_]", "", text).upper()


def words_box(words: Iterable[Word]) -> Box | None:
    words = list(words)
    if not words:
        return None
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )


def span_words(line: Line, start: int, end: int) -> list[Word]:
    """The words of ``line`` that the characters [start, end) of ``line.text`` fall in."""
    out, at = [], 0
    for word in line.words:
        if at < end and start < at + len(word.text):
            out.append(word)
        at += len(word.text) + 1  # Line.text joins words with one space
    return out


def text_rows(lines: Sequence[Line], value: str | None, max_run: int) -> list[Line]:
    """The run of consecutive rows whose text is most like ``value`` (at least
    `MIN_TEXT_SIMILARITY`), or none."""
    target = squash(value or "")
    if not target:
        return []
    best: tuple[float, int, int] = (MIN_TEXT_SIMILARITY, -1, -1)
    texts = [squash(line.text) for line in lines]
    for start in range(len(lines)):
        joined = ""
        for end in range(start, min(len(lines), start + max_run)):
            joined += texts[end]
            if len(joined) > 2 * len(target):
                break
            ratio = difflib.SequenceMatcher(None, joined, target, autojunk=False).ratio()
            if ratio > best[0]:
                best = (ratio, start, end)
    _, start, end = best
    return list(lines[start : end + 1]) if start >= 0 else []


def digit_rows(lines: Sequence[Line], value: str | None) -> list[Line]:
    """The first row holding the digits of ``value`` (a tax id, a phone number) in order."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) < 5:
        return []
    return next(([line] for line in lines if digits in re.sub(r"\D", "", line.text)), [])


def date_words(lines: Sequence[Line], iso: str | None) -> list[Word]:
    """The words of the first date on the page that reads as ``iso`` (either order)."""
    if not iso:
        return []
    for line in lines:
        for month_first in (False, True):
            for found in parse_dates(line.text, month_first=month_first):
                if found.date.isoformat() == iso:
                    return span_words(line, found.start, found.end)
    return []


def time_words(lines: Sequence[Line], value: str | None) -> list[Word]:
    """The words of the first time of day on the page equal to ``value`` (HH:MM:SS)."""
    if not value:
        return []
    hour, minute = int(value[:2]), value[3:5]
    for line in lines:
        for m in _TIME.finditer(line.text):
            if m[2] == minute and int(m[1]) % 12 == hour % 12:
                return span_words(line, m.start(), m.end())
    return []


def amount_words(layout: Layout, value: str | None, labels: Sequence[str]) -> list[Word]:
    """The words of the amount equal to ``value``: on a row labelled with one of
    ``labels`` (the earlier label first), else in the summary block, else anywhere; the
    lowest such row."""
    wanted = parse_amount(value) if value else None
    if wanted is None:
        return []
    summary_start = layout.summary[0]
    best: tuple[tuple[int, bool, int], Line, int, int] | None = None
    for index, line in enumerate(layout.lines):
        found = [(s, e) for v, s, e in find_amounts(line.text) if v == wanted]
        if not found:
            continue
        label, _ = classify(label_text(line.text))
        rank = len(labels) - labels.index(label) if label in labels else 0
        key = (rank, index >= summary_start, index)
        if best is None or key > best[0]:
            best = (key, line, *found[-1])
    if best is None:
        return []
    _, line, start, end = best
    # the amount's own words: not a currency word the match began with ("PLN 62,29")
    return [w for w in span_words(line, start, end) if any(c.isdigit() for c in w.text)]


def item_rows(layout: Layout, receipt: Receipt) -> list[list[Line]]:
    """Each item's row (or none), found in order down the item block: the row among the
    next `ITEM_WINDOW` whose label is most like the item's description, a row holding
    its price counting for more."""
    start, end = layout.items
    rows = layout.lines[start:end] or layout.lines
    out: list[list[Line]] = []
    cursor = 0
    for item in receipt.items:
        target = squash(item.description)
        price = parse_amount(item.total_price) if item.total_price else None
        best: tuple[float, int] = (MIN_ITEM_SIMILARITY, -1)
        for index in range(cursor, min(len(rows), cursor + ITEM_WINDOW)):
            text = rows[index].text
            score = difflib.SequenceMatcher(
                None, squash(label_text(text)), target, autojunk=False
            ).ratio()
            if price is not None and any(v == price for v, _, _ in find_amounts(text)):
                score += 0.3
            if score > best[0]:
                best = (score, index)
        if best[1] < 0:
            out.append([])
            continue
        index = best[1]
        priced = price is None or any(v == price for v, _, _ in find_amounts(rows[index].text))
        if (
            not priced
            and index + 1 < len(rows)
            and any(v == price for v, _, _ in find_amounts(rows[index + 1].text))
        ):  # the quantity x price row under the description ("1 x4,69 4,69 C")
            out.append([rows[index], rows[index + 1]])
            cursor = index + 2
        else:
            out.append([rows[index]])
            cursor = index + 1
    return out


def page_region(box: Box | None, placements: Sequence[Placement]) -> Region | None:
    """``box`` of the stacked reading (pages one under another, as `run.merge_pages`
    stacks them) as a region of the page it lies on, in that page's own pixels."""
    if box is None or not placements:
        return None
    left, top, right, bottom = box
    offset = 0
    for index, placement in enumerate(placements):
        if top < offset + placement.height or index == len(placements) - 1:
            break
        offset += placement.height
    corners = np.array(
        [[left, top - offset, 1], [right, top - offset, 1],
         [right, bottom - offset, 1], [left, bottom - offset, 1]], dtype=np.float64,
    ).T  # fmt: skip
    mapped = placement.to_page @ corners
    xs, ys = mapped[0] / mapped[2], mapped[1] / mapped[2]
    page_h, page_w = placement.page_size
    x0, x1 = int(np.clip(np.floor(xs.min()), 0, page_w)), int(np.clip(np.ceil(xs.max()), 0, page_w))
    y0, y1 = int(np.clip(np.floor(ys.min()), 0, page_h)), int(np.clip(np.ceil(ys.max()), 0, page_h))
    if x1 <= x0 or y1 <= y0:
        return None
    return Region(page=index, box=(x0, y0, x1, y1))


def _rows_box(rows: Iterable[Line]) -> Box | None:
    return words_box(w for row in rows for w in row.words)


def locate_fields(receipt: Receipt, layout: Layout, placements: Sequence[Placement]) -> Receipt:
    """``receipt`` with the region of each field and item that could be found."""
    lines = layout.lines
    head = lines[:HEADER_ROWS]
    boxes: dict[str, Box | None] = {
        "merchant.name": _rows_box(
            text_rows(head, receipt.merchant.name, MAX_RUN["merchant.name"])
        ),
        "merchant.address": _rows_box(
            text_rows(head, receipt.merchant.address, MAX_RUN["merchant.address"])
        ),
        "merchant.tax_id": _rows_box(digit_rows(lines, receipt.merchant.tax_id)),
        "merchant.phone": _rows_box(digit_rows(lines, receipt.merchant.phone)),
        "date": words_box(date_words(lines, receipt.date)),
        "time": words_box(time_words(lines, receipt.time)),
    }
    for name, labels in AMOUNT_LABELS.items():
        boxes[name] = words_box(amount_words(layout, getattr(receipt, name), labels))
    regions = {
        name: region
        for name, box in boxes.items()
        if (region := page_region(box, placements)) is not None
    }
    items = [
        item.model_copy(update={"region": page_region(_rows_box(rows), placements)})
        for item, rows in zip(receipt.items, item_rows(layout, receipt), strict=True)
    ]
    return receipt.model_copy(update={"regions": regions, "items": items})
