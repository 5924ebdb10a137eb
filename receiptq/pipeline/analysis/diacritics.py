"""Polish letters Tesseract read without their marks, put back by the word list.

On Polish receipts Tesseract often loses a letter's mark ("ZAKATEK", "SWIEZY", "Gora") or
reads ł as t ("Dtuga", "Mtyn", "Niepodlegtosci") and ó as é; a street prefix "ul." becomes
"ut.".
A word the word list (`receiptq.pipeline.lexicon`, Tesseract's own Polish and English
lists) does not know is tried with one, then two, then up to `MAX_CHANGES` of those
letters marked; the first count at which exactly one spelling is a known word gives the
reading. A word the list knows is changed only when the list is a `Lexicon` that counts
case forms and exactly one marked spelling has more of them: the lists come from web
text, where "świeży" turns up as świeży, Świeży and ŚWIEŻY and the unmarked slip "swiezy"
in one form. Spellings that differ only in a final ą or ę are both words (the noun and
its case: "przeszkoda", "przeszkodą") and are left as read; so is "Gora" (góra and gora
are equally common there), except in a place's name after a postcode ("60-191 Poznan",
"Zielona Gora"), where the list holds the unmarked slip as often as the name (web text
typed without Polish keys) and a receipt prints the name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container

from receiptq.pipeline.lexicon import Lexicon

#: What a letter may have been before OCR dropped its mark (or read ł as t or l).
MARKED: dict[str, tuple[str, ...]] = {
    "a": ("ą",), "c": ("ć",), "e": ("ę",), "l": ("ł",), "t": ("ł",), "n": ("ń",),
    "o": ("ó",), "s": ("ś",), "z": ("ż", "ź"),
}  # fmt: skip
#: At most this many letters of one word are re-marked...
MAX_CHANGES = 3
#: ...in words of 3 to 20 letters (longer runs are noise or glued words, and the number
#: of spellings to try grows with the cube of the length).
_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]{3,20}(?![^\W\d_])")


def _variants(word: str, changes: int):
    """``word`` (lower case) with exactly ``changes`` of its letters marked."""
    low = word.lower()
    spots = [i for i, c in enumerate(low) if c in MARKED]
    for chosen in itertools.combinations(spots, changes):
        for marks in itertools.product(*(MARKED[low[i]] for i in chosen)):
            out = list(low)
            for i, m in zip(chosen, marks, strict=True):
                out[i] = m
            yield "".join(out)


def _like(spelling: str, word: str) -> str:
    """``spelling`` (lower case) in ``word``'s case: UPPER, Title or lower."""
    if word.isupper():
        return spelling.upper()
    if word[0].isupper():
        return spelling[0].upper() + spelling[1:]
    return spelling


def restore_word(word: str, known: Container[str], place: bool = False) -> str:
    """``word`` with its Polish marks put back: the known spelling with the fewest marks
    added ("Dtuga" -> "Długa", not the also known "Długą"), when there is exactly one such
    and the word as read is not known; a known word only as the module docstring says
    ("Swiezy" -> "Świeży"; in a ``place``'s name one as common will do). An é, which
    Polish does not write, is the ó Tesseract took it for ("Zrédlana" -> "Źródlana")."""
    word = word.replace("é", "ó").replace("É", "Ó")
    if word.lower() in known:
        return _more_common(word, known, place) if isinstance(known, Lexicon) else word
    for changes in range(1, MAX_CHANGES + 1):
        found = {v for v in _variants(word, changes) if v in known}
        if found:
            return _like(found.pop(), word) if len(found) == 1 else word
    return word


def _more_common(word: str, known: Lexicon, place: bool = False) -> str:
    """The one marked spelling of the known ``word`` that the list holds in more case
    forms (in a ``place``'s name, in as many), with the fewest marks added; ``word``
    itself when there is none or several."""
    low = word.lower()
    forms = known.forms(low) - (1 if place else 0)
    for changes in range(1, MAX_CHANGES + 1):
        found = {
            v
            for v in _variants(word, changes)
            if known.forms(v) > forms and not _only_ending(low, v)
        }
        if found:
            return _like(found.pop(), word) if len(found) == 1 else word
    return word


def _only_ending(word: str, variant: str) -> bool:
    """Whether ``variant`` differs from ``word`` only in a final ą or ę."""
    return word[:-1] == variant[:-1] and variant[-1] in "ąę"


def restore_polish(text: str, known: Container[str], place: bool = False) -> str:
    """Every word of ``text`` through `restore_word`."""
    return _WORD.sub(lambda m: restore_word(m.group(0), known, place), text)


#: A Polish postcode: what follows it on its row is the place's name.
_POSTCODE = re.compile(r"\d{2}-\d{3},?")


#: Street prefixes as OCR misreads them ("ul." ulica, "al." aleja): ł/l read as t or 1,
#: the dot as a comma.
_PREFIX_MISREAD = {"ut.": "ul.", "Ut.": "Ul.", "ul,": "ul.", "at.": "al.", "a1.": "al."}


def restore_row(words: list[str], known: Container[str]) -> list[str]:
    """One printed row's words (in order) through `restore_polish`: a lone "ut." (or
    another `_PREFIX_MISREAD`) is the street prefix when the next word starts with a
    capital; the words after a postcode are a place's name."""
    out = []
    place = False
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in _PREFIX_MISREAD and following[:1].isupper():
            word = _PREFIX_MISREAD[word]
        out.append(restore_polish(word, known, place))
        place = place or bool(_POSTCODE.fullmatch(word))
    return out
