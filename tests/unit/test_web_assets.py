"""The web page's scripts agree with the Python side on what they hard-code."""

from __future__ import annotations

import re
from pathlib import Path

from receiptq.receipt import CATEGORIES

WEB = Path(__file__).resolve().parents[2] / "receiptq" / "web"


def test_the_review_page_offers_exactly_the_categories():
    script = (WEB / "review.js").read_text()
    block = re.search(r"const CATEGORIES = \[(.*?)\];", script, re.S)
    assert block is not None
    assert tuple(re.findall(r'"([a-z_]+)"', block[1])) == CATEGORIES


def test_every_script_the_page_loads_is_shipped():
    html = (WEB / "index.html").read_text()
    scripts = re.findall(r'<script src="/web/([^"]+)"', html)
    assert "review.js" in scripts
    assert all((WEB / name).is_file() for name in scripts)
