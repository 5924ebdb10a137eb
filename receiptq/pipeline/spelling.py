"""A known word the line model all but read, in place of the unknown one it wrote.

Greedy CTC decoding (`recognize.CtcDecoder`) writes the likeliest class of each step, so a
letter the print left in doubt comes out as the likelier guess, word or not: "GARDFN"
where the step gave F 0.85 and E 0.12. Where a word's letters make no word of the word
lists (`receiptq.pipeline.lexicon`), its other likely spellings are searched: a beam over
its steps, each step's classes at least `RATIO` as likely as that step's best. The
likeliest of them that the lists know, at least `RATIO` as likely as the greedy reading
and differing from it in at most `MAX_CHANGES` letters (letters only: a digit or a mark is
never changed, added or dropped), replaces it. Known words and words the model was sure
of (no second class near its best at any step) are never touched. The same search reads
a letter O after a digit ("41O") as the zero the steps make nearly as likely. Figures:
docs/extraction.md ("eighth session: spellings the line model all but read").
`from_views` does the same with the readings of other crops of the row (`refine`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Container, Sequence

import numpy as np

from receiptq.pipeline.lexicon import all_known, letter_runs

#: How likely a spelling must be against the greedy reading's (the product of its steps'
#: probabilities over theirs): a tenth.
RATIO = 0.1
#: Letters changed, added or dropped at most.
MAX_CHANGES = 2
#: Prefixes the beam keeps, and classes looked at a step.
BEAM = 32
PER_STEP = 3


def spellings(
    probs: np.ndarray, classes: Sequence[str], ratio: float = RATIO
) -> list[tuple[str, float]]:
    """The likeliest collapsed spellings of ``probs`` (steps x classes, one word's steps;
    ``classes[i]`` the text of column i, "" the blank, " " the space, never taken), each
    with its likelihood against the likeliest's (1.0 first), most likely first. A step's
    class below ``ratio`` times that step's best is not followed: no spelling through it
    could reach ``ratio``."""
    beams: dict[tuple[str, int], float] = {("", 0): 0.0}
    for row in probs:
        order = np.argsort(-row)[:PER_STEP]
        floor = ratio * float(row[order[0]])
        options = [(int(i), math.log(float(row[i]))) for i in order
                   if row[i] >= floor and row[i] > 0 and classes[i] != " "]  # fmt: skip
        if not options:
            continue
        grown: dict[tuple[str, int], float] = {}
        for (text, last), logp in beams.items():
            for i, step_logp in options:
                # CTC: the blank writes nothing, a class repeated without a blank between is one
                key = (text, i) if classes[i] == "" or i == last else (text + classes[i], i)
                if logp + step_logp > grown.get(key, -math.inf):
                    grown[key] = logp + step_logp
        beams = dict(sorted(grown.items(), key=lambda kv: -kv[1])[:BEAM])
    best: dict[str, float] = {}
    for (text, _), logp in beams.items():
        best[text] = max(logp, best.get(text, -math.inf))
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    top = ranked[0][1]
    return [(text, math.exp(logp - top)) for text, logp in ranked]


def letters_changed(a: str, b: str) -> int | None:
    """How many letters turn ``a`` into ``b``, or None when anything else changes."""
    changed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if not all(c.isalpha() for c in a[i1:i2] + b[j1:j2]):
            return None
        changed += max(i2 - i1, j2 - j1)
    return changed


#: A letter O after a digit ("41O", "B7O"; not "NO41", where it ends a word of letters).
_O_BY_DIGIT = re.compile(r"(?<=\d)[Oo]")


def renumber(word: str, ranked: list[tuple[str, float]]) -> str | None:
    """``word`` with each letter O after a digit read as zero, where its `spellings`
    (``ranked``) make that at least `RATIO` as likely; None otherwise."""
    if not _O_BY_DIGIT.search(word):
        return None
    zeros = _O_BY_DIGIT.sub("0", word)
    return next((text for text, likely in ranked if likely >= RATIO and text == zeros), None)


def respell(
    word: str, probs: np.ndarray, classes: Sequence[str], known: Container[str] | None = None
) -> str:
    """``word`` as greedy decoding read it from ``probs`` (its steps), or the spelling the
    same steps make nearly as likely: a zero for an O after a digit, and, with the word
    list ``known``, a known word for one no list knows (see the module's docstring)."""
    has_o = _O_BY_DIGIT.search(word) is not None
    unknown = known is not None and all_known(word, known) is False
    if not has_o and not unknown:
        return word  # no search
    ranked = spellings(probs, classes)
    if (number := renumber(word, ranked)) is not None:
        return number
    if known is None or not unknown:
        return word
    for text, likelihood in ranked:
        if likelihood < RATIO:
            break
        if _known_near(word, text, known):
            return text
    return word


def _known_near(word: str, other: str, known: Container[str]) -> bool:
    """Whether ``other`` is known and differs from ``word`` in 1 to `MAX_CHANGES` letters."""
    changed = letters_changed(word, other)
    return changed is not None and 0 < changed <= MAX_CHANGES and bool(all_known(other, known))


#: Letters in a row a word needs before another crop's reading may replace it: shorter
#: words (abbreviations among them) lie a letter or two from too many known words.
VIEW_MIN_LETTERS = 5


def in_doubt(word: str, known: Container[str]) -> bool:
    """Whether another crop's reading may replace ``word`` (`from_views`): it has a run of
    `VIEW_MIN_LETTERS` letters, and letters no list knows."""
    longest = max(map(len, letter_runs(word)), default=0)
    return longest >= VIEW_MIN_LETTERS and all_known(word, known) is False


def from_views(text: str, views: Sequence[str], known: Container[str]) -> str:
    """``text`` (a row as the line model read it) with each word whose letters no list
    knows (and that has a run of `VIEW_MIN_LETTERS`) replaced by the word another reading
    of the row (``views``, in order: the same row cropped another way) puts in its place,
    where that one is known and differs in at most `MAX_CHANGES` letters; a view with
    another number of words is not aligned."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if not in_doubt(word, known):
            continue
        for view in views:
            other = view.split(" ")
            if len(other) != len(words):
                continue
            if _known_near(word, other[i], known):
                words[i] = other[i]
                break
    return " ".join(words)
