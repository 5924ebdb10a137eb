"""`receiptq extract`: read files in-process, one row per file, whatever befalls one.

A file the pipeline refuses (a `ReceiptqError`: unreadable, too large, too poor to read)
gets its row with the user's sentence; any other exception is a bug, and its row names
the exception's class and message (no traceback) so that the batch goes on to the next
file. The exit status is 1 when any file failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from receiptq.errors import ReceiptqError
from receiptq.receipt import Receipt

Row = dict[str, Any]
EXIT_OK, EXIT_FAILED = 0, 1


def extract_row(path: Path, extract: Callable[[bytes], Receipt]) -> Row:
    """The row for ``path``: its receipt as JSON under ``result`` (the key the API uses),
    or ``result`` None and the ``error`` (with ``exception``, the class, when the error
    was none of the pipeline's own)."""
    row: Row = {"file": str(path)}
    try:
        row["result"] = extract(path.read_bytes()).model_dump(mode="json")
    except ReceiptqError as exc:
        row.update(result=None, error=exc.message)
    except Exception as exc:  # a bug or an unreadable path: this file's row says which
        row.update(result=None, error=f"{type(exc).__name__}: {exc}",
                   exception=type(exc).__name__)  # fmt: skip
    return row


def extract_files(
    paths: Iterable[Path],
    extract: Callable[[bytes], Receipt],
    write: Callable[[Row], None],
) -> int:
    """Write every path's row (`extract_row`) in order; the exit status, `EXIT_FAILED`
    when any row holds an error."""
    failed = False
    for path in paths:
        row = extract_row(path, extract)
        failed = failed or "error" in row
        write(row)
    return EXIT_FAILED if failed else EXIT_OK
