"""The reader: a user's receipts most like a job's, from this process's FAISS index,
caught up from PostgreSQL before each search (docs/search.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from receiptq.context import Context
from receiptq.errors import NotFound
from receiptq.jobs import parse_job_id
from receiptq.search import store
from receiptq.search.index import VectorIndex
from receiptq.search.vectors import EMBEDDER, INDEX_DIM, receipt_vector
from receiptq.store.jobs import get_job

# Calibrated with benchmarks/faiss_search.py (docs/search.md): 0.2 % of "same shop, same
# basket and total, another day" pairs score above it; re-reads of one receipt with 3-5 %
# character errors 96-99 %. A misread total usually drops a re-read below it (by design).
DUPLICATE_THRESHOLD = 0.78
MAX_LIMIT = 50
READER_MAX_VECTORS = 500_000  # ~0.5 GB of float32 at 256 dims per API process


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
        existing = get_job(ctx.pool, job_id)
        if existing is None or str(existing["user_id"]) != user_id:
            raise NotFound("No such job.")
        raise NotFound(
            f"The job is {existing['status']} and has no saved receipt: similar receipts are"
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
