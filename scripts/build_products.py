"""Build receiptq/data/products.csv, the labelled catalog the categorizer ships with, from
receiptq/data/product_catalog.json.

Why generated: a hand-typed list of 1,500 receipt lines would be slow to write and hard to
review. Instead the JSON lists, per category and language, product *heads* with the
*modifiers* that fit them (a modifier starting with "^" goes before the head, otherwise
after it: "SEMI SKIMMED" + "MILK", "MLEKO" + "UHT"; "" is the bare head), and the sizes
printed after them; this script combines them and renders each combination the way tills
print it: mostly uppercase, sometimes without Polish diacritics, sometimes with long words
cut to a few letters and a dot, usually with a size or count on the end ("MLEKO UHT 3,2% 1L").
The output is deterministic (fixed seed), so re-running it reproduces the committed CSV byte
for byte; the CSV is the shipped artifact, this script is how to regenerate or extend it.

    .venv/bin/python scripts/build_products.py            # rewrites receiptq/data/products.csv
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "receiptq" / "data"
SOURCE = DATA / "product_catalog.json"
OUT = DATA / "products.csv"
SEED = 20261123
PER_CELL = 110  # target rows per (category, language); every distinct product appears once

PL_FOLD = str.maketrans("ĄĆĘŁŃÓŚŹŻąćęłńóśźż", "ACELNOSZZacelnoszz")


def compose(head: str, mod: str) -> str:
    """Join a head and a modifier the way they read on a label."""
    if not mod:
        return head
    if mod.startswith("^"):
        return f"{mod[1:]} {head}"
    return f"{head} {mod}"


def abbreviate(name: str, rng: random.Random) -> str:
    """Cut long words the way narrow till printers do ("NATURALNY" -> "NAT.")."""
    words = name.split()
    out = []
    for i, w in enumerate(words):
        if len(w) >= 7 and (i > 0 or rng.random() < 0.3) and rng.random() < 0.6:
            out.append(w[: rng.randint(3, 5)] + ".")
        else:
            out.append(w)
    return " ".join(out)


def render(
    name: str, category: str, lang: str, sizes: dict[str, dict[str, list[str]]], rng: random.Random
) -> str:
    """One till-style rendering of a product name."""
    s = name.upper()
    if lang == "pl" and rng.random() < 0.45:
        s = s.translate(PL_FOLD)  # many Polish tills print without diacritics
    if rng.random() < 0.3:
        s = abbreviate(s, rng)
    if rng.random() < 0.8:
        s = f"{s} {rng.choice(sizes[lang][category])}"
    if rng.random() < 0.08:
        s = s.title() if lang == "en" else s.capitalize()  # some receipts are mixed case
    return " ".join(s.split())


def build(catalog: dict) -> list[tuple[str, str, str]]:
    """Every distinct product once, then extra renderings until each cell has PER_CELL rows
    (`catalog`: the JSON's heads and sizes)."""
    rng = random.Random(SEED)
    sizes = catalog["sizes"]
    rows: list[tuple[str, str, str]] = []
    for category, by_lang in catalog["heads"].items():
        for lang, heads in by_lang.items():
            products = [compose(h, m) for h, mods in heads.items() for m in mods]
            seen: set[str] = set()
            cell: list[str] = []
            for p in products:
                r = render(p, category, lang, sizes, rng)
                if r not in seen:
                    seen.add(r)
                    cell.append(r)
            tries = 0
            while len(cell) < PER_CELL and tries < 10_000:
                tries += 1
                r = render(rng.choice(products), category, lang, sizes, rng)
                if r not in seen:
                    seen.add(r)
                    cell.append(r)
            rows.extend((name, category, lang) for name in cell)
    return rows


def unique_rows(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """A name must never carry two labels: first writer wins, and we report the clash."""
    label: dict[str, str] = {}
    unique: list[tuple[str, str, str]] = []
    for name, category, lang in rows:
        key = unicodedata.normalize("NFC", name)
        if key in label:
            if label[key] != category:
                print(f"dropped ambiguous {name!r}: {label[key]} vs {category}")
            continue
        label[key] = category
        unique.append((key, category, lang))
    return unique


def main() -> None:
    unique = unique_rows(build(json.loads(SOURCE.read_text(encoding="utf-8"))))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "category", "lang"])
        w.writerows(unique)
    print(f"wrote {len(unique)} rows to {OUT}")


if __name__ == "__main__":
    main()
