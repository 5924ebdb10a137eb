"""`receiptq extract`'s loop over files: one row per file, whatever fails on one."""

from __future__ import annotations

import json

from factories import make_files

from receiptq.errors import PoorQuality
from receiptq.extract_files import EXIT_FAILED, EXIT_OK, extract_files
from receiptq.receipt import Receipt


def fake_extract(data: bytes) -> Receipt:
    """Stands in for the pipeline: the file's bytes say what happens to it."""
    if data == b"blurry":
        raise PoorQuality("The image is too blurry or too dark to read reliably.")
    if data == b"bug":
        return 1 / 0  # a bug in a stage
    return Receipt(total=data.decode())


def test_an_unexpected_error_is_reported_on_its_row_and_the_batch_goes_on(tmp_path):
    paths = make_files(tmp_path, b"1.00", b"bug", b"blurry", b"2.50")
    rows: list[dict] = []
    code = extract_files(paths, fake_extract, rows.append)
    assert code == EXIT_FAILED
    assert [row["file"] for row in rows] == [str(p) for p in paths]
    totals = [row["result"] and row["result"]["total"] for row in rows]
    assert totals == ["1.00", None, None, "2.50"]
    bug, blurry = rows[1], rows[2]
    assert bug["error"] == "ZeroDivisionError: division by zero"
    assert bug["exception"] == "ZeroDivisionError"
    assert "Traceback" not in json.dumps(rows)
    assert blurry["error"] == "The image is too blurry or too dark to read reliably."
    assert "exception" not in blurry  # the pipeline's own refusal reads as before
    assert "error" not in rows[0] and "error" not in rows[3]


def test_an_unreadable_path_gets_its_row_too(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    rows: list[dict] = []
    assert extract_files([folder, *make_files(tmp_path, b"3.10")], fake_extract, rows.append) == 1
    assert rows[0]["exception"] == "IsADirectoryError" and rows[0]["result"] is None
    assert rows[1]["result"]["total"] == "3.10"


def test_the_exit_status_is_zero_when_every_file_was_read(tmp_path):
    rows: list[dict] = []
    assert (
        extract_files(make_files(tmp_path, b"1.00", b"2.00"), fake_extract, rows.append) == EXIT_OK
    )
    assert len(rows) == 2
