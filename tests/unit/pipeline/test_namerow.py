"""A Polish receipt's name row read again by the Polish model and merged word by word."""

from __future__ import annotations

import numpy as np

from receiptq.pipeline.analysis.layout import page_layout
from receiptq.pipeline.analysis.lines import build_lines
from receiptq.pipeline.namerow import marks_added, merge_row, name_row, reread_name_row
from receiptq.pipeline.ocr import OcrResult, Word


def w(text: str, left: int, conf: float = 95.0, width: int | None = None) -> Word:
    """A word on one row, 20 px a letter, 40 px high."""
    return Word(text, conf, left, 100, width or 20 * len(text), 40)


def texts(words: list[Word]) -> str:
    return " ".join(x.text for x in words)


def test_marks_the_english_model_cannot_read_are_put_on():
    assert marks_added("Ktos", "Kłos")  # ł read as t
    assert marks_added("Zrodlana", "Źródlana")
    assert marks_added("DLUGA", "DŁUGA")
    assert not marks_added("Kłos", "Kłos")  # nothing added
    assert not marks_added("Ktos", "Kros")  # another letter, not a mark
    assert not marks_added("Kłos", "Ktos")  # a mark taken away
    assert not marks_added("Klos", "Kłosy")  # another length
    assert not marks_added("Star", "SŁar")  # a mark never makes a letter a capital


def test_a_word_with_marks_is_taken_only_where_the_second_reading_is_sure():
    first = [w("Wiejski", 300), w("Ktos", 460, conf=91), w("S.A.", 560)]
    sure = [w("Wiejski", 300), w("Kłos", 460, conf=91), w("S.A.", 560)]
    assert texts(merge_row(first, sure)) == "Wiejski Kłos S.A."
    unsure = [w("Wiejski", 300), w("Kłos", 460, conf=60), w("S.A.", 560)]
    assert texts(merge_row(first, unsure)) == "Wiejski Ktos S.A."


def test_a_guessed_word_and_the_rows_unread_end_come_from_the_second_reading():
    # "Sp. z o.o. O" with the O at 19 %: the second reading has "Sp. k." there
    first = [w("Dobry", 270), w("Kłos", 400), w("Sp.", 520), w("z", 600), w("o.o.", 640),
             w("O", 740, conf=19, width=60)]  # fmt: skip
    second = [w(":", 60, conf=28), w("Dobry", 270), w("Kłos", 400), w("Sp.", 520),
              w("z", 600, conf=82), w("0.0.", 640, conf=84), w("Sp.", 742, conf=93),
              w("k.", 830, conf=92), w("|", 1100, conf=71)]  # fmt: skip
    assert texts(merge_row(first, second)) == "Dobry Kłos Sp. z o.o. Sp. k."


def test_what_the_second_reading_adds_at_the_ends_must_be_sure_and_near():
    first = [w("Dobry", 270), w("Kłos", 400)]
    far = [w("Dobry", 270), w("Kłos", 400), w("Sp.", 700)]  # 220 px on: another column
    assert texts(merge_row(first, far)) == "Dobry Kłos"
    unsure = [w("Dobry", 270), w("Kłos", 400), w("Sp.", 500, conf=60)]
    assert texts(merge_row(first, unsure)) == "Dobry Kłos"
    near = [w("PPHU", 150), w("Dobry", 270), w("Kłos", 400), w("Sp.", 500)]
    assert texts(merge_row(first, near)) == "PPHU Dobry Kłos Sp."
    # a confident word is not replaced, whatever the second reading says
    assert texts(merge_row(first, [w("Dobre", 270), w("Kłos", 400)])) == "Dobry Kłos"


