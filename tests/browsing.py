"""Helpers for the browser tests (tests/e2e): finding a job's card, keeping screenshots."""

from __future__ import annotations

import json
import os
from pathlib import Path


def job_card(name: str) -> str:
    """A JS expression: the list item of the job for file `name`."""
    return (
        "[...document.querySelectorAll('#jobs .job')]"
        f".find(li => li.querySelector('.job-name').textContent === {json.dumps(name)})"
    )


def screenshot(browser, tmp_path: Path, name: str) -> Path:
    """Kept in the test's temp dir, or in RECEIPTQ_E2E_SCREENSHOTS to look at."""
    folder = Path(os.environ.get("RECEIPTQ_E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return browser.screenshot(folder / name)
