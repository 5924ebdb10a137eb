"""Ground truth JSON: readable by the team's scorer, in the project's receipt shape."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import re
from pathlib import Path

import pytest

from receiptq.samples import generate_receipt, write_samples
from receiptq.samples.generate import LAYOUTS

SCORER = Path("/work/shared/tools/score_receipts.py")
RECEIPT_KEYS = {
    "merchant",
    "date",
    "time",
    "currency",
    "total",
    "subtotal",
    "tax",
    "items",
    "payment_method",
    "language",
}


def _load_scorer():
    if not SCORER.is_file():
        pytest.skip("team scorer not available")
    spec = importlib.util.spec_from_file_location("score_receipts", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_keys_and_formats(layout: str) -> None:
    lang = "pl" if layout.startswith("pl") else "en"
    _, truth = generate_receipt(random.Random(3), lang, layout=layout, noise=0)
    for key in ("company", "address", "date", "total"):
        assert truth[key], key
    assert dt.date.fromisoformat(truth["date"]).isoformat() == truth["date"]
    assert re.fullmatch(r"\d+\.\d{2}", truth["total"])
    receipt = truth["receipt"]
    assert set(receipt) == RECEIPT_KEYS
    assert set(receipt["merchant"]) == {"name", "address", "tax_id", "phone"}
    assert receipt["merchant"]["name"] == truth["company"]
    assert receipt["language"] == lang
    assert truth["meta"]["synthetic"] is True and truth["meta"]["layout"] == layout
    json.dumps(truth)  # serialisable as is


def test_scorer_reads_ground_truth_as_perfect(tmp_path: Path, capsys) -> None:
    """Feeding the ground truth back as predictions must score 1.000 with the team scorer."""
    scorer = _load_scorer()
    paths = write_samples(tmp_path, count=4, lang="mixed", seed=11, noise=0)
    rows = []
    for image in paths:
        truth = json.loads(image.with_suffix(".json").read_text(encoding="utf-8"))
        assert scorer.key_date(truth["date"]) == dt.date.fromisoformat(truth["date"])
        rows.append(json.dumps({"file": str(image), "receipt": truth["receipt"]}))
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("\n".join(rows), encoding="utf-8")
    assert scorer.score(predictions, tmp_path, details=True) == 1.0
    capsys.readouterr()


def test_polish_receipts_keep_diacritics() -> None:
    texts = []
    for seed in range(20):
        _, truth = generate_receipt(random.Random(seed), "pl", layout="pl_fiscal", noise=0)
        texts += [i["description"] for i in truth["receipt"]["items"]]
    assert any(ch in "".join(texts) for ch in "ąćęłńóśźż")
