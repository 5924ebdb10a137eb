"""Dates and times in the many ways receipts print them.

Receipts print day-first (25/12/2018, 25.12.18), ISO (2024-05-12, the Polish fiscal
printer's format), with month names in English or Polish (09 Apr 2018, 12 maja 2024,
Mar 5, 2019) and, in US formats, month-first. OCR adds its own noise (a "/" read as "1" or
"l", spaces around separators). Every plausible reading becomes a candidate; the one on a
line labelled "Date"/"Data", near the top, and in a plausible year range wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from receiptq.pipeline.analysis.keywords import squash

MONTHS: dict[str, int] = {
    # English
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "SEPT": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    # Polish (nominative and genitive stems) and Malay
    "STY": 1, "LUT": 2, "KWI": 4, "MAJ": 5, "CZE": 6, "LIP": 7, "SIE": 8,
    "WRZ": 9, "PAZ": 10, "LIS": 11, "GRU": 12,
    "MAC": 3, "MEI": 5, "OGO": 8, "OKT": 10, "DIS": 12,
}  # fmt: skip

# Both separators of a date are the same character ("19- 10/03" is not a date).
_SEP1 = r"\s?(?P<sep>[-/.])\s?(?:(?P=sep)\s?)?"  # "23- -03-18": OCR doubled one
_SEP2 = r"\s?(?P=sep)\s?"
_D = r"\d{1,2}"
_Y4 = r"(?:19|20)\d\d"
_Y24 = r"(?:(?:19|20)\d\d|\d\d(?!\d(?![\d:.])))"  # not the "20" of a year cut short ("201 ")
_NUMERIC = [
    # ISO and year-first: 2024-05-12, 2018/12/25, 2018.12.25
    (
        "ymd",
        re.compile(
            rf"(?<!\d)(?P<y>{_Y4}){_SEP1}(?P<m>{_D}){_SEP2}"
            rf"(?:(?P<d>{_D})(?!\d)|(?P<dd>[0-3]\d)(?=[0-2]\d[:.][0-5]\d))"  # or a time glued on
        ),
    ),
    # day-first or month-first with a 2- or 4-digit year: 25/12/2018, 25-12-18
    (
        "dmy",
        re.compile(
            rf"(?:(?<![\d#])|(?<=\d[:.][0-5]\d))"  # or a time glued before it
            rf"(?P<a>{_D}){_SEP1}(?P<b>{_D}){_SEP2}(?P<y>{_Y24})"
            r"(?:(?![\d.,]\d)|(?<=\d{4})(?=[0-2]?\d[:.][0-5]\d)"  # or a time glued on
            r"|(?<=[-/.]\d\d)(?=[0-2]\d[:.][0-5]\d(?!\d)))"
        ),
    ),
    # a day-first date with a four-digit year glued to the number before it ("Order No.
    # 2000442" and "23/09/2019" read as one word): its day is the last two digits
    (
        "dmy",
        re.compile(
            rf"(?<=\d)(?P<a>[0-3]\d)(?P<sep>[-/])(?P<b>[01]\d)(?P=sep)(?P<y>{_Y4})"
            r"(?:(?![\d.,]\d)|(?=[0-2]\d[:.][0-5]\d(?!\d)))"
        ),
    ),
    # compact: 20180312, 12032018
    ("compact", re.compile(r"(?<!\d)(?P<s>(?:19|20)\d{6}|\d{4}(?:19|20)\d\d)(?!\d)")),
]
# A fiscal printer's "2024-08-13 11:06" with a digit misread in the year or the month
# ("2924-04-20", "125-03-18", "2024-68-13"): the time after it says it is a date.
_ISO_MISREAD = re.compile(
    r"(?<![\d-])(?P<y>\d{3,4})-(?P<m>\d\d)-(?P<d>[0-3]\d)(?=\s[0-2]\d:[0-5]\d(?!\d))"
)
# A day-first date with one of its separators lost ("2504/2017", "25/042017"): the other
# separator and the year after it still say where the day and the month are.
_ONE_SEPARATOR = re.compile(
    r"(?<![\d/.-])(?:(?P<a>\d\d)(?P<b>\d\d)[-/.]|(?P<c>\d\d)[-/.](?P<e>\d\d))"
    rf"(?P<y>{_Y4})(?![\d/.-])"
)
_MONTH_NAME = r"(?P<mon>[A-Za-zżźćńółęąśŻŹĆĄŚĘŁÓŃ]{3,11})\.?"
_GAP = r"\s?[-/ .,]?\s?"
_NAMED = [
    # 09 Apr 2018, 9-APR-18, 12 maja 2024
    re.compile(rf"(?<!\d)(?P<d>{_D}){_GAP}{_MONTH_NAME}{_GAP}(?P<y>{_Y24})(?!\d)"),
    # Apr 9, 2018 / April 09 2018
    re.compile(rf"{_MONTH_NAME}{_GAP}(?P<d>{_D})(?:st|nd|rd|th)?,?\s?(?P<y>{_Y4})(?!\d)"),
    # a US restaurant's register: Sep 1 '16, SEP01'16 (the year's first digits cut)
    re.compile(rf"{_MONTH_NAME}\s?(?P<d>{_D})\s?['’`](?P<y>\d\d)(?!\d)"),
]

_TIME = re.compile(
    r"(?<![\d.,])(?P<h>[01]?\d|2[0-3])\s?[:.]\s?(?P<m>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?"
    r"(?!\s?[.,]?\d)\s?(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?"
)

MIN_YEAR = 1990
MAX_YEAR = 2039


@dataclass
class DateCandidate:
    date: dt.date
    start: int
    end: int
    order: str  # "ymd", "dmy", "mdy", "named", "compact", "repaired"


def _year(y: str) -> int:
    v = int(y)
    return v + 2000 if v < 100 else v


def _make(y: int, m: int, d: int) -> dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def month_number(name: str) -> int | None:
    """Month from an English, Polish or Malay month name or abbreviation."""
    s = squash(name)
    if len(s) < 3:
        return None
    return MONTHS.get(s[:4]) or MONTHS.get(s[:3])


def parse_dates(text: str, month_first: bool = False) -> list[DateCandidate]:
    """Every plausible date in ``text``; day-first preferred over month-first unless
    ``month_first`` (US receipts). Never raises."""
    out: list[DateCandidate] = []
    taken: list[tuple[int, int]] = []

    def add(date: dt.date | None, m: re.Match, order: str) -> None:
        if date is None or any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        out.append(DateCandidate(date, m.start(), m.end(), order))

    for kind, rx in _NUMERIC:
        for m in rx.finditer(text):
            if kind == "ymd":
                add(_make(int(m["y"]), int(m["m"]), int(m["d"] or m["dd"])), m, "ymd")
            elif kind == "dmy":
                y, a, b = _year(m["y"]), int(m["a"]), int(m["b"])
                d = _make(y, b, a)
                if month_first and (md := _make(y, a, b)):
                    add(md, m, "dmy")  # the expected order for this receipt
                else:
                    add(d, m, "dmy") if d else add(_make(y, a, b), m, "mdy")
            else:
                s = m["s"]
                if s[:2] in ("19", "20"):
                    add(_make(int(s[:4]), int(s[4:6]), int(s[6:])), m, "compact")
                else:
                    add(_make(int(s[4:]), int(s[2:4]), int(s[:2])), m, "compact")
    for m in _ISO_MISREAD.finditer(text):
        add(_repaired_iso(m["y"], m["m"], m["d"]), m, "repaired")
    for m in _ONE_SEPARATOR.finditer(text):
        day, month = (m["a"], m["b"]) if m["a"] else (m["c"], m["e"])
        add(_make(int(m["y"]), int(month), int(day)), m, "repaired")
    for rx in _NAMED:
        for m in rx.finditer(text):
            mon = month_number(m["mon"])
            if mon is None:
                continue
            add(_make(_year(m["y"]), mon, int(m["d"])), m, "named")
    out.sort(key=lambda c: c.start)
    return out


def _repaired_iso(y: str, m: str, d: str) -> dt.date | None:
    """The date a misread ISO date most likely was: this century's year from its last two
    digits, a month above 12 with its first digit read for a 0 (6, 8, 9)."""
    month = int(m)
    if month > 12 and m[0] in "689":
        month = int(m[1])
    return _make(2000 + int(y[-2:]), month, int(d))


def parse_date(text: str) -> dt.date | None:
    """The first plausible date in ``text``, or None. Never raises."""
    found = parse_dates(text)
    return found[0].date if found else None


def parse_time(text: str) -> str | None:
    """The first time of day in ``text`` as HH:MM:SS (12-hour clock converted), or None."""
    for c in parse_dates(text):
        text = text[: c.start] + " " * (c.end - c.start) + text[c.end :]
    for m in _TIME.finditer(text):
        h, mi = int(m["h"]), int(m["m"])
        sec = int(m["s"]) if m["s"] else 0
        if m["s"] is None and "." in m.group(0) and not m["ampm"]:
            continue  # "12.30" is more often money than a time
        ampm = (m["ampm"] or "").upper()
        if ampm.startswith("P") and h < 12:
            h += 12
        elif ampm.startswith("A") and h == 12:
            h = 0
        if h > 23:
            continue
        return f"{h:02d}:{mi:02d}:{sec:02d}"
    return None


_DATE_LABEL = re.compile(r"DATE|DATA|TARIKH|TRANSDATE|DATETIME|INVOICEDATE|DNIA", re.IGNORECASE)
_NOT_PURCHASE = re.compile(r"EXPIR|VALID|DUE|WAZN|BEFORE|TERMIN|BIRTH|URODZ", re.IGNORECASE)


def pick_date(
    line_texts: list[str], month_first: bool = False
) -> tuple[dt.date | None, str | None, float]:
    """The purchase date of a receipt given its lines: (date, time, confidence).

    Scores each candidate by its label, its order (unambiguous ISO and day-first beat
    month-first guesses), and by being the earliest date printed, since due and expiry
    dates come later and are later in time.
    """
    best: tuple[float, dt.date | None, int] = (-1e9, None, -1)
    n = max(len(line_texts), 1)
    for i, text in enumerate(line_texts):
        sq = squash(text)
        for c in parse_dates(text, month_first):
            s = 5.0
            if _DATE_LABEL.search(sq):
                s += 3.0
            if _NOT_PURCHASE.search(sq):
                s -= 4.0
            if c.order == "mdy":
                s -= 2.0
            elif c.order in ("compact", "repaired"):
                s -= 3.0
            if parse_time(text[c.end :]):
                s += 1.5
            s -= 1.5 * i / n
            if s > best[0]:
                best = (s, c.date, i)
    if best[1] is None:
        times = [t for t in (parse_time(x) for x in line_texts) if t]
        return None, times[0] if times else None, 0.0
    time = parse_time(line_texts[best[2]])
    if time is None:
        for text in (
            line_texts[best[2] + 1 : best[2] + 3] + line_texts[max(0, best[2] - 2) : best[2]]
        ):
            time = parse_time(text)
            if time:
                break
    if time is None:
        time = next((t for t in map(parse_time, line_texts) if t), None)
    conf = round(min(1.0, best[0] / 8.0), 3)
    return best[1], time, max(conf, 0.1)
