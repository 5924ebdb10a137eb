"""A receipt photographed turned any way on a gray table is turned upright and read."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from factories import FONT
from factories import POLISH_TEXT as POLISH
from factories import render_text as render
from hypothesis import given, settings
from hypothesis import strategies as st

from receiptq.pipeline.ocr import OcrResult, Word
from receiptq.pipeline.orientation import (
    CLEAR_ROWS,
    Turn,
    along_rows,
    band_words,
    probe,
    rotate_bound,
    text_rows,
    upright_turns,
)

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)


def candidates(image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``image`` turned by each of its `upright_turns`, with the matrices back."""
    return [turn.apply(image) for turn in upright_turns(image)]


def on_a_table(page: np.ndarray, angle: float) -> np.ndarray:
    """``page`` turned ``angle`` degrees counter-clockwise on a speckled gray table."""
    gray = page if page.ndim == 2 else page.mean(axis=2).astype(np.uint8)
    turned = rotate_bound(gray, angle, border=0).astype(np.int16)
    mask = rotate_bound(np.full_like(gray, 255), angle, border=0) > 0
    table = 110 + np.random.default_rng(7).integers(-12, 13, turned.shape)
    photo = np.where(mask, turned, table)
    pad = 60
    return np.pad(photo, pad, constant_values=110).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("angle", [-75.0, -30.0, 12.0, 45.0, 89.0])
def test_the_angle_of_the_rows(angle):
    """The turn that levels the rows, whatever way they lie (up to a half turn)."""
    rows = text_rows(on_a_table(render(POLISH), angle))
    assert rows is not None
    assert abs((rows.angle + angle + 90) % 180 - 90) < 1.5


def test_a_blank_page_tells_no_angle():
    assert text_rows(np.full((800, 600), 250, np.uint8)) is None


@pytest.mark.parametrize("angle", [30.0, 120.0, 180.0])
def test_a_turned_photo_is_read_upright(read, angle):
    """Turned this much, the page read as nearly nothing; turned upright, it reads whole."""
    receipt = read(on_a_table(render(POLISH), angle))
    assert receipt.total == "9.47"
    assert receipt.date == "2024-05-12"
    assert receipt.merchant.name == "SKLEP SPOŻYWCZY ANNA Sp. z o.o."


@pytest.mark.parametrize("text", [False, True])
def test_each_candidate_knows_the_way_back_to_the_page(text):
    """A mark on the page, found on each turned candidate and taken back by its matrix,
    lands where it was (the fields' regions are mapped back so): quarter and half turns of
    a page with no rows to tell, turns by the rows' angle of a photo turned 30 degrees."""
    page = on_a_table(render(POLISH), 30.0) if text else np.full((700, 500), 255, np.uint8)
    x, y = 30, 40
    page[y : y + 6, x : x + 6] = 0  # a 6 px mark centred at (x + 2.5, y + 2.5)
    for image, back in candidates(page):
        forward = np.linalg.inv(back) @ np.array([x + 2.5, y + 2.5, 1.0])
        fx, fy = forward[0] / forward[2], forward[1] / forward[2]
        assert 0 <= fx < image.shape[1] and 0 <= fy < image.shape[0]
        assert image[round(fy), round(fx)] < 128  # the mark is there
        if not text:  # the only ink: its centre taken back is where it was drawn
            ys, xs = np.nonzero(image < 128)
            centre = back @ np.array([xs.mean(), ys.mean(), 1.0])
            assert abs(centre[0] - (x + 2.5)) < 1.0 and abs(centre[1] - (y + 2.5)) < 1.0


