"""Held-out evaluation of the item categorizer on the shipped catalog.

Why a held-out split of our own catalog: there is no public labelled set of Polish and
English till lines, and the catalog is what the categorizer ships with. Splitting it by
*normalised* name (so "MLEKO UHT 1L" and "MLEKO UHT 0,5L" never land on opposite sides) and
building on 80% measures how well the remaining 20% of products are found from their
relatives. A second, harder split holds out whole *head words* ("every line that starts with
KEFIR"), which approximates products the catalog has never seen. Both are run on clean
names and on names with synthetic OCR noise.

    .venv/bin/python benchmarks/categories.py            # figures in docs/categorization.md
    .venv/bin/python benchmarks/categories.py --ablation # also DIM x k and threshold sweeps
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
import unicodedata
import zlib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receiptq.pipeline import embed as embed_mod
from receiptq.pipeline.categorize import CATEGORIES, Categorizer, shipped_catalog
from receiptq.pipeline.embed import normalize

Row = tuple[str, str, str]

# Lines a receipt prints that are not items; none of these is verbatim in NON_ITEMS.
JUNK = [
    "*****", "--------", "12.30", "=====", "SUMA: 45,20", "SUMA PLN 123,45", "G0TOWKA",
    "GOTÓWKA 50,00", "RESZTA PLN", "PTU B 8%", "PTU A 23,00%", "SPRZEDAZ OPOD. PTU A",
    "KARTA VISA ****1234", "ZAPLACONO KARTA", "NR KASY 3", "KASJER 0012", "NUMER TRANSAKCJI",
    "PARAGON FISKALNY NR 1234", "RABAT -2,00", "TOTAL TO PAY", "TOTAL 12.99", "SUB-TOTAL",
    "CARD PAYMENT", "VISA CONTACTLESS", "CHANGE DUE 0.00", "BALANCE", "AMOUNT 4.50",
    "VAT 20%", "THANK YOU FOR SHOPPING", "CASHIER: ANNA", "QXZ VVK", "ASDFGH", "#### ####",
    "TOTAL SAVINGS", "MASTERCARD DEBIT", "NIP 123-456-78-90", "DZIEKUJEMY ZA ZAKUPY",
]  # fmt: skip

_CONFUSE = {
    "O": "0", "0": "O", "I": "1", "L": "1", "1": "I", "S": "5", "B": "8", "E": "F", "C": "G",
    "U": "V", "H": "N", "N": "H", "A": "4", "Z": "2", "G": "C", "T": "I",
}  # fmt: skip


def ocr_noise(text: str, edits: int = 2) -> str:
    """A deterministic OCR-style corruption of ``text`` with ``edits`` random edits.

    Edits: a confusable character (O/0, l/1, S/5, E/F, C/G...), m -> rn, rn -> m, a dropped
    character, two adjacent characters swapped, or all Polish diacritics dropped. Several of
    these (dropped or swapped characters, E/F, C/G, U/V, H/N) are *not* undone by the
    normaliser, so this is not just testing the normaliser against itself.
    """
    rng = random.Random(zlib.crc32(text.encode()) ^ edits)
    s = text
    for _ in range(edits):
        op = rng.choice(["confuse", "confuse", "rn", "drop", "swap", "diacritics"])
        letters = [i for i, c in enumerate(s) if c.isalnum()]
        if not letters:
            break
        i = rng.choice(letters)
        if op == "confuse":
            cands = [j for j in letters if s[j].upper() in _CONFUSE]
            if cands:
                j = rng.choice(cands)
                s = s[:j] + _CONFUSE[s[j].upper()] + s[j + 1 :]
        elif op == "rn":
            if "RN" in s.upper():
                j = s.upper().index("RN")
                s = s[:j] + "M" + s[j + 2 :]
            elif "M" in s.upper():
                j = s.upper().index("M")
                s = s[:j] + "RN" + s[j + 1 :]
        elif op == "drop" and len(s) > 3:
            s = s[:i] + s[i + 1 :]
        elif op == "swap" and i + 1 < len(s):
            s = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        else:  # diacritics, or a no-op edit fell through
            s = "".join(
                c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)
            ).replace("Ł", "L")
    return s


def _h(s: str) -> int:
    return zlib.crc32(s.encode())


def split_by_name(rows: list[Row], test_frac: float = 0.2) -> tuple[list[Row], list[Row]]:
    """80/20, stratified by (category, lang), by hash of the normalised name.

    Rows that normalise alike go to the same side, so a size variant of a test product is
    never in the training set.
    """
    return _split(rows, lambda r: normalize(r[0]), test_frac)


def split_by_head(rows: list[Row], test_frac: float = 0.2) -> tuple[list[Row], list[Row]]:
    """The same, but whole first words are held out: products of a kind never seen."""
    return _split(rows, lambda r: (normalize(r[0]).split() or [""])[0], test_frac)


def _split(rows: list[Row], group, test_frac: float) -> tuple[list[Row], list[Row]]:
    cells: dict[tuple[str, str], dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        cells[(r[1], r[2])][group(r)].append(r)
    train, test = [], []
    for _cell, groups in sorted(cells.items()):
        total = sum(len(v) for v in groups.values())
        taken = 0
        for g in sorted(groups, key=lambda g: (_h(g), g)):
            if taken < test_frac * total:
                test.extend(groups[g])
                taken += len(groups[g])
            else:
                train.extend(groups[g])
    # A normalised name must not straddle the split (a head group might share it with
    # another category's group): drop such test rows rather than leak them.
    seen = {normalize(r[0]) for r in train}
    return train, [r for r in test if normalize(r[0]) not in seen]


def accuracy(cat: Categorizer, test: list[Row], edits: int) -> dict[str, float]:
    names = [ocr_noise(r[0], edits) if edits else r[0] for r in test]
    preds = cat.categorize(names)
    hit = defaultdict(int)
    n = defaultdict(int)
    answered = 0
    for r, (p, _s) in zip(test, preds, strict=True):
        answered += p is not None
        for key in ("all", f"lang:{r[2]}", f"cat:{r[1]}"):
            n[key] += 1
            hit[key] += p == r[1]
    out = {k: hit[k] / n[k] for k in n}
    out["coverage"] = answered / len(test)
    return out


def garbage(n: int = 300) -> list[str]:
    """Random letter strings: lines no catalog or boilerplate list can have anticipated."""
    rng = random.Random(1)

    def word(lo: int, hi: int) -> str:
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(lo, hi)))

    return [word(4, 10) + (" " + word(3, 7) if rng.random() < 0.5 else "") for _ in range(n)]


def junk_rejection(cat: Categorizer, lines: list[str] = JUNK) -> float:
    return sum(p is None for p, _ in cat.categorize(lines)) / len(lines)


def latency(cat: Categorizer, names: list[str]) -> tuple[float, float, float]:
    """p50 and p99 of one-item calls, and per-item time of one batched call, in ms."""
    for n in names[:20]:
        cat.categorize([n])
    times = []
    for n in names:
        t = time.perf_counter()
        cat.categorize([n])
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    t = time.perf_counter()
    cat.categorize(names)
    batch = (time.perf_counter() - t) * 1000 / len(names)
    return statistics.median(times), times[int(0.99 * (len(times) - 1))], batch


def report(rows: list[Row]) -> None:
    print(f"catalog: {len(rows)} rows, {len({normalize(r[0]) for r in rows})} distinct names")
    for label, splitter in (("by name", split_by_name), ("by head word", split_by_head)):
        train, test = splitter(rows)
        embed_mod._word_features.cache_clear()
        t = time.perf_counter()
        cat = Categorizer.from_rows(train)
        build = time.perf_counter() - t
        print(f"\n## split {label}: train {len(train)} rows, test {len(test)} rows")
        print(f"build on train: {build * 1000:.0f} ms ({len(cat.keys)} index entries)")
        res = {e: accuracy(cat, test, e) for e in (0, 1, 2)}
        print("\n| slice | clean | noisy (1 edit) | noisy (2 edits) |")
        print("| --- | --- | --- | --- |")
        keys = ["all", "lang:en", "lang:pl"] + [f"cat:{c}" for c in CATEGORIES]
        for k in [*keys, "coverage"]:
            print(f"| {k} | " + " | ".join(f"{res[e][k]:.3f}" for e in (0, 1, 2)) + " |")
        if label == "by name":
            print(f"\nboilerplate lines rejected (None): {junk_rejection(cat):.3f} of {len(JUNK)}")
            g = garbage()
            print(f"random strings rejected (None): {junk_rejection(cat, g):.3f} of {len(g)}")
            p50, p99, batch = latency(cat, [r[0] for r in test])
            print(
                f"latency per item: p50 {p50:.3f} ms, p99 {p99:.3f} ms (one-item calls); "
                f"{batch:.3f} ms/item in one batch of {len(test)}"
            )
    embed_mod._word_features.cache_clear()
    t = time.perf_counter()
    full = Categorizer.from_rows(rows)
    print(f"\nbuild on the full shipped catalog: {(time.perf_counter() - t) * 1000:.0f} ms")
    independent(full)


def independent(cat: Categorizer) -> None:
    """Score the full shipped catalog on the product lists of the synthetic-receipt generator
    (receiptq/samples/catalog.py): written separately, with the same category names, so it is
    the closest thing we have to data the catalog author did not write."""
    try:
        from receiptq.samples import catalog as samples
    except ImportError:
        print("\n(receiptq.samples.catalog not available: independent check skipped)")
        return
    print("\n## independent check: receiptq/samples/catalog.py products, full catalog")
    print("| list | n | clean | noisy (2 edits) | in catalog verbatim |")
    print("| --- | --- | --- | --- | --- |")
    names = {r[0] for r in shipped_catalog()}
    for label in ("PRODUCTS_PL", "PRODUCTS_EN", "PRODUCTS_MY"):
        prods = getattr(samples, label, ())
        if not prods:
            continue
        test = [(p.name, p.category, label) for p in prods]
        a0, a2 = accuracy(cat, test, 0)["all"], accuracy(cat, test, 2)["all"]
        seen = sum(p.name in names for p in prods)
        print(f"| {label} | {len(test)} | {a0:.3f} | {a2:.3f} | {seen} |")


def ablation(rows: list[Row]) -> None:
    train, test = split_by_name(rows)
    print("\n## ablation (split by name): accuracy clean / 2 edits, junk rejected")
    print("| dim | k | clean | noisy | junk |")
    print("| --- | --- | --- | --- | --- |")
    for dim in (1024, 2048, 4096):
        for k in (1, 3, 7, 11):
            cat = Categorizer.from_rows(train, k=k, dim=dim)
            a0, a2 = accuracy(cat, test, 0)["all"], accuracy(cat, test, 2)["all"]
            print(f"| {dim} | {k} | {a0:.3f} | {a2:.3f} | {junk_rejection(cat):.3f} |")
    print("\n| threshold | clean | noisy | noisy coverage | boilerplate | random |")
    print("| --- | --- | --- | --- | --- | --- |")
    for th in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        cat = Categorizer.from_rows(train, threshold=th)
        a0, a2 = accuracy(cat, test, 0), accuracy(cat, test, 2)
        print(
            f"| {th} | {a0['all']:.3f} | {a2['all']:.3f} | {a2['coverage']:.3f} "
            f"| {junk_rejection(cat):.3f} | {junk_rejection(cat, garbage()):.3f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ablation", action="store_true", help="also sweep DIM, k and threshold")
    args = ap.parse_args()
    rows = shipped_catalog()
    report(rows)
    if args.ablation:
        ablation(rows)
    cmd = "python benchmarks/categories.py" + (" --ablation" if args.ablation else "")
    print(f"\nreproduce: .venv/bin/{cmd}")


if __name__ == "__main__":
    main()