def test_no_word_is_taken_where_the_first_reading_read_one_surely():
    # "4- 306": the second reading's "41-306" takes the place of the guessed "4-" and of
    # the sure "306" both: it is not taken
    first = [w("4-", 248, conf=35, width=50), w("306", 304, conf=86, width=54)]
    second = [w("41-306", 248, conf=97, width=110)]
    assert texts(merge_row(first, second)) == "4- 306"
    # "HIPERMARKET" + "AUCHAN": the page read AUCHAN already, in a tall box on a row of
    # its own, so the second reading's AUCHAN is not added to the name row
    row = [w("HIPERMARKET", 757, width=137)]
    again = [w("HIPERMARKET", 757, width=137), w("AUCHAN", 906, width=77)]
    tall = Word("AUCHAN", 56, 906, 80, 77, 60)
    assert texts(merge_row(row, again)) == "HIPERMARKET AUCHAN"
    assert texts(merge_row(row, again, [tall])) == "HIPERMARKET"
    below = Word("AUCHAN", 90, 906, 200, 77, 40)  # the same columns on the next row
    assert texts(merge_row(row, again, [below])) == "HIPERMARKET AUCHAN"


def test_the_name_row_is_the_one_with_a_legal_form():
    reading = OcrResult(
        words=[w("Sklep", 300), w("nr", 420), w("5", 480),
               Word("Dobry", 95, 300, 160, 100, 40), Word("Kłos", 95, 420, 160, 80, 40),
               Word("S.A.", 95, 520, 160, 80, 40), Word("ul.", 95, 300, 220, 60, 40),
               Word("Długa", 95, 380, 220, 100, 40), Word("5", 95, 500, 220, 20, 40)],
        width=1000, height=1000,
    )  # fmt: skip
    layout = page_layout(build_lines(reading), restore=False)
    row = name_row(layout)
    assert row is not None and row.text == "Dobry Kłos S.A."


class PolishModel:
    """Reads any crop as ``words`` (left edges in the page, tops in the crop)."""

    def __init__(self, words: list[Word]) -> None:
        self.words = words
        self.calls: list[int] = []

    def read(self, image: np.ndarray, psm: int = 4) -> OcrResult:
        self.calls.append(psm)
        return OcrResult(words=self.words, width=image.shape[1], height=image.shape[0])


def test_the_reading_gets_the_merged_row_in_its_place():
    first = [w("Wiejski", 300), w("Ktos", 460, conf=91), w("S.A.", 560),
             Word("ul.", 95, 300, 200, 60, 40), Word("Długa", 95, 380, 200, 100, 40),
             Word("5", 95, 500, 200, 20, 40)]  # fmt: skip
    reading = OcrResult(words=first, width=1000, height=1000)
    layout = page_layout(build_lines(reading), restore=False)
    page = np.full((1000, 1000), 255, np.uint8)
    again = PolishModel([Word("Kłos", 92, 460, 10, 80, 40)])
    out = reread_name_row(page, reading, layout, again)
    assert again.calls == [7]  # read as one line
    assert [x.text for x in out.words] == ["Wiejski", "Kłos", "S.A.", "ul.", "Długa", "5"]
    assert out.words[1].top == 100  # back in the page's coordinates
    # a second reading that adds nothing leaves the reading as it was
    assert reread_name_row(page, reading, layout, PolishModel([])) is reading


def test_marks_that_make_a_known_word_unknown_are_a_misreading():
    known = {"polska", "ktos", "kłos", "wiejski", "rynek"}
    first = [w("Wiejski", 100), w("Rynek", 260), w("Polska", 380)]
    second = [w("Wiejski", 100), w("Rynek", 260), w("Pólska", 380, conf=90)]
    assert texts(merge_row(first, second, known=known)) == "Wiejski Rynek Polska"
    # both spellings words: the marks the Polish model sees stand
    ktos = [w("Wiejski", 100), w("Ktos", 260, conf=91)]
    klos = [w("Wiejski", 100), w("Kłos", 260, conf=91)]
    assert texts(merge_row(ktos, klos, known=known)) == "Wiejski Kłos"