@pytest.mark.parametrize("turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_page_scanned_sideways_is_read_upright_and_its_fields_placed_on_it(read, turn):
    """No EXIF, no table: a scan fed in sideways. The fields are read as upright, and
    their regions are boxes on the page as uploaded (sideways), not as turned."""
    page = cv2.rotate(render(POLISH), turn)
    receipt = read(page)
    assert receipt.total == "9.47" and receipt.date == "2024-05-12"
    left, top, right, bottom = receipt.regions["total"].box
    assert 0 <= left < right <= page.shape[1] and 0 <= top < bottom <= page.shape[0]
    assert bottom - top > right - left  # a row of text, standing on its end
    # the total is printed below the items: on a page turned clockwise, left of them
    name = receipt.regions["merchant.name"].box
    if turn == cv2.ROTATE_90_CLOCKWISE:
        assert right <= name[0]
    else:
        assert left >= name[2]


@settings(max_examples=40, deadline=None)
@given(
    st.tuples(st.integers(1, 300), st.integers(1, 300)),
    st.sampled_from(["white", "black", "noise", "bars", "dots"]),
    st.integers(0, 2**16),
)
def test_no_page_makes_the_turn_raise(size, content, seed):
    """Tiny, blank, noisy or striped pages: an angle or None, and candidates of the page."""
    rng = np.random.default_rng(seed)
    if content == "noise":
        image = rng.integers(0, 256, size, dtype=np.uint8)
    else:
        image = np.full(size, 0 if content == "black" else 255, np.uint8)
        if content == "bars":
            image[1::4] = 0
        if content == "dots":
            image[::5, ::5] = 0
    rows = text_rows(image)
    assert rows is None or -90.0 <= rows.angle < 90.0
    for candidate, back in candidates(image):
        assert candidate.ndim == 2 and candidate.size > 0 and back.shape == (3, 3)


class _Band:
    """An OCR engine that reads every band as the same words (word, confidence)."""

    def __init__(self, words: list[tuple[str, float]]) -> None:
        self.words = [Word(text=t, conf=c, left=0, top=0, width=10, height=10) for t, c in words]

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        return OcrResult(words=self.words, width=image.shape[1], height=image.shape[0])


def test_a_band_of_confident_single_letters_scores_below_a_few_words():
    # a page on its side reads as confident single letters; a faint upright one as words
    sideways = _Band([(c, 85.0) for c in "IeM+5rJtZA"] * 4)
    faint = _Band([("TOTAL", 70.0), ("12.30", 80.0), ("CASH", 65.0), ("x", 90.0)])
    page = np.full((100, 80), 255, np.uint8)
    assert probe(page, sideways) == 0
    assert probe(page, faint) == 3


def test_the_pages_own_band_is_scored_from_its_whole_reading():
    """Only the words whose middle lies in the band `probe` reads (rows 350-650 of a page
    1000 px tall) count, and of those only confident ones of three letters or more."""

    def word(text: str, conf: float, top: int, height: int = 20) -> Word:
        return Word(text=text, conf=conf, left=0, top=top, width=60, height=height)

    reading = OcrResult(
        words=[
            word("SHOP", 90.0, 20),  # the header: above the band
            word("MILK", 90.0, 340),  # its middle (350) on the band's top row
            word("BREAD", 85.0, 500),
            word("4.99", 30.0, 520),  # unsure
            word("x", 95.0, 540),  # a single letter
            word("TOTAL", 90.0, 630, height=40),  # its middle (650) below the band
        ],
        width=400,
        height=1000,
    )
    assert band_words(reading) == 2
    assert band_words(OcrResult(words=[], width=400, height=1000)) == 0


def test_directions_along_the_rows_per_one_across():
    directions = np.array([0.0, 2.0, 178.0, 10.0, 91.0, 45.0, 120.0])
    assert along_rows(directions, 0.0) == 4.0  # 0, 2, 178, 10 along; 91 across
    assert along_rows(directions, 90.0) == 0.25  # 91 along; 0, 2, 178, 10 across
    assert along_rows(np.array([1.0, 179.0]), 0.0) == 2.0  # none across: the count


def test_a_clean_level_page_has_clear_rows_and_is_tried_upside_down_only():
    """Whole letters sit closer to the next letter of their row than to the rows above and
    below: no quarter turn is tried for such a page (a page on its side whose columns were
    taken for rows would not tell its rows so clearly)."""
    page = render(POLISH)
    rows = text_rows(page)
    assert rows is not None and abs(rows.angle) < 1.0 and rows.along >= CLEAR_ROWS
    found = candidates(page)
    assert len(found) == 1
    turned, _ = found[0]
    assert np.array_equal(turned, cv2.rotate(page, cv2.ROTATE_180))


def test_letters_broken_into_pieces_still_tell_their_rows():
    """Letters cut across their middle (faint print) put each half's nearest neighbour
    above or below it, across the rows; with the pieces joined the rows are clear again."""
    page = render(POLISH)
    broken = page.copy()
    ink_rows = np.nonzero((page < 128).any(axis=1))[0]
    broken[ink_rows[::6]] = 255  # two blank pixel rows every six rows of ink
    broken[ink_rows[1::6]] = 255
    rows = text_rows(broken)
    assert rows is not None and abs(rows.angle) < 1.0 and rows.along >= CLEAR_ROWS
    assert len(candidates(broken)) == 1


def dots(page: np.ndarray, x0: int, y0: int, x1: int, y1: int, dx: int, dy: int) -> None:
    """5 px squares on ``page`` from (x0, y0) to (x1, y1), ``dx`` and ``dy`` apart."""
    for y in range(y0, y1, dy):
        for x in range(x0, x1, dx):
            page[y : y + 5, x : x + 5] = 0


def test_rows_no_clearer_than_columns_are_tried_on_their_side_too():
    """Marks whose nearest neighbours lie along the rows in one part of the page and
    across them in another: the rows come out level but unclear, so both quarter turns are
    tried as well as upside down."""
    page = np.full((400, 400), 255, np.uint8)
    dots(page, 20, 20, 200, 380, 12, 16)  # 15 x 23: nearest neighbours side by side
    dots(page, 220, 20, 380, 380, 16, 12)  # 10 x 30: one above the other
    rows = text_rows(page)
    assert rows is not None and abs(rows.angle) < 1.0 and rows.along < CLEAR_ROWS
    assert len(candidates(page)) == 3


@pytest.mark.parametrize(
    ("angle", "code"),
    [
        (90.0, cv2.ROTATE_90_COUNTERCLOCKWISE),
        (180.0, cv2.ROTATE_180),
        (270.0, cv2.ROTATE_90_CLOCKWISE),
        (-90.0, cv2.ROTATE_90_CLOCKWISE),
    ],
)
def test_a_quarter_or_half_turn_moves_pixels_exactly_and_knows_the_way_back(angle, code):
    """(What lets the upright step probe its rendering turned instead of rendering the
    turned page.) Every pixel lands where the matrix says it came from."""
    image = np.random.default_rng(3).integers(0, 256, (37, 53), dtype=np.uint8)
    turn = Turn(angle)
    assert turn.exact
    turned, back = turn.apply(image)
    assert np.array_equal(turned, cv2.rotate(image, code))
    ys, xs = np.mgrid[0 : turned.shape[0], 0 : turned.shape[1]]
    source = back @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    sx, sy = np.rint(source[0]).astype(int), np.rint(source[1]).astype(int)
    assert np.array_equal(image[sy, sx], turned.ravel())


def test_a_turn_by_the_rows_angle_is_not_exact():
    assert not Turn(30.0).exact and not Turn(-89.75).exact
    turned, _ = Turn(30.0).apply(np.full((40, 60), 255, np.uint8))
    assert turned.shape != (40, 60)
