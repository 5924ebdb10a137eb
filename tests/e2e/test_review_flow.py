"""A person's day with the web page, in a real browser: a wrong key is refused when saved;
upload a receipt, find it in the list, open it beside its page with the fields' boxes,
fix the total, reload and still see the fix, and export the month."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from browsing import job_card, screenshot
from conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SAMPLE = ROOT / "samples" / "uk_till_2024_003.png"


def _save_key(browser, key: str) -> str:
    browser.evaluate("document.querySelector('#api-key').value = ''")
    browser.type_into("#api-key", key)
    browser.evaluate("document.querySelector('#key-form button[type=submit]').click()")
    return browser.wait_for(
        "['ok', 'error'].includes(document.querySelector('#key-state').dataset.kind)"
        " && document.querySelector('#key-state').dataset.kind"
    )


def _stored_regions(ctx, job_id: str) -> dict:
    """The field regions the pipeline stored with the receipt."""
    with ctx.pool.connection() as conn:
        row = conn.execute(
            "SELECT data->'regions' AS regions, jsonb_path_query_array(data, '$.items[*].region')"
            " AS items FROM receipts WHERE job_id = %s",
            (job_id,),
        ).fetchone()
    return {**row["regions"], **{f"items[{i}]": r for i, r in enumerate(row["items"]) if r}}


def _downloads(browser, folder: Path) -> None:
    session, browser.session = browser.session, None  # a browser-level command
    try:
        browser.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
    finally:
        browser.session = session


def _wait_file(folder: Path, pattern: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing like {pattern} was downloaded to {folder}")


def test_find_open_correct_reload_and_export(browser, live_api, ctx, tmp_path: Path) -> None:
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "web-review")[1]
    truth = json.loads(SAMPLE.with_suffix(".json").read_text())["receipt"]
    browser.goto(f"{live_api}/")

    assert _save_key(browser, "rq_not-a-real-key") == "error"
    assert browser.evaluate("localStorage.getItem('receiptq.apiKey')") is None
    assert "not valid" in browser.evaluate("document.querySelector('#key-state').textContent")
    assert _save_key(browser, key) == "ok"

    browser.set_files("#files", [SAMPLE])
    card = job_card(SAMPLE.name)
    shown = f"{card} && {card}.dataset.state + ': ' + {card}.textContent"
    browser.wait_for(f"{card} && {card}.dataset.state === 'completed'", timeout=180, describe=shown)
    assert (
        browser.evaluate(f"{card}.querySelector('.r-merchant').textContent")
        == truth["merchant"]["name"]
    )
    assert browser.evaluate(f"{card}.querySelector('.r-address').textContent")
    job_id = browser.evaluate(f"{card}.dataset.jobId")
    regions = _stored_regions(ctx, job_id)  # as the pipeline found them on the page
    assert {"merchant.name", "date", "total", "items[0]"} <= set(regions)

    # Found in the list (refreshed when the job finished), then opened.
    row = f"document.querySelector('#history-rows tr[data-job-id=\"{job_id}\"]')"
    browser.wait_for(f"!!{row}")
    assert browser.evaluate(f"{row}.querySelector('.h-total').textContent").startswith("29.83")
    browser.evaluate(f"{row}.querySelector('button.open').click()")
    image = "document.querySelector('#review-pages img')"
    browser.wait_for(f"{image} && {image}.complete && {image}.naturalWidth > 0")
    assert browser.evaluate("document.querySelector('#review').hidden") is False
    value = lambda sel: browser.evaluate(f"document.querySelector({json.dumps(sel)}).value")  # noqa: E731
    assert value("#field-total") == "29.83"
    assert value("#field-merchant-name") == truth["merchant"]["name"]
    assert value("#field-merchant-address")  # shown apart from the name

    # The boxes: one per region, placed in the page's proportions (drawn once the image is
    # decoded, a moment after it is complete).
    browser.wait_for(
        f"document.querySelectorAll('#review-pages .box').length >= {len(regions)}",
        describe="document.querySelectorAll('#review-pages .box').length",
    )
    boxes = browser.evaluate(
        "[...document.querySelectorAll('#review-pages .box')].map(b => b.dataset.field)"
    )
    assert sorted(boxes) == sorted(regions)
    width = browser.evaluate(f"{image}.naturalWidth")
    left = browser.evaluate("document.querySelector('.box[data-field=total]').style.left")
    assert abs(float(left.rstrip("%")) - 100 * regions["total"]["box"][0] / width) < 0.01
    confidence = browser.evaluate(
        "document.querySelector('#field-total').parentElement.querySelector('.confidence')"
        ".textContent"
    )
    assert confidence.endswith("%") or confidence == "—"
    browser.evaluate("document.querySelector('#field-total').focus()")
    assert browser.evaluate("document.querySelector('.box[data-field=total]').classList"
                            ".contains('active')")  # fmt: skip
    screenshot(browser, tmp_path, "review_opened.png")

    # Fix the total and the first item's category.
    browser.evaluate("document.querySelector('#field-total').value = ''")
    browser.type_into("#field-total", "30.00")
    browser.evaluate(
        "const s = document.querySelector('select[name=\"items.0.category\"]');"
        " s.value = 'household'; s.dispatchEvent(new Event('change'))"
    )
    browser.evaluate("document.querySelector('#review-save').click()")
    browser.wait_for("document.querySelector('#review-state').dataset.kind === 'ok'")
    revisions = browser.evaluate("document.querySelector('#review-revisions').textContent")
    assert revisions.count("→") == 2, revisions

    # Reload: the key comes back from this browser, the list and the fix from the API.
    browser.goto(f"{live_api}/")
    browser.wait_for(f"!!{row}")
    assert browser.evaluate(f"{row}.querySelector('.h-total').textContent").startswith("30.00")
    browser.evaluate(f"{row}.querySelector('button.open').click()")
    browser.wait_for("document.querySelector('#field-total') && "
                     "document.querySelector('#field-total').value === '30.00'")  # fmt: skip
    assert value('select[name="items.0.category"]') == "household"
    assert (
        browser.evaluate(
            "document.querySelector('#field-total').parentElement.querySelector('.confidence')"
            ".textContent"
        )
        == "corrected"
    )
    screenshot(browser, tmp_path, "review_corrected.png")

    # Export the receipt's month.
    month = truth["date"][:7]
    browser.evaluate(
        f"const m = document.querySelector('#f-month'); m.value = {json.dumps(month)};"
        " m.dispatchEvent(new Event('change'));"
        " document.querySelector('#filter-form button[type=submit]').click()"
    )
    browser.wait_for(f"document.querySelector('#f-from').value === '{month}-01' && !!{row}")
    folder = tmp_path / "downloads"
    folder.mkdir()
    _downloads(browser, folder)
    button = "document.querySelector('#exports button[data-path$=\"export.csv\"]')"
    browser.wait_for(f"!!{button}")
    browser.evaluate(f"{button}.click()")
    exported = _wait_file(folder, "receipts*.csv")
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert [(r["job_id"], r["total"]) for r in rows] == [(job_id, "30.00")]

    # ...and its items, a row each, for a spreadsheet.
    items = "document.querySelector('#exports button[data-rows=\"items\"]')"
    browser.evaluate(f"{items}.click()")
    exported = _wait_file(folder, "receipt-items*.csv")
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert {r["job_id"] for r in rows} == {job_id} and len(rows) == len(truth["items"])
    assert rows[0]["category"] == "household"  # the correction, as exported
    screenshot(browser, tmp_path, "review_exported.png")
    assert browser.errors() == []


def test_a_failed_receipt_can_be_retried_from_its_card(browser, live_api, ctx, tmp_path) -> None:
    from receiptq.store.keys import create_key

    key = create_key(ctx.pool, "web-retry")[1]
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (600, 800), 255).save(blank)
    browser.goto(f"{live_api}/")
    assert _save_key(browser, key) == "ok"
    browser.set_files("#files", [blank])
    card = job_card(blank.name)
    browser.wait_for(f"{card} && {card}.dataset.state === 'failed'", timeout=120)
    first = browser.evaluate(f"{card}.dataset.jobId")
    assert browser.evaluate(f"{card}.querySelector('.retry').hidden") is False
    screenshot(browser, tmp_path, "review_failed_card.png")
    browser.evaluate(f"{card}.querySelector('.retry').click()")
    browser.wait_for(f"{card}.dataset.jobId !== {json.dumps(first)}")
    browser.wait_for(f"{card}.dataset.state === 'failed'", timeout=120)  # a blank page again
    assert browser.errors() == []
