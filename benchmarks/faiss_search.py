"""Similar-receipt search: vector throughput, index build, search latency, memory, and the
duplicate threshold's calibration. Figures go to docs/search.md.

    .venv/bin/python benchmarks/faiss_search.py                 # 100,000 receipts
    .venv/bin/python benchmarks/faiss_search.py --n 20000 --no-hnsw

Synthetic receipts: merchants and item lines taken from the sample generator's layouts
(receiptq.samples), recombined at random with random dates, times and totals: fast, and
as varied as our samples. Every search is one query on one thread (FAISS OpenMP off), as
an API request runs it.
"""

from __future__ import annotations

import argparse
import random
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receiptq.samples.generate import LAYOUTS
from receiptq.search import reader
from receiptq.search.index import VectorIndex
from receiptq.search.vectors import EMBEDDER, INDEX_DIM, receipt_vectors

CONFUSIONS = {"O": "0", "0": "O", "l": "1", "1": "l", "S": "5", "5": "S", "B": "8", "I": "1",
              "m": "rn", "e": "c", "a": "o", "ą": "a", "ę": "e", "ł": "l", "ó": "o"}  # fmt: skip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Corpus:
    """Merchants and item lines from the sample layouts, recombined."""

    def __init__(self, rng: random.Random, drafts: int = 2000) -> None:
        names = list(LAYOUTS)
        self.merchants: list[dict] = []
        self.items: list[dict] = []
        for _ in range(drafts):
            receipt = LAYOUTS[rng.choice(names)](rng).receipt
            self.merchants.append(receipt["merchant"])
            self.items.extend(receipt["items"])
        self.rng = rng

    def receipt(self, merchant: dict | None = None, items: list | None = None) -> dict:
        r = self.rng
        return {
            "merchant": merchant or r.choice(self.merchants),
            "date": f"20{r.randint(20, 25)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "time": f"{r.randint(7, 21):02d}:{r.randint(0, 59):02d}",
            "total": f"{r.randint(100, 50000) / 100:.2f}",
            "items": items if items is not None else r.sample(self.items, r.randint(2, 14)),
        }


def ocr_noise(text: str | None, rng: random.Random, rate: float) -> str | None:
    if not text:
        return text
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate:
            out.append(CONFUSIONS.get(ch, rng.choice("abcdefghijklmnopqrstuvwxyz")))
        elif roll < rate * 1.3:
            continue  # a character lost
        else:
            out.append(ch)
    return "".join(out)


def rephotographed(receipt: dict, rng: random.Random, rate: float) -> dict:
    """The same receipt read again: OCR errors, an item line or the address sometimes
    lost; date, time and total read the same (the analysis stage parses them)."""
    merchant = dict(receipt["merchant"])
    merchant["name"] = ocr_noise(merchant.get("name"), rng, rate)
    merchant["address"] = (
        None if rng.random() < 0.2 else ocr_noise(merchant.get("address"), rng, rate)
    )
    items = [
        {**item, "description": ocr_noise(item["description"], rng, rate)}
        for item in receipt["items"]
        if rng.random() > 0.1
    ]
    return {**receipt, "merchant": merchant, "items": items or receipt["items"][:1]}


