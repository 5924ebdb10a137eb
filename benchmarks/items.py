"""Line items and their categories, end to end, on synthetic receipts with full ground truth.

    .venv/bin/python benchmarks/synthetic_set.py /tmp/syn --lang pl --seed 103
    .venv/bin/python benchmarks/extraction.py /tmp/syn --jsonl /tmp/syn.jsonl
    .venv/bin/python benchmarks/items.py /tmp/syn /tmp/syn.jsonl

The set's ``img/*.json`` hold each receipt's whole ground truth (`receiptq.samples`), its
items with description, quantity, unit price, total price and category among them; the
predictions are `benchmarks/extraction.py --jsonl` output (what `receiptq extract --jsonl`
writes). Per receipt, each true item is matched to a predicted one with the same total
price and the most alike description (letters and digits compared, difflib ratio at
least `MATCH`). Reported:

- items found (recall), predicted items that match one (precision), F1;
- of the found items: description exactly right (letters and digits), quantity, unit
  price (an item printed without a quantity is one of it, at its total price);
- receipts whose items are all found and nothing else is predicted;
- categories: the categorizer (`receiptq.pipeline.categorize`) on the descriptions as
  read, against the true category of each found item; and on the true descriptions, which
  is the categorizer alone (the generator's product lists are not in its catalog, see
  docs/categorization.md).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from receiptq.pipeline.categorize import Categorizer  # noqa: E402

#: Descriptions less alike than this (difflib ratio of letters and digits) are no match.
MATCH = 0.6


def _letters(text: str | None) -> str:
    return re.sub(r"[\W_]", "", (text or "").upper())


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def _quantity(item: dict) -> Decimal | None:
    """The item's quantity; one where none is printed (a till prints none for one)."""
    q = _number(item.get("quantity"))
    return Decimal(1) if q is None else q


def _unit_price(item: dict) -> Decimal | None:
    """The unit price; for one of an item printed without it, its total price."""
    unit = _number(item.get("unit_price"))
    if unit is None and _quantity(item) == 1:
        return _number(item.get("total_price"))
    return unit


def match_items(truth: list[dict], predicted: list[dict]) -> list[tuple[dict, dict]]:
    """Pairs of (true item, predicted item): same total price, most alike description."""
    free = list(predicted)
    pairs = []
    for item in truth:
        price = _number(item.get("total_price"))
        best, best_ratio = None, MATCH
        for cand in free:
            if _number(cand.get("total_price")) != price:
                continue
            ratio = difflib.SequenceMatcher(
                None, _letters(item["description"]), _letters(cand.get("description"))
            ).ratio()
            if ratio >= best_ratio:
                best, best_ratio = cand, ratio
        if best is not None:
            free.remove(best)
            pairs.append((item, best))
    return pairs


def _load_predictions(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[Path(row["file"]).stem] = row.get("receipt") or {}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="a set written by synthetic_set.py")
    parser.add_argument("predictions", type=Path, help="benchmarks/extraction.py --jsonl output")
    args = parser.parse_args(argv)

    predictions = _load_predictions(args.predictions)
    categorizer = Categorizer.default()
    n_true = n_pred = n_found = 0
    exact = Counter()
    whole = receipts = 0
    read_right = true_right = 0
    by_language: dict[str, Counter] = {}
    for truth_file in sorted((args.dataset / "img").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))["receipt"]
        if truth_file.stem not in predictions:
            continue
        receipts += 1
        items = truth.get("items") or []
        predicted = predictions[truth_file.stem].get("items") or []
        pairs = match_items(items, predicted)
        n_true, n_pred, n_found = n_true + len(items), n_pred + len(predicted), n_found + len(pairs)
        whole += len(pairs) == len(items) == len(predicted)
        for item, got in pairs:
            exact["description"] += _letters(item["description"]) == _letters(got["description"])
            exact["quantity"] += _quantity(item) == _quantity(got)
            exact["unit_price"] += _unit_price(item) == _unit_price(got)
        if pairs:
            as_read = categorizer.categorize([got["description"] for _, got in pairs])
            as_true = categorizer.categorize([item["description"] for item, _ in pairs])
            lang = by_language.setdefault(truth.get("language") or "?", Counter())
            for (item, _), (read_cat, _), (true_cat, _) in zip(
                pairs, as_read, as_true, strict=True
            ):
                read_right += read_cat == item["category"]
                true_right += true_cat == item["category"]
                lang["items"] += 1
                lang["right"] += read_cat == item["category"]

    def share(k: int, n: int) -> str:
        return f"{k}/{n} {k / n:.3f}" if n else f"{k}/0"

    recall = n_found / n_true if n_true else 0.0
    precision = n_found / n_pred if n_pred else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    print(f"receipts: {receipts}  true items: {n_true}  predicted items: {n_pred}")
    print(f"items found (recall)        {share(n_found, n_true)}")
    print(f"predicted that match (prec) {share(n_found, n_pred)}   F1 {f1:.3f}")
    for name in ("description", "quantity", "unit_price"):
        print(f"  of the found, {name:<12} {share(exact[name], n_found)}")
    print(f"receipts with every item and no other  {share(whole, receipts)}")
    print(f"category of the found items, as read   {share(read_right, n_found)}")
    for lang, c in sorted(by_language.items()):
        print(f"  {lang}: {share(c['right'], c['items'])}")
    print(f"category from the true descriptions    {share(true_right, n_found)}")
    print(f"reproduce: python benchmarks/items.py {args.dataset} {args.predictions}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
