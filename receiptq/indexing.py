"""Similar receipts: a saved receipt -> text -> vector; indexing a job; searching a user's
receipts (docs/search.md).

The writer (`index_job`, the `index` queue's task) only stores a vector per receipt in
PostgreSQL; every API process keeps its own FAISS index of those rows and catches up on
new ones before each search. Any worker may run the writer, any host may answer a search.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

import numpy as np

from receiptq.context import Context
from receiptq.errors import NotFound
from receiptq.jobs import parse_job_id
from receiptq.pipeline.embed import DIM, embed
from receiptq.store import jobs as job_store
from receiptq.store import vector_index as store
from receiptq.store.vector_index import VectorIndex

log = logging.getLogger(__name__)


# The hashed n-gram vector (embed.DIM buckets) folded to INDEX_DIM buckets: summing
# blocks of a hashed vector is the same hashing trick with fewer buckets (crc32 & 2047,
# then mod 256 == crc32 & 255). An eighth of the memory and time per vector; duplicates
# still score far above look-alikes (docs/search.md). Changing this or the text below
# changes EMBEDDER: rows of an older embedder are ignored and re-indexed.
INDEX_DIM = 256
EMBEDDER = f"ngram1-fold{INDEX_DIM}"
# What a receipt says (merchant, address, items) and its facts (date, time, total) weigh
# half each in the cosine. The same receipt photographed twice agrees on both; the same
# weekly basket at the same shop agrees on the first only (and maybe the total).
CONTENT_WEIGHT = 0.5**0.5
FACTS_WEIGHT = 0.5**0.5
# Calibrated with benchmarks/faiss_search.py (docs/search.md): 0.2 % of "same shop, same
# basket and total, another day" pairs score above it; re-reads of one receipt with 3-5 %
# character errors 96-99 %. A misread total usually drops a re-read below it (by design).
DUPLICATE_THRESHOLD = 0.78
MAX_LIMIT = 50
SELF_HEAL_BATCH = 20  # other unindexed receipts of the user indexed along with a job
READER_MAX_VECTORS = 500_000  # ~0.5 GB of float32 at 256 dims per API process

_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def _fact_word(prefix: str, value: Any) -> str:
    """A date, time or total as a word that embed() keeps (it drops digits): its digits'
    crc32 spelt in letters. Equal values give the same word; different values unrelated
    words, so 14/03 and 15/03 do not look alike the way their digits would."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if not digits:
        return ""
    return prefix + format(zlib.crc32(f"{prefix}:{digits}".encode()), "08x").translate(_LETTERS)


def receipt_texts(receipt: dict[str, Any]) -> tuple[str, str]:
    """(content, facts) of a saved receipt (its JSON): merchant name, address and item
    descriptions; date, time and total as words."""
    merchant = receipt.get("merchant") or {}
    content = [merchant.get("name") or "", merchant.get("address") or ""]
    content += [(item or {}).get("description") or "" for item in receipt.get("items") or []]
    facts = [
        _fact_word(prefix, receipt.get(key))
        for prefix, key in (("qd", "date"), ("qt", "time"), ("qs", "total"))
    ]
    return " ".join(p for p in content if p), " ".join(p for p in facts if p)


def receipt_vectors(receipts: list[dict[str, Any]]) -> np.ndarray:
    """(n, INDEX_DIM) float32, rows unit length (or zero when a receipt has no text)."""
    texts = [t for r in receipts for t in receipt_texts(r)]
    both = embed(texts).reshape(len(receipts), 2, DIM)
    mixed = CONTENT_WEIGHT * both[:, 0] + FACTS_WEIGHT * both[:, 1]
    folded = mixed.reshape(len(receipts), DIM // INDEX_DIM, INDEX_DIM).sum(axis=1)
    norms = np.linalg.norm(folded, axis=1, keepdims=True)
    return (folded / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def receipt_vector(receipt: dict[str, Any]) -> np.ndarray:
    return receipt_vectors([receipt])[0]


# --- the writer -----------------------------------------------------------------------


def index_job(ctx: Context, job_id: str) -> str:
    """Store the vector of a job's saved receipt: 'indexed', 'unchanged' (a redelivery),
    or 'missing' (no saved receipt: cancelled, deleted). Idempotent. Also indexes a few
    of the same user's receipts that have no vector yet, so a lost task heals itself."""
    row = store.receipt_for_index(ctx.pool, job_id)
    if row is None:
        return "missing"
    written = store.upsert_vector(
        ctx.pool, row["job_id"], row["user_id"], EMBEDDER, receipt_vector(row["data"])
    )
    for other in store.unindexed_jobs(ctx.pool, row["user_id"], EMBEDDER, SELF_HEAL_BATCH):
        found = store.receipt_for_index(ctx.pool, other)
        if found is not None:
            store.upsert_vector(ctx.pool, other, found["user_id"], EMBEDDER,
                                receipt_vector(found["data"]))  # fmt: skip
    return "indexed" if written else "unchanged"


# --- the reader -----------------------------------------------------------------------


def new_reader_index() -> VectorIndex:
    return VectorIndex(INDEX_DIM, max_vectors=READER_MAX_VECTORS)


def catch_up(ctx: Context, index: VectorIndex, user_id: str) -> int:
    """Add the user's vectors written since the index last looked (all of them the first
    time). One indexed query; returns how many vectors were added."""
    horizon = index.horizon(user_id) or 0
    next_horizon, rows = store.vectors_since(ctx.pool, user_id, EMBEDDER, horizon)
    vectors = (
        np.stack([store.from_bytes(r["vector"]) for r in rows])
        if rows
        else np.zeros((0, INDEX_DIM), np.float32)
    )
    return index.add(
        user_id,
        [r["vector_id"] for r in rows],
        [r["job_id"] for r in rows],
        vectors,
        horizon=next_horizon,
    )


def similar(
    ctx: Context, index: VectorIndex, user_id: str, job_id: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The user's receipts most like this job's, best first:
    [{job_id, score, duplicate, merchant, date, total, currency}].

    404 for a job that is not the user's (as for status) or that has no saved receipt.
    """
    job_id = parse_job_id(job_id)
    row = store.receipt_with_vector(ctx.pool, user_id, job_id, EMBEDDER)
    if row is None:
        job = job_store.get_job(ctx.pool, job_id)
        if job is None or str(job["user_id"]) != user_id:
            raise NotFound("No such job.")
        raise NotFound(
            f"The job is {job['status']} and has no saved receipt: similar receipts are"
            " found for completed jobs."
        )
    query = (
        store.from_bytes(row["vector"]) if row["vector"] is not None
        else receipt_vector(row["data"])  # saved, not indexed yet
    )  # fmt: skip
    catch_up(ctx, index, user_id)
    hits = [h for h in index.search(user_id, query, limit + 6) if h[0] != job_id]
    found = store.summaries(ctx.pool, user_id, [job for job, _ in hits])
    gone = [job for job, _ in hits if job not in found]
    if gone:  # deleted since they were indexed (their vector rows went with them)
        index.remove_jobs(user_id, gone)
    out = []
    for job, score in hits:
        summary = found.get(job)
        if summary is None:
            continue
        out.append(
            {
                "job_id": job,
                "score": round(score, 4),
                "duplicate": score >= DUPLICATE_THRESHOLD,
                "merchant": summary["merchant_name"],
                "date": summary["receipt_date"].isoformat() if summary["receipt_date"] else None,
                "total": None if summary["total"] is None else f"{summary['total']:.2f}",
                "currency": summary["currency"],
            }
        )
    return out[:limit]