class Timer:
    """Wall and CPU (this thread's) time of each call: on a shared machine the wall p99
    is mostly other processes taking the core; the CPU p99 is what the search costs."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Timer:
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall.append(time.perf_counter() - self._w)
        self.cpu.append(time.thread_time() - self._c)


def percentiles(timer: Timer) -> str:
    wall, cpu = np.asarray(timer.wall) * 1000, np.asarray(timer.cpu) * 1000
    return (
        f"wall p50 {np.percentile(wall, 50):.3f} ms, p99 {np.percentile(wall, 99):.3f} ms;"
        f" cpu p50 {np.percentile(cpu, 50):.3f} ms, p99 {np.percentile(cpu, 99):.3f} ms"
    )


def timed_searches(search, queries: np.ndarray, count: int) -> Timer:
    timer = Timer()
    for i in range(count):
        q = queries[i % len(queries)].reshape(1, -1)
        with timer:
            search(q)
    return timer


def calibrate(corpus: Corpus, rng: random.Random, pairs: int) -> None:
    print(f"\n## Duplicate threshold ({pairs} pairs per kind, threshold "
          f"{reader.DUPLICATE_THRESHOLD})")  # fmt: skip
    kinds: dict[str, list[tuple[dict, dict]]] = {k: [] for k in (
        "same receipt, clean re-read", "same receipt, OCR errors 3%", "same receipt, OCR errors 5%",
        "same receipt, OCR errors 10%", "same receipt, OCR 5% + total misread",
        "same shop + basket, other day", "same shop, other basket", "unrelated receipts",
    )}  # fmt: skip
    for _ in range(pairs):
        a = corpus.receipt()
        kinds["same receipt, clean re-read"].append((a, rephotographed(a, rng, 0.0)))
        kinds["same receipt, OCR errors 3%"].append((a, rephotographed(a, rng, 0.03)))
        kinds["same receipt, OCR errors 5%"].append((a, rephotographed(a, rng, 0.05)))
        kinds["same receipt, OCR errors 10%"].append((a, rephotographed(a, rng, 0.10)))
        misread = {**rephotographed(a, rng, 0.05), "total": corpus.receipt()["total"]}
        kinds["same receipt, OCR 5% + total misread"].append((a, misread))
        other_day = corpus.receipt(merchant=a["merchant"], items=a["items"])
        other_day["total"] = a["total"]  # same basket, same prices
        kinds["same shop + basket, other day"].append((a, other_day))
        kinds["same shop, other basket"].append((a, corpus.receipt(merchant=a["merchant"])))
        kinds["unrelated receipts"].append((a, corpus.receipt()))
    threshold = reader.DUPLICATE_THRESHOLD
    print("| pair | min | p5 | median | p95 | max | flagged duplicate |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, items in kinds.items():
        left = receipt_vectors([x for x, _ in items])
        right = receipt_vectors([y for _, y in items])
        s = np.sum(left * right, axis=1)
        cells = [s.min(), np.percentile(s, 5), np.median(s), np.percentile(s, 95), s.max()]
        print(f"| {kind} | " + " | ".join(f"{c:.3f}" for c in cells)
              + f" | {np.mean(s >= threshold):.1%} |")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="receipts indexed")
    parser.add_argument("--users", type=int, default=1000, help="users they belong to")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-hnsw", action="store_true", help="skip HNSW (slow to build)")
    parser.add_argument("--calibration-pairs", type=int, default=2000)
    args = parser.parse_args(argv)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    faiss.omp_set_num_threads(1)
    rng = random.Random(args.seed)
    n, dim = args.n, INDEX_DIM

    t = time.perf_counter()
    corpus = Corpus(rng)
    receipts = [corpus.receipt() for _ in range(n)]
    print(f"{n} synthetic receipts in {time.perf_counter() - t:.1f} s; "
          f"faiss {faiss.__version__}, dim {dim} ({EMBEDDER})")  # fmt: skip

    base_rss = rss_mb()
    t = time.perf_counter()
    vectors = receipt_vectors(receipts)
    took = time.perf_counter() - t
    print(f"\n## Vectors\nreceipt -> vector: {n / took:,.0f} receipts/s on one core "
          f"({took:.1f} s; the pipeline finishes ~2 receipts/s)")  # fmt: skip

    users = [f"user-{i:05d}" for i in range(args.users)]
    owner = [users[i % args.users] for i in range(n)]
    job_ids = [f"job-{i:07d}" for i in range(n)]
    ids = np.arange(1, n + 1, dtype=np.int64)
    queries = vectors[rng.sample(range(n), min(args.queries, n))]
    qusers = [owner[i] for i in rng.sample(range(n), len(queries))]

    print(f"\n## Per-user indexes (what the API runs): {args.users} users x {n // args.users}")
    before = rss_mb()
    t = time.perf_counter()
    index = VectorIndex(dim)
    for u in range(args.users):
        rows = np.arange(u, n, args.users)
        index.add(users[u], ids[rows].tolist(), [job_ids[i] for i in rows], vectors[rows])
    print(f"build: {time.perf_counter() - t:.2f} s ({n / (time.perf_counter() - t):,.0f} "
          f"vectors/s); memory +{rss_mb() - before:.0f} MB (vectors alone "
          f"{n * dim * 4 / 2**20:.0f} MB)")  # fmt: skip
    lat = Timer()
    for i in range(args.queries):
        with lat:
            index.search(qusers[i % len(qusers)], queries[i % len(queries)], 6)
    print(f"search (k=6, a user's {n // args.users}): {percentiles(lat)}")
    one = time.perf_counter()
    for i in range(1000):
        index.add("busy-user", [n + 1 + i], [f"new-{i}"], vectors[i])
    print(f"add one vector: {1000 / (time.perf_counter() - one):,.0f} vectors/s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.npz"
        t = time.perf_counter()
        index.save(path)
        saved = time.perf_counter() - t
        t = time.perf_counter()
        VectorIndex.load(path)
        print(f"save {saved:.2f} s, load {time.perf_counter() - t:.2f} s, "
              f"file {path.stat().st_size / 2**20:.0f} MB")  # fmt: skip
    del index

    print(f"\n## One index of all {n} (one user with everything, or a global index)")
    before = rss_mb()
    t = time.perf_counter()
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    flat.add_with_ids(vectors, ids)
    print(f"Flat build {time.perf_counter() - t:.2f} s, memory +{rss_mb() - before:.0f} MB")
    exact_k = 10
    _, truth = flat.search(queries[:500], exact_k)
    lat = timed_searches(lambda q: flat.search(q, exact_k), queries, args.queries)
    print(f"Flat search k={exact_k}: {percentiles(lat)}")

    # A global index filtered to one user's ids (the alternative to per-user indexes).
    members = {u: ids[np.arange(k, n, args.users)] for k, u in enumerate(users)}
    lat = Timer()
    for i in range(min(args.queries, 500)):
        with lat:  # building the selector is part of the cost
            sel = faiss.IDSelectorBatch(members[qusers[i]])
            flat.search(queries[i].reshape(1, -1), 6, params=faiss.SearchParameters(sel=sel))
    print(f"Flat search filtered to one user's ids (IDSelectorBatch): {percentiles(lat)}")

    def recall(index_obj, offset: int) -> float:
        """recall@k against Flat; these indexes number rows from 0, Flat's ids from 1."""
        _, got = index_obj.search(queries[:500], exact_k)
        pairs = zip(got + offset, truth, strict=True)
        return float(np.mean([len(set(a) & set(b)) / exact_k for a, b in pairs]))

    nlist = int(4 * np.sqrt(n))
    t = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors[rng.sample(range(n), min(n, 40 * nlist))])
    ivf.add(vectors)
    print(f"IVFFlat nlist={nlist} build (train + add) {time.perf_counter() - t:.1f} s")
    for nprobe in (4, 8, 16, 32):
        ivf.nprobe = nprobe
        rec = recall(ivf, 1)
        lat = timed_searches(lambda q: ivf.search(q, exact_k), queries, args.queries)
        print(f"  nprobe {nprobe}: recall@{exact_k} {rec:.3f}, {percentiles(lat)}")

    if not args.no_hnsw:
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        hnsw.add(vectors)
        print(f"HNSW M=32 build {time.perf_counter() - t:.1f} s")
        for ef in (32, 64, 128):
            hnsw.hnsw.efSearch = ef
            rec = recall(hnsw, 1)
            lat = timed_searches(lambda q: hnsw.search(q, exact_k), queries, args.queries)
            print(f"  efSearch {ef}: recall@{exact_k} {rec:.3f}, {percentiles(lat)}")
    print(f"\nprocess RSS {rss_mb():.0f} MB (started at {base_rss:.0f} MB before vectors)")

    calibrate(corpus, rng, args.calibration_pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
