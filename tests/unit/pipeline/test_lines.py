"""Rebuilding printed rows from OCR word boxes."""

from __future__ import annotations

from receiptq.pipeline.analysis.lines import build_lines, lines_from_text, split_segments
from receiptq.pipeline.ocr import OcrResult, Word


def word(text: str, left: int, top: int, width: int = 60, height: int = 20, block: int = 1):
    return Word(text=text, conf=90.0, left=left, top=top, width=width, height=height, block=block)


def test_label_and_amount_in_different_blocks_form_one_row():
    # Tesseract put "9.00" in its own block, slightly lower: one printed row all the same.
    ocr = OcrResult(
        words=[
            word("Total", 10, 100, block=3),
            word(":", 75, 101, width=8, block=3),
            word("9.00", 400, 104, block=7),
            word("Cash", 10, 140, block=3),
            word("10.00", 400, 141, block=7),
        ],
        width=500,
        height=300,
    )
    lines = build_lines(ocr)
    assert [ln.text for ln in lines] == ["Total : 9.00", "Cash 10.00"]
    assert lines[0].segment_texts() == ["Total :", "9.00"]
    assert lines[1].index == 1
    assert 0.3 < lines[0].rel_y < 0.4


def test_skewed_rows_do_not_merge():
    ocr = OcrResult(
        words=[
            word("SUMA", 10, 100),
            word("PLN", 80, 102),
            word("45,60", 400, 108),
            word("Gotówka", 10, 132),
            word("50,00", 400, 140),
        ],
        width=500,
        height=300,
    )
    assert [ln.text for ln in build_lines(ocr)] == ["SUMA PLN 45,60", "Gotówka 50,00"]


def test_split_segments_on_wide_gaps_only():
    words = [word("Chleb", 0, 0), word("razowy", 70, 0), word("3,49", 400, 0)]
    assert [[w.text for w in seg] for seg in split_segments(words)] == [
        ["Chleb", "razowy"],
        ["3,49"],
    ]


def test_lines_from_text_keeps_columns():
    lines = lines_from_text("KOPI O      2.40\nROTI BAKAR  3.00\n")
    assert [ln.text for ln in lines] == ["KOPI O 2.40", "ROTI BAKAR 3.00"]
    assert lines[0].segment_texts() == ["KOPI O", "2.40"]


def test_an_amount_cut_into_two_overlapping_boxes_is_one_word_again():
    words = [
        Word("Total", 90, 10, 100, 80, 30, block=8, par=1, line=1),
        Word("R367.", 0, 666, 100, 155, 30, block=8, par=1, line=1),
        Word("10", 0, 786, 96, 36, 46, block=8, par=1, line=1),
        Word("RH367", 30, 668, 200, 153, 30, block=9, par=1, line=1),
        Word(".10", 96, 768, 196, 56, 46, block=9, par=1, line=1),
    ]
    lines = build_lines(OcrResult(words=words, width=900, height=400))
    assert [ln.text for ln in lines] == ["Total R367.10", "RH367.10"]
    # words of different lines, or that do not overlap, stay apart
    apart = [
        Word("12.", 90, 10, 100, 40, 30, block=1, par=1, line=1),
        Word("50", 90, 60, 100, 30, 30, block=1, par=1, line=1),
    ]
    lines = build_lines(OcrResult(words=apart, width=400, height=400))
    assert [w.text for w in lines[0].words] == ["12.", "50"]


def test_a_box_stretched_over_two_rows_does_not_split_the_row_below():
    # Tesseract's box for the registration row reaches down into the address row (96 px
    # among 40 px words, overlapping "1-UTAMA"): the address row stays one row.
    words = [
        word("DIGI", 208, 68, width=95, height=40),
        word("(201285-4)", 464, 111, width=239, height=96),
        word("LOT", 160, 167, width=69, height=40),
        word("315,", 334, 167, width=71, height=40),
        word("1-UTAMA", 485, 167, width=145, height=41),
        word("SHOPPING", 661, 167, width=194, height=41),
        word("LEBUH", 187, 217, width=120, height=40),
    ]
    lines = build_lines(OcrResult(words=words, width=1100, height=900))
    assert [ln.text for ln in lines] == [
        "DIGI",
        "(201285-4)",
        "LOT 315, 1-UTAMA SHOPPING",
        "LEBUH",
    ]


def test_a_tall_word_with_room_in_its_row_joins_it():
    # a word stretched over specks below it, colliding with nothing, stays in its row
    words = [
        word("GARDENIA", 10, 100, width=120, height=30),
        word("BAKE", 150, 100, width=70, height=74),
        word("RIES", 230, 100, width=70, height=30),
        word("LOT", 10, 150, width=50, height=30),
        word("3,", 70, 150, width=30, height=30),
    ]
    lines = build_lines(OcrResult(words=words, width=400, height=400))
    assert [ln.text for ln in lines] == ["GARDENIA BAKE RIES", "LOT 3,"]
