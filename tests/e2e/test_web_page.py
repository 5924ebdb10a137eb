"""The web page in a real browser: paste a key, upload receipts, watch them finish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browsing import job_card, screenshot
from conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SAMPLE = ROOT / "samples" / "uk_till_2024_003.png"


def test_upload_shows_progress_and_the_extracted_receipt(
    browser, live_api, ctx, tmp_path: Path
) -> None:
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "web-e2e")[1]
    truth = json.loads(SAMPLE.with_suffix(".json").read_text())["receipt"]
    not_a_receipt = tmp_path / "notes.txt"
    not_a_receipt.write_text("this is not a receipt\n")

    browser.goto(f"{live_api}/")
    assert browser.evaluate("document.title").startswith("receiptq")
    assert browser.evaluate("document.querySelector('label[for=api-key]').textContent")

    browser.type_into("#api-key", key)
    browser.evaluate("document.querySelector('#key-form button[type=submit]').click()")
    # Saved once an authenticated call accepted it.
    browser.wait_for("document.querySelector('#key-state').dataset.kind === 'ok'")
    stored = browser.evaluate("localStorage.getItem('receiptq.apiKey')")
    assert stored == key

    # Two files at once: one receipt, one file the API refuses.
    browser.set_files("#files", [SAMPLE, not_a_receipt])
    card = job_card(SAMPLE.name)
    bad = job_card(not_a_receipt.name)
    browser.wait_for(f"{card} && {card}.dataset.jobId", timeout=30)

    # The refused file shows the API's problem+json detail on its own card.
    shown_error = f"{bad} && !{bad}.querySelector('.job-error').hidden"
    error = browser.wait_for(f"{shown_error} && {bad}.querySelector('.job-error').textContent")
    assert "JPEG" in error or "type" in error.lower(), error
    assert browser.evaluate(f"{bad}.dataset.state") == "error"

    # Progress is fed by the event stream until the job completes.
    seen_progress = set()
    for _ in range(1200):
        state, value = browser.evaluate(
            f"[{card}.dataset.state, {card}.querySelector('progress').value]"
        )
        seen_progress.add(value)
        if state in {"completed", "failed", "cancelled", "error"}:
            break
        browser.evaluate("new Promise(r => setTimeout(r, 100))")
    assert state == "completed", (state, browser.evaluate(f"{card}.textContent"), browser.errors())
    assert browser.evaluate(f"{card}.querySelector('progress').value") == 100
    assert browser.evaluate(f"{card}.querySelector('.cancel').hidden") is True

    text = lambda sel: browser.evaluate(f"{card}.querySelector({json.dumps(sel)}).textContent")  # noqa: E731
    assert text(".r-total") == truth["total"] == "29.83"
    assert text(".r-currency") == truth["currency"]
    assert text(".r-date").startswith(truth["date"])
    assert truth["merchant"]["name"] in text(".r-merchant")
    rows = browser.evaluate(
        f"[...{card}.querySelectorAll('tbody tr')]"
        ".map(tr => [...tr.cells].map(td => td.textContent))"
    )
    assert len(rows) == len(truth["items"]), rows
    shown = {(row[0], row[4]) for row in rows}
    expected = {(i["description"], i["category"].replace("_", " ")) for i in truth["items"]}
    # The page shows what the pipeline extracted: most lines are read exactly.
    assert len(shown & expected) >= len(expected) // 2, (shown, expected)
    assert ("Tea Bags 80s", "drinks") in shown

    screenshot(browser, tmp_path, "web_page_completed.png")
    assert browser.errors() == []


def test_cancel_button_cancels_a_running_job(browser, live_api, ctx, tmp_path: Path) -> None:
    from factories import long_receipt_jpeg

    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "web-e2e-cancel")[1]
    long_receipt = tmp_path / "long.jpg"
    long_receipt.write_bytes(long_receipt_jpeg())
    browser.goto(f"{live_api}/")
    browser.evaluate(f"localStorage.setItem('receiptq.apiKey', {json.dumps(key)})")
    browser.goto(f"{live_api}/")  # the key is read back from localStorage
    assert browser.evaluate("document.querySelector('#api-key').value") == key

    browser.set_files("#files", [long_receipt])
    card = job_card(long_receipt.name)
    browser.wait_for(f"{card} && {card}.dataset.state === 'processing'", timeout=60)
    assert browser.evaluate(f"{card}.querySelector('.cancel').hidden") is False
    screenshot(browser, tmp_path, "web_page_processing.png")
    browser.evaluate(f"{card}.querySelector('.cancel').click()")
    browser.wait_for(f"{card}.dataset.state === 'cancelled'", timeout=120)
    assert browser.evaluate(f"{card}.querySelector('.job-result').hidden") is True
    assert browser.errors() == []
