"""A known word the line model all but read (`receiptq.pipeline.spelling`), on made-up
class probabilities: which spellings a word's steps allow, and when one replaces it."""

from __future__ import annotations

import numpy as np
import pytest

from receiptq.pipeline.recognize import CtcDecoder
from receiptq.pipeline.spelling import from_views, letters_changed, respell, spellings

ALPHABET = list("ABDEFGKMNORW0123")
CLASSES = ["", *ALPHABET, " "]
KNOWN = frozenset({"garden", "warden", "bark"})


def steps(*path: str | dict[str, float]) -> np.ndarray:
    """One step per entry: a class's text ("" the blank), sure at 0.98, or {text: prob}."""
    probs = np.full((len(path), len(CLASSES)), 1e-4, np.float32)
    for t, step in enumerate(path):
        for text, p in (step if isinstance(step, dict) else {step: 0.98}).items():
            probs[t, CLASSES.index(text)] = p
    return probs


def test_the_greedy_reading_comes_first_and_a_doubtful_step_offers_its_second_class():
    ranked = spellings(steps("G", "A", "", "R", {"F": 0.8, "E": 0.15}), CLASSES)
    assert ranked[0] == ("GARF", 1.0)
    assert ranked[1][0] == "GARE"
    assert ranked[1][1] == pytest.approx(0.15 / 0.8)


def test_a_class_repeated_without_a_blank_is_one_letter_and_the_space_is_never_taken():
    ranked = spellings(steps("G", "G", {"A": 0.6, " ": 0.4}, "", "A"), CLASSES)
    assert [text for text, _ in ranked] == ["GAA"]


DOUBT = {"O": 0.6, "A": 0.4}


@pytest.mark.parametrize(
    ("read", "path", "expected"),
    [
        pytest.param("GARDFN", ("G", "A", "R", "D", {"F": 0.8, "E": 0.15}, "N"), "GARDEN",
                     id="an unknown word becomes the known spelling nearly as likely"),
        pytest.param("GARDFN", ("G", "A", "R", "D", {"F": 0.95, "E": 0.05}, "N"), "GARDFN",
                     id="not a spelling under a tenth as likely"),
        pytest.param("WARDEN", ({"W": 0.55, "G": 0.45}, "A", "R", "D", "E", "N"), "WARDEN",
                     id="a known word is never respelled"),
        pytest.param("GARDN", ("G", "A", "R", "D", {"": 0.7, "E": 0.25}, "N"), "GARDEN",
                     id="a letter dropped at a blank step is put back"),
        pytest.param("GARD3N", ("G", "A", "R", "D", {"3": 0.6, "E": 0.4}, "N"), "GARD3N",
                     id="digits are never changed into letters"),
        pytest.param("GORDFM", ("G", DOUBT, "R", "D", {"F": 0.6, "E": 0.4}, {"M": 0.6, "N": 0.4}),
                     "GORDFM", id="no more than two letters change"),
    ],
)  # fmt: skip
def test_respelling(read, path, expected):
    assert respell(read, steps(*path), CLASSES, KNOWN) == expected


@pytest.mark.parametrize(
    ("read", "path", "expected"),
    [
        pytest.param("B12O", ("B", "1", "2", {"O": 0.7, "0": 0.3}), "B120",
                     id="a letter O after a digit the model nearly read as zero"),
        pytest.param("B12O", ("B", "1", "2", {"O": 0.95, "0": 0.05}), "B12O",
                     id="not where zero was under a tenth as likely"),
        pytest.param("NO12", ("N", {"O": 0.7, "0": 0.3}, "1", "2"), "NO12",
                     id="an O before digits ends a word of letters"),
    ],
)  # fmt: skip
def test_zero_read_as_the_letter_o(read, path, expected):
    assert respell(read, steps(*path), CLASSES, KNOWN) == expected


def test_a_zero_needs_no_word_list():
    probs = steps("B", "1", "2", {"O": 0.7, "0": 0.3})
    assert respell("B12O", probs, CLASSES) == "B120"
    assert respell("GARDFN", steps("G", "A", "R", "D", {"F": 0.8, "E": 0.15}, "N"), CLASSES) == (
        "GARDFN"
    )


def test_letters_changed_counts_letters_and_refuses_anything_else():
    assert letters_changed("GARDFN", "GARDEN") == 1
    assert letters_changed("GARDN", "GARDEN") == 1
    assert letters_changed("GARDEN", "GARDEN") == 0
    assert letters_changed("GARD3N", "GARDEN") is None
    assert letters_changed("BARK.", "BARK") is None


def test_the_decoder_respells_with_a_word_list_and_not_without():
    row = steps(
        "B", "A", "R", "K", " ", "G", "A", "R", "D", {"F": 0.8, "E": 0.15}, "N", " ", "1", "2"
    )
    greedy = CtcDecoder(ALPHABET).decode(row)
    listed = CtcDecoder(ALPHABET, KNOWN).decode(row)
    assert greedy.text == "BARK GARDFN 12"
    assert listed.text == "BARK GARDEN 12"
    assert [p for _, p in listed.words] == [p for _, p in greedy.words]


@pytest.mark.parametrize(
    ("read", "views", "expected"),
    [
        ("BARK GARDFN 12", ["BARK GARDEN 12"], "BARK GARDEN 12"),
        ("BARK GARDFN 12", ["BARK GARDFX 12", "BARK GARDEN 12"], "BARK GARDEN 12"),  # the first
        ("GARDEN GARDFN 1", ["WARDEN GARDEN 2"], "GARDEN GARDEN 1"),  # only the unknown word
    ],
)
def test_a_word_no_list_knows_from_another_crop_of_its_row(read, views, expected):
    assert from_views(read, views, KNOWN) == expected


@pytest.mark.parametrize(
    ("read", "views"),
    [
        ("BARK GARDFN 12", ["BARKGARDEN 12"]),  # a view with other words is not aligned
        ("BARK GORDFN 12", ["BARK WARDEN 12"]),  # a known word three letters away
        ("GARDEN BARK 12", ["WARDEN BARK 12"]),  # a known word is never replaced
        ("BARK GARD3N 12", ["BARK GARDEN 12"]),  # a digit is not changed into a letter
        ("BORK GARDEN 12", ["BARK GARDEN 12"]),  # a word under five letters in a row
    ],
)
def test_what_another_crop_reads_is_not_taken(read, views):
    assert from_views(read, views, KNOWN) == read
